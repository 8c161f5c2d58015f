"""The CI gate: a run's verdicts against the targets' baselines.

The gate fails on any failure a baseline does not list (a regression, or a divergence
nobody has explained), on any flaky case whose entry does not say ``flaky = true``, and on
any listed divergence that now passes (a stale entry: the baseline must stay tight, or it
would hide the next regression of that behaviour). A target that did not run at all
(unavailable, unusable, or without a single applicable case) is no verdict, unless the
caller allowed it to be missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import target_status
from .baseline import KnownDivergence, Platform
from .summary import APPLICABLE_PASSED

FAILING = ("fail", "flaky", "error")  # an adapter fault hides the behaviour: it cannot pass the gate either
PASSING = APPLICABLE_PASSED

EXIT_PASSED, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
NOT_RUN = "not checked: target did not run"


@dataclass(frozen=True)
class Finding:
    target: str
    behaviour: str
    verdict: str
    detail: str = ""
    link: str = ""  # the baseline entry's link (an upstream issue), when it has one


@dataclass(frozen=True)
class MissingTarget:
    target: str
    status: str  # unavailable or no-applicable-case (reports/target_status.py)
    reason: str


@dataclass
class GateResult:
    new_failures: list[Finding] = field(default_factory=list)
    stale: list[Finding] = field(default_factory=list)
    known: list[Finding] = field(default_factory=list)
    unchecked: list[Finding] = field(default_factory=list)  # listed, but not applicable or not run here
    missing: list[MissingTarget] = field(default_factory=list)  # did not run: no verdict
    allowed_missing: list[MissingTarget] = field(default_factory=list)  # did not run, as the caller allowed

    @property
    def failed(self) -> bool:
        return bool(self.new_failures or self.stale)

    @property
    def passed(self) -> bool:
        return not self.failed and not self.missing

    @property
    def verdict(self) -> str:
        """A failure among the targets that ran cannot be undone by one that did not: it wins."""
        return "FAILED" if self.failed else "NO VERDICT" if self.missing else "PASSED"

    @property
    def exit_code(self) -> int:
        return {"FAILED": EXIT_FAILED, "NO VERDICT": EXIT_UNUSABLE, "PASSED": EXIT_PASSED}[self.verdict]


def failing_behaviours(summary: dict, label: str) -> dict[str, str]:
    """Behaviour ID → the first failing case's headline, for one target."""
    details: dict[str, str] = {}
    for result in summary["results"]:
        if result["target"] == label and result["grade"] in FAILING:
            details.setdefault(result["behaviour"], f"{result['grade']} [{result['family']}, "
                                                    f"{result['seat']}]: {result['detail']}")
    return {b: details.get(b, verdict) for b, verdicts in summary["matrix"].items()
            for verdict in [verdicts.get(label)] if verdict in FAILING}


def flaky_behaviours(summary: dict, label: str) -> set[str]:
    """Behaviours with a flaky case, whatever the worst of their cases."""
    return {r["behaviour"] for r in summary["results"] if r["target"] == label and r["grade"] == "flaky"}


def passing_behaviours(summary: dict, label: str) -> set[str]:
    return {b for b, verdicts in summary["matrix"].items() if verdicts.get(label) in PASSING}


def check(summary: dict, baselines: dict[str, list[KnownDivergence]], where: Platform | None = None,
          allow_missing: tuple[str, ...] | list[str] = ()) -> GateResult:
    where = where or Platform.here()
    unknown = sorted(set(allow_missing) - set(summary["targets"]))
    if unknown:
        raise ValueError(f"--allow-missing {', '.join(unknown)}: no such target in this run "
                         f"(targets: {', '.join(summary['targets'])})")
    result = GateResult()
    for label in summary["targets"]:
        version = summary["targets"][label].get("version", "")
        listed = {e.behaviour: e for e in baselines.get(label, []) if e.holds_on(where, version)}
        status = target_status.status_in(summary, label)
        if status["status"] != target_status.RAN:
            missing = MissingTarget(label, status["status"], status["status_reason"])
            (result.allowed_missing if label in allow_missing else result.missing).append(missing)
            result.unchecked += [Finding(label, b, NOT_RUN, e.reason, e.link) for b, e in listed.items()]
            continue
        _judge_target(summary, label, listed, result)
    return result


