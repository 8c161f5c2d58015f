"""The HTML compliance matrix: behaviours down, targets across, every verdict explained."""

from __future__ import annotations

import html
from collections import defaultdict

from . import target_status

_LABEL = {"pass": "pass", "divergent": "allowed divergence", "fail": "FAIL", "flaky": "FLAKY", "error": "error",
          "not-applicable": "n/a", "skipped": "skipped", "not-run": "not run"}
_COUNTED = ("pass", "divergent", "fail", "flaky", "error", "not-applicable")  # columns of the targets table
_STATUS = {"ran": "ran", "unavailable": "DID NOT RUN: unavailable", "no-applicable-case": "DID NOT RUN: no applicable case"}
_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
td.grade { text-align: center; white-space: nowrap; }
.pass { background: #d9f2d9; } .divergent { background: #fff3c4; } .fail { background: #f8c9c9; font-weight: bold; }
.flaky { background: #ffd8a8; font-weight: bold; }
.error { background: #e6d5f5; } .not-applicable, .skipped, .not-run { background: #eee; color: #666; }
.level { font-size: 0.85em; color: #555; } .rule { color: #444; font-size: 0.9em; }
details { font-size: 0.85em; } code { font-size: 0.9em; }
pre.evidence { font-size: 0.8em; background: #fafafa; border: 1px solid #ddd; padding: 6px; max-width: 70em;
               overflow-x: auto; white-space: pre; text-align: left; font-weight: normal; }
td.share { text-align: right; white-space: nowrap; } .low { color: #a00; font-weight: bold; }
"""


def render(summary: dict) -> str:
    targets = list(summary["targets"])
    cases = defaultdict(list)
    for result in summary["results"]:
        cases[(result["behaviour"], result["target"])].append(result)
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<title>sockspec compliance report</title>", f"<style>{_STYLE}</style></head><body>",
        "<h1>sockspec compliance report</h1>",
        f"<p>Generated {_e(summary['generated'])} on {_e(summary['host']['platform'])}.</p>",
        _gate_section(summary.get("gate")),
        _targets_table(summary, targets),
        _shares_table(summary, targets),
        _families_section(summary, targets),
        _coverage_section(summary, targets),
    ]
    area = None
    for behaviour in summary["behaviours"]:
        if behaviour["area"] != area:
            if area is not None:
                parts.append("</table>")
            area = behaviour["area"]
            parts.append(f"<h2>{_e(behaviour['kind'])} — {_e(area)}</h2><table class=matrix><tr><th>behaviour</th>"
                         + "".join(f"<th>{_e(t)}</th>" for t in targets) + "</tr>")
        parts.append(_behaviour_row(behaviour, targets, summary["matrix"][behaviour["id"]], cases))
    if area is not None:
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _targets_table(summary: dict, targets: list[str]) -> str:
    rows = ["<table class=targets><tr><th>target</th><th>spec</th><th>implementation</th><th>ran</th>"
            + "".join(f"<th>{_LABEL[g]}</th>" for g in _COUNTED) + "</tr>"]
    for label in targets:
        info = summary["targets"][label]
        counts = summary["behaviour_totals"].get(label, {})
        status = target_status.status_in(summary, label)
        ran = status["status"] == target_status.RAN
        rows.append(f"<tr data-target='{_e(label)}' data-status='{_e(status['status'])}'><td>{_e(label)}</td>"
                    f"<td><code>{_e(info.get('spec', ''))}</code></td><td>{_e(info.get('adapter') or '—')}</td>"
                    f"<td class='{'pass' if ran else 'fail'}'>{_e(_STATUS.get(status['status'], status['status']))}"
                    + ("" if ran else f"<div class=rule>{_e(status['status_reason'])}</div>") + "</td>"
                    + "".join(f"<td class='grade {g}'>{counts.get(g, 0)}</td>" for g in _COUNTED)
                    + "</tr>")
    rows.append("</table><p class=rule>Counts are behaviours; a behaviour's verdict is the worst of its cases "
                "(families × seats). <em>n/a</em>: the target or host lacks a needed feature. <em>FLAKY</em>: "
                "a case's grades differed across repeats (--sockspec-repeat). A target that did not run "
                "has no verdict at all.</p>")
    return "\n".join(rows)


def _gate_section(gate: dict | None) -> str:
    if not gate:
        return ""
    verdict = gate.get("verdict", "passed" if gate["passed"] else "failed").upper()
    parts = [f"<h2 id=gate>CI gate: <span class='{'pass' if gate['passed'] else 'fail'}'>{verdict}</span></h2>",
             f"<p class=rule>Against the baselines in <code>{_e(gate['baselines'])}</code>: fails on any failure "
             "they do not list (a flaky case too, unless its entry says <code>flaky = true</code>), and on any "
             "listed divergence that passes again; a target that did not run is no verdict.</p>"]
    for key, title in (("missing", "Targets that did not run: no verdict"),
                       ("allowed_missing", "Targets that did not run, allowed missing")):
        rows = gate.get(key, [])
        if rows:
            parts.append(f"<table class='gate {key}'><tr><th colspan=2>{title} ({len(rows)})</th></tr>")
            parts += [f"<tr><td>{_e(r['target'])}</td><td>{_e(r['status'])}: {_e(r['reason'])}</td></tr>" for r in rows]
            parts.append("</table>")
    for key, title in (("new_failures", "New failures"), ("stale", "Stale baseline entries (they pass now)"),
                       ("known", "Known divergences, accepted"), ("unchecked", "Listed, not checked by this run")):
        rows = gate[key]
        if not rows:
            continue
        parts.append(f"<table class='gate {key}'><tr><th colspan=3>{title} ({len(rows)})</th></tr>")
        parts += [f"<tr><td>{_e(r['target'])}</td><td><a href='#{_e(r['behaviour'])}'>{_e(r['behaviour'])}</a>"
                  f"</td><td><span class=level>{_e(_LABEL.get(r['verdict'], r['verdict']))}</span> "
                  f"{_e(r['detail'])}{_issue_link(r)}</td></tr>" for r in rows]
        parts.append("</table>")
    return "\n".join(parts)


def _issue_link(row: dict) -> str:
    """A baseline entry's link (validated as http(s) when the baseline was read)."""
    return f" <a class=issue href='{_e(row['link'])}'>{_e(row['link'])}</a>" if row.get("link") else ""


def _shares_table(summary: dict, targets: list[str]) -> str:
    shares = summary.get("shares", {})
    if not shares:
        return ""
    areas = list(next(iter(shares.values()))["areas"])
    rows = ["<h2>Share of applicable behaviours passed</h2><table class=shares><tr><th>area</th>"
            + "".join(f"<th>{_e(t)}</th>" for t in targets) + "</tr>"]
    for area in ["all", *areas]:
        cells = []
        for label in targets:
            tally = shares[label]["all"] if area == "all" else shares[label]["areas"][area]
            cells.append(f"<td class=share data-target='{_e(label)}'>{_share(tally['passed'], tally['applicable'])}"
                         f"<br><span class=level>MUST {_share(tally['must_passed'], tally['must_applicable'])}"
                         "</span></td>")
        name = "<b>all areas</b>" if area == "all" else _e(area)
        rows.append(f"<tr data-area='{_e(area)}'><td>{name}</td>{''.join(cells)}</tr>")
    rows.append("</table><p class=rule>Passed (allowed divergences included) of applicable behaviours, i.e. those "
                "with at least one case that ran; MUST behaviours counted again on their own.</p>")
    return "\n".join(rows)


def families(summary: dict, targets: list[str]) -> dict[str, list[str]]:
    """Targets grouped by the language their library belongs to (two or more to a family)."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for label in targets:
        family = summary["targets"][label].get("family")
        if family:
            grouped[family].append(label)
    return {family: members for family, members in sorted(grouped.items()) if len(members) > 1}


def _families_section(summary: dict, targets: list[str]) -> str:
    """Per library family (Rust: std vs tokio; Java: NIO vs Netty; Python: reference, asyncio,
    uvloop, trio; C: POSIX vs libuv), the behaviours where the neighbours' verdicts differ."""
    grouped = families(summary, targets)
    if not grouped:
        return ""
    parts = ["<h2 id=families>Libraries beside their neighbours</h2><p class=rule>For each language with "
             "several targets, the behaviours where their verdicts differ: where a library departs from "
             "the others built on the same runtime. Behaviours they all pass, or all fail, are left out.</p>"]
    for family, members in grouped.items():
        differing = [b for b in summary["behaviours"]
                     if len({summary["matrix"][b["id"]].get(m, "not-run") for m in members}) > 1]
        parts.append(f"<h3>{_e(family)}: {', '.join(_e(m) for m in members)} — {len(differing)} behaviour(s) "
                     "differ</h3>")
        if not differing:
            continue
        parts.append(f"<table class=family data-family='{_e(family)}'><tr><th>behaviour</th>"
                     + "".join(f"<th>{_e(m)}</th>" for m in members) + "</tr>")
        for behaviour in differing:
            verdicts = summary["matrix"][behaviour["id"]]
            parts.append(f"<tr><td><a href='#{_e(behaviour['id'])}'>{_e(behaviour['id'])}</a> "
                         f"{_e(behaviour['title'])}</td>"
                         + "".join(f"<td class='grade {verdicts.get(m, 'not-run')}' data-target='{_e(m)}'>"
                                   f"{_LABEL[verdicts.get(m, 'not-run')]}</td>" for m in members) + "</tr>")
        parts.append("</table>")
    return "\n".join(parts)


def _coverage_section(summary: dict, targets: list[str]) -> str:
    """What the run asked of each target, and what each declared but was never asked."""
    coverage = summary.get("coverage", {})
    if not coverage:
        return ""
    rows = ["<h2 id=coverage>Operation coverage</h2><table class=coverage><tr><th>target</th>"
            "<th>declared, never exercised by this run</th><th>operations and arguments sent</th></tr>"]
    for label in targets:
        seen = coverage.get(label) or {}
        blind = seen.get("declared_not_exercised", [])
        operations = seen.get("operations", {})
        listed = "".join(f"<li><code>{_e(key)}</code> ({count} cases)</li>" for key, count in operations.items())
        rows.append(f"<tr data-target='{_e(label)}'><td>{_e(label)}</td>"
                    f"<td class='{'fail' if blind else 'pass'}'>{_e(', '.join(blind)) or 'none'}</td>"
                    f"<td><details><summary>{len(operations)} kinds of request</summary><ul>{listed}</ul>"
                    "</details></td></tr>")
    rows.append("</table><p class=rule>A request counts under its operation and under each argument that "
                "changes what it does (timeout 0, how, kind, an option's name, bind). A declared feature "
                "that no case exercised is a blind spot of this run, not a pass.</p>")
    return "\n".join(rows)


def _share(passed: int, applicable: int) -> str:
    if not applicable:
        return "—"
    low = " class=low" if passed < applicable else ""
    return f"<span{low}>{passed}/{applicable} ({100 * passed / applicable:.0f} %)</span>"


def _behaviour_row(behaviour: dict, targets: list[str], verdicts: dict, cases: dict) -> str:
    source = _e(behaviour["source"])
    if behaviour.get("link"):
        source = f"<a href='{_e(behaviour['link'])}'>{source}</a>"
    cells = [f"<td><b>{_e(behaviour['id'])}</b> {_e(behaviour['title'])} "
             f"<span class=level>{_e(behaviour['level'])}</span><div class=rule>{_e(behaviour['rule'])}<br>"
             f"{source}</div></td>"]
    for label in targets:
        grade = verdicts.get(label, "not-run")
        details = "".join(_case_item(c) for c in cases.get((behaviour["id"], label), []))
        own = cases.get((behaviour["id"], label), [])
        inapplicable = sum(c["grade"] == "not-applicable" for c in own)
        emulated = any(c.get("adapter_notes") for c in own) and grade in ("pass", "divergent")
        summary = _LABEL[grade] + (" (emulated by the adapter)" if emulated else "") \
            + (f" · {inapplicable}/{len(own)} n/a" if inapplicable and grade != "not-applicable" else "")
        body = f"<details><summary>{summary}</summary><ul>{details}</ul></details>" if details else summary
        cells.append(f"<td class='grade {grade}' data-target='{_e(label)}' data-verdict='{grade}'>{body}</td>")
    return (f"<tr class=behaviour id='{_e(behaviour['id'])}' data-id='{_e(behaviour['id'])}'>"
            + "".join(cells) + "</tr>")


def _case_item(case: dict) -> str:
    """One case: its grade, why, what the adapter made up, and its evidence or (collapsed) traces."""
    item = (f"<li>{_e(case['family'])}, target as {_e(case['seat'])}: "
            f"<b>{_e(_LABEL.get(case['grade'], case['grade']))}</b>")
    if case["grade"] != "pass" or case.get("adapter_notes"):
        item += f" — {_e(case['detail'])}"
    if case.get("evidence"):
        item += f"<pre class=evidence>{_e(case['evidence'])}</pre>"
    elif case.get("trace"):
        item += f"<details class=trace><summary>traces</summary><pre class=evidence>{_e(case['trace'])}</pre></details>"
    return item + "</li>"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