def _judge_target(summary: dict, label: str, listed: dict[str, KnownDivergence], result: GateResult) -> None:
    failing = failing_behaviours(summary, label)
    flaky = flaky_behaviours(summary, label)
    for behaviour, detail in failing.items():
        entry = listed.get(behaviour)
        verdict = "flaky" if behaviour in flaky else summary["matrix"][behaviour][label]
        if entry and behaviour in flaky and not entry.flaky:
            result.new_failures.append(Finding(label, behaviour, "flaky", f"{detail} (its baseline entry does "
                                               "not say flaky = true)", entry.link))
        elif entry:
            result.known.append(Finding(label, behaviour, verdict, entry.reason, entry.link))
        else:
            result.new_failures.append(Finding(label, behaviour, verdict, detail))
    for behaviour, entry in listed.items():
        if behaviour in failing:
            continue
        verdict = summary["matrix"].get(behaviour, {}).get(label, "not-run")
        if verdict in PASSING and entry.flaky:  # a flaky behaviour passing once proves nothing
            result.known.append(Finding(label, behaviour, verdict, entry.reason, entry.link))
            continue
        bucket = result.stale if verdict in PASSING else result.unchecked
        bucket.append(Finding(label, behaviour, verdict, entry.reason, entry.link))


def as_json(result: GateResult, baselines_dir: str) -> dict:
    """The verdict, for summary.json and the compliance report."""
    def rows(findings: list[Finding]) -> list[dict]:
        return [{"target": f.target, "behaviour": f.behaviour, "verdict": f.verdict, "detail": f.detail,
                 **({"link": f.link} if f.link else {})} for f in findings]

    def targets(missing: list[MissingTarget]) -> list[dict]:
        return [{"target": m.target, "status": m.status, "reason": m.reason} for m in missing]
    return {"passed": result.passed, "verdict": result.verdict.lower(), "baselines": baselines_dir,
            "new_failures": rows(result.new_failures), "stale": rows(result.stale), "known": rows(result.known),
            "unchecked": rows(result.unchecked), "missing": targets(result.missing),
            "allowed_missing": targets(result.allowed_missing)}


def _link(f: Finding) -> str:
    return f" <{f.link}>" if f.link else ""


def render(result: GateResult) -> str:
    """What was accepted first, then what failed the gate, then the verdict: a CI log is read
    from its tail, and the tail should name what to fix."""
    def finding(shown: str):
        return lambda f: f"{f.target}: {f.behaviour} {shown.format(f=f)}{_link(f)}"

    def target(m: MissingTarget) -> str:
        return f"{m.target}: {m.status}: {m.reason}"
    sections = [  # (rows, heading, one row's line)
        (result.known, "Known divergences, accepted ({n}):", finding("({f.verdict}): {f.detail}")),
        (result.unchecked, "Baseline entries not checked by this run ({n}):", finding("({f.verdict})")),
        (result.allowed_missing, "Targets that did not run, allowed missing ({n}):", target),
        (result.stale, ("Stale baseline entries ({n}): listed as divergences, but they pass now; remove them "
                        "(sockspec baseline LABEL rewrites the file):"),
         finding("({f.verdict}); was listed because: {f.detail}")),
        (result.new_failures, "New failures ({n}), not in any baseline:", finding("{f.detail}")),
        (result.missing, ("Targets that did not run ({n}): no verdict on them; fix the machine, or pass "
                          "--allow-missing LABEL to accept it:"), target),
    ]
    lines = []
    for rows, heading, line in sections:
        if rows:
            lines.append(heading.format(n=len(rows)))
            lines += [f"  {line(row)}" for row in rows]
    missing = f", {len(result.missing)} target(s) did not run" if result.missing else ""
    lines.append(f"sockspec gate {result.verdict}: {len(result.new_failures)} new failure(s), {len(result.stale)} "
                 f"stale entr{'y' if len(result.stale) == 1 else 'ies'}, {len(result.known)} known divergence(s) "
                 f"accepted{missing}")
    return "\n".join(lines)
