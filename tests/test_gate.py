"""Baselines and the CI gate: file format, platform conditions, the verdicts, and the
commands end to end on a target with a real fault."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reports import baseline, gate
from reports.baseline import BaselineError, KnownDivergence, Platform

ROOT = Path(__file__).resolve().parent.parent
LINUX_6 = Platform("linux", "6.1.0")


def summary(matrix: dict[str, dict[str, str]]) -> dict:
    targets = sorted({label for verdicts in matrix.values() for label in verdicts})
    results = [{"behaviour": b, "target": t, "family": "ipv4", "seat": "client", "grade": v,
                "detail": f"{b} went wrong"} for b, verdicts in matrix.items() for t, v in verdicts.items()]
    return {"schema": 1, "targets": {t: {} for t in targets}, "matrix": matrix, "results": results}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lib.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, complaint", [
    ('[[known]]\nbehaviour = "TCP-STREAM-001"\n', "non-empty reason"),
    ('[[known]]\nbehaviour = "TCP-STREAM-001"\nreason = "x"\nseverity = "low"\n', "unknown field(s) severity"),
    ('[[known]]\nbehaviour = "NOPE-001"\nreason = "x"\n', "NOPE-001 is not in the catalogue"),
    ('[[known]]\nbehaviour = "TCP-STREAM-001"\nreason = "x"\nkernel = "six"\n', "not a version range"),
    ('[[known]]\nbehaviour = "TCP-STREAM-001"\nreason = "x"\nversion = "3.13"\n', "version '3.13' is not a version range"),
    ('[[known]]\nbehaviour = "TCP-STREAM-001"\nreason = "x"\n[[known]]\nbehaviour = "TCP-STREAM-001"\nreason = "y"\n',
     "listed twice"),
    ('[[known]]\nbehaviour = "TCP-STREAM-001"\nreason = "x"\nflaky = "yes"\n', "flaky must be true or false"),
    ('[[known]\n', "not valid TOML"),
    ('[known]\nbehaviour = "TCP-STREAM-001"\n', "expected a table"),
    ('[[divergence]]\nbehaviour = "TCP-STREAM-001"\n', "entries go in [[known]]"),
])
def test_a_bad_baseline_is_one_clear_error_naming_the_file(tmp_path, text, complaint):
    with pytest.raises(BaselineError, match=r"lib\.toml") as caught:
        baseline.load(write(tmp_path, text))
    assert complaint in str(caught.value)


def test_entries_hold_only_where_their_condition_does():
    anywhere = KnownDivergence("TCP-STREAM-001", "r")
    old_linux = KnownDivergence("TCP-STREAM-001", "r", os="linux", kernel="<5.10")
    mac = KnownDivergence("TCP-STREAM-001", "r", os="darwin")
    assert anywhere.holds_on(LINUX_6)
    assert not old_linux.holds_on(LINUX_6) and old_linux.holds_on(Platform("linux", "5.4.0"))
    assert not mac.holds_on(LINUX_6)


def test_a_version_range_holds_only_for_those_versions_of_the_target():
    before_fix = KnownDivergence("UDP-DGRAM-004", "sendto(b'') sends nothing", version="<3.13")
    assert before_fix.holds_on(LINUX_6, "asyncio (CPython 3.11.7)")
    assert not before_fix.holds_on(LINUX_6, "asyncio (CPython 3.13.1)")
    assert not before_fix.holds_on(LINUX_6, "")  # unknown: a range cannot be said to hold
    assert KnownDivergence("TCP-STREAM-015", "r", version=">=1.13").holds_on(LINUX_6, "go1.26.8")


def test_gate_judges_each_target_by_its_own_reported_version():
    run = summary({"UDP-DGRAM-004": {"lib": "pass"}})
    run["targets"]["lib"]["version"] = "3.13.0"
    entry = KnownDivergence("UDP-DGRAM-004", "fixed in 3.13", version="<3.13")
    assert gate.check(run, {"lib": [entry]}, LINUX_6).passed  # not stale: it does not hold for 3.13
    run["targets"]["lib"]["version"] = "3.11.7"
    assert [f.behaviour for f in gate.check(run, {"lib": [entry]}, LINUX_6).stale] == ["UDP-DGRAM-004"]


def test_gate_lists_new_failures_and_stale_entries_and_accepts_known_ones():
    run = summary({"TCP-STREAM-001": {"lib": "fail"}, "TCP-STREAM-002": {"lib": "error"},
                   "TCP-STREAM-003": {"lib": "pass"}, "TCP-STREAM-004": {"lib": "not-applicable"},
                   "TCP-STREAM-005": {"lib": "fail"}})
    known = {"lib": [KnownDivergence("TCP-STREAM-001", "the library buffers"),
                     KnownDivergence("TCP-STREAM-003", "used to fail"),
                     KnownDivergence("TCP-STREAM-004", "cannot tell here"),
                     KnownDivergence("TCP-STREAM-005", "only on old kernels", kernel="<5")]}
    result = gate.check(run, known, LINUX_6)
    assert [f.behaviour for f in result.new_failures] == ["TCP-STREAM-002", "TCP-STREAM-005"]
    assert [f.behaviour for f in result.stale] == ["TCP-STREAM-003"]
    assert [f.behaviour for f in result.known] == ["TCP-STREAM-001"]
    assert [f.behaviour for f in result.unchecked] == ["TCP-STREAM-004"]
    assert result.exit_code == gate.EXIT_FAILED
    text = gate.render(result)
    assert "lib: TCP-STREAM-002 error [ipv4, client]: TCP-STREAM-002 went wrong" in text
    assert "lib: TCP-STREAM-003 (pass); was listed because: used to fail" in text
    assert text.endswith("sockspec gate FAILED: 2 new failure(s), 1 stale entry, 1 known divergence(s) accepted")
    # a CI log is read from its tail: what failed the gate comes last, after what was accepted
    order = [text.index(heading) for heading in ("Known divergences", "Baseline entries not checked",
                                                 "Stale baseline entries", "New failures")]
    assert order == sorted(order)


def test_gate_passes_when_every_failure_is_known_and_every_entry_still_fails():
    run = summary({"TCP-STREAM-001": {"lib": "fail", "other": "pass"}})
    result = gate.check(run, {"lib": [KnownDivergence("TCP-STREAM-001", "why")]}, LINUX_6)
    assert result.passed and result.exit_code == gate.EXIT_PASSED


def test_updating_a_baseline_keeps_reasons_adds_failures_drops_what_passes():
    before = [KnownDivergence("TCP-STREAM-001", "explained"), KnownDivergence("TCP-STREAM-002", "fixed since"),
              KnownDivergence("TCP-STREAM-003", "not run today"), KnownDivergence("TCP-STREAM-004", "mac", os="darwin")]
    after = baseline.updated(before, {"TCP-STREAM-001": "x", "TCP-STREAM-009": "got 3, want 4"},
                             {"TCP-STREAM-002", "TCP-STREAM-004"}, LINUX_6)
    assert [(e.behaviour, e.reason) for e in after] == [
        ("TCP-STREAM-001", "explained"), ("TCP-STREAM-003", "not run today"), ("TCP-STREAM-004", "mac"),
        ("TCP-STREAM-009", "observed: got 3, want 4")]


def test_a_rendered_baseline_reads_back_the_same(tmp_path):
    entries = [KnownDivergence("TCP-STREAM-001", 'says "hi"\\ back', link="https://x.example/a", os="linux",
                               kernel=">=5.10", version="<2")]
    path = write(tmp_path, baseline.render("lib", entries))
    assert baseline.load(path) == entries


# -- the commands, end to end, on an in-process target that ignores TCP_NODELAY ----------------

FAULTY = "lib=python:tests.faulty.adapters:NodelayIgnored"
SELECTION = ["--behaviour", "TCP-STREAM-014", "--behaviour", "TCP-STREAM-007"]  # 014 fails, 007 passes


def sockspec(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_gate_commands_end_to_end(tmp_path):
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    first = sockspec(tmp_path, "run", "--gate", "--baselines", str(baselines), "--report", "out",
                     "--target", FAULTY, *SELECTION, "-q", "-p", "no:randomly")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "New failures (1), not in any baseline:\n  lib: TCP-STREAM-014 fail" in first.stdout
    assert (tmp_path / "out" / "junit.xml").exists() and (tmp_path / "out" / "compliance.html").exists()
    annotated = json.loads((tmp_path / "out" / "summary.json").read_text())["gate"]
    assert not annotated["passed"] and [r["behaviour"] for r in annotated["new_failures"]] == ["TCP-STREAM-014"]
    assert "CI gate: <span class='fail'>FAILED</span>" in (tmp_path / "out" / "compliance.html").read_text()

    written = sockspec(tmp_path, "baseline", "out", "--baselines", str(baselines))
    assert written.returncode == 0, written.stderr
    assert "added TCP-STREAM-014" in written.stdout
    assert [e.behaviour for e in baseline.load(baselines / "lib.toml")] == ["TCP-STREAM-014"]

    matching = sockspec(tmp_path, "gate", "out", "--baselines", str(baselines))
    assert matching.returncode == 0, matching.stdout
    assert "sockspec gate PASSED: 0 new failure(s), 0 stale entries, 1 known divergence(s) accepted" in matching.stdout

    with (baselines / "lib.toml").open("a") as handle:
        handle.write('\n[[known]]\nbehaviour = "TCP-STREAM-007"\nreason = "recv ignored max once"\n')
    stale = sockspec(tmp_path, "gate", "out", "--baselines", str(baselines))
    assert stale.returncode == 1
    assert "Stale baseline entries (1)" in stale.stdout and "lib: TCP-STREAM-007 (pass)" in stale.stdout

    (baselines / "lib.toml").write_text("[[known]]\nbehaviour = 7\n")
    broken = sockspec(tmp_path, "gate", "out", "--baselines", str(baselines))
    assert broken.returncode == 2 and broken.stdout == ""
    assert broken.stderr.strip().startswith("sockspec gate: ") and "behaviour must be a string" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1


def test_run_with_a_bad_baseline_stops_before_running(tmp_path):
    (tmp_path / "lib.toml").write_text('[[known]]\nbehaviour = "TCP-STREAM-014"\n')
    result = sockspec(tmp_path, "run", "--gate", "--baselines", str(tmp_path), "--target", FAULTY, *SELECTION)
    assert result.returncode == 2
    assert "non-empty reason" in result.stderr and "passed" not in result.stdout


# -- targets that did not run: no verdict, unless allowed missing ------------------------------

def without(tmp_path: Path, *tools: str) -> str:
    """A PATH like this one, but where ``tools`` are not found: a machine without them."""
    shadow = tmp_path / "bin"
    shadow.mkdir(exist_ok=True)
    for directory in os.environ["PATH"].split(os.pathsep):
        for entry in Path(directory).glob("*") if Path(directory).is_dir() else ():
            if entry.name not in tools and not (shadow / entry.name).exists():
                (shadow / entry.name).symlink_to(entry)
    return str(shadow)


def sockspec_with_path(cwd: Path, path: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_target_that_did_not_run_is_no_verdict_unless_allowed_missing(tmp_path):
    # node is a shipped adapter whose toolchain is missing here; "gone" is a program that does not exist.
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    (baselines / "node.toml").write_text('[[known]]\nbehaviour = "TCP-STREAM-001"\nreason = "r"\n'
                                         'link = "https://github.com/nodejs/node/issues/1"\n')
    run = ["run", "--gate", "--baselines", str(baselines), "--report", "out", "--target", "reference",
           "--target", "node", "--target", "gone=cmd:/no/such/adapter", "--behaviour", "TCP-STREAM-001",
           "-p", "no:randomly"]
    path = without(tmp_path, "node")
    first = sockspec_with_path(tmp_path, path, *run)
    assert first.returncode == 2, first.stdout + first.stderr
    assert "Targets that did not run (2): no verdict on them" in first.stdout
    assert "  node: unavailable: built-in adapter 'node' needs 'node', which is not on PATH" in first.stdout
    assert "  gone: unavailable: cannot start adapter '/no/such/adapter'" in first.stdout
    assert ("node: TCP-STREAM-001 (not checked: target did not run) <https://github.com/nodejs/node/issues/1>"
            in first.stdout)
    assert "sockspec gate NO VERDICT" in first.stdout
    data = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert data["targets"]["reference"]["status"] == "ran"
    assert data["targets"]["node"]["status"] == "unavailable"
    assert "needs 'node'" in data["targets"]["node"]["status_reason"]
    assert data["targets"]["gone"]["status"] == "unavailable"
    assert data["gate"]["verdict"] == "no verdict" and not data["gate"]["passed"]

    allowed = sockspec_with_path(tmp_path, path, *run, "--allow-missing", "node", "--allow-missing", "gone")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "Targets that did not run, allowed missing (2):" in allowed.stdout
    assert "sockspec gate PASSED" in allowed.stdout
    html = (tmp_path / "out" / "compliance.html").read_text()
    assert "Targets that did not run, allowed missing (2)" in html and "DID NOT RUN: unavailable" in html

    rejudged = sockspec(tmp_path, "gate", "out", "--baselines", str(baselines), "--allow-missing", "node")
    assert rejudged.returncode == 2 and "  gone: unavailable" in rejudged.stdout
    unknown = sockspec(tmp_path, "gate", "out", "--baselines", str(baselines), "--allow-missing", "nobody")
    assert unknown.returncode == 2 and "--allow-missing nobody: no such target in this run" in unknown.stderr


def test_a_target_without_one_applicable_case_is_no_verdict():
    run = summary({"TCP-STREAM-001": {"lib": "not-applicable", "other": "pass"}})
    result = gate.check(run, {}, LINUX_6)
    assert [(m.target, m.status) for m in result.missing] == [("lib", "no-applicable-case")]
    assert result.exit_code == gate.EXIT_UNUSABLE and "no applicable case (1 not-applicable)" in gate.render(result)
    assert gate.check(run, {}, LINUX_6, allow_missing=["lib"]).exit_code == gate.EXIT_PASSED


def test_a_target_whose_cases_all_errored_after_starting_ran_and_fails():
    run = summary({"TCP-STREAM-001": {"lib": "error"}})  # started, then crashed: a real failure
    assert gate.check(run, {}, LINUX_6).exit_code == gate.EXIT_FAILED
    run["results"][0]["unavailable"] = "cannot start adapter './lib': No such file or directory"
    assert gate.check(run, {}, LINUX_6).exit_code == gate.EXIT_UNUSABLE


def test_failures_of_targets_that_ran_win_over_a_missing_target():
    run = summary({"TCP-STREAM-001": {"lib": "fail", "other": "not-applicable"}})
    result = gate.check(run, {}, LINUX_6)
    assert result.missing and result.exit_code == gate.EXIT_FAILED


# -- flaky cases ---------------------------------------------------------------------------------

def test_the_gate_fails_a_flaky_case_unless_its_entry_says_flaky():
    run = summary({"TCP-STREAM-001": {"lib": "flaky"}})
    assert [f.behaviour for f in gate.check(run, {}, LINUX_6).new_failures] == ["TCP-STREAM-001"]
    plain = gate.check(run, {"lib": [KnownDivergence("TCP-STREAM-001", "fails")]}, LINUX_6)
    assert not plain.passed and "does not say flaky = true" in plain.new_failures[0].detail
    flaky = gate.check(run, {"lib": [KnownDivergence("TCP-STREAM-001", "a race", flaky=True)]}, LINUX_6)
    assert flaky.passed and [f.verdict for f in flaky.known] == ["flaky"]
    passing = summary({"TCP-STREAM-001": {"lib": "pass"}})  # a flaky entry that passed once is not stale
    assert gate.check(passing, {"lib": [KnownDivergence("TCP-STREAM-001", "a race", flaky=True)]}, LINUX_6).passed


FLAKY = "flaky=python:tests.faulty.flaky:NodelayIgnoredEveryOtherRun"


def test_a_target_that_alternates_is_flaky_in_every_report_and_gated(tmp_path):
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    run = sockspec(tmp_path, "run", "--gate", "--baselines", str(baselines), "--report", "out", "--target", FLAKY,
                   "--behaviour", "TCP-STREAM-014", "--sockspec-repeat", "2", "-p", "no:randomly", "-q")
    assert run.returncode == 1, run.stdout + run.stderr
    # -q: the progress line carries no path, so it cannot wrap between the letters whatever the width
    assert "KKKK" in run.stdout and "4 flaky" in run.stdout  # the letter K, the word in the summary line
    assert "flaky over 2 repeats: pass, fail" in run.stdout
    assert "New failures (1), not in any baseline:\n  flaky: TCP-STREAM-014 flaky" in run.stdout
    out = tmp_path / "out"
    data = json.loads((out / "summary.json").read_text())
    assert {r["grade"] for r in data["results"]} == {"flaky"}
    assert [r["repeats"] for r in data["results"]] == [["pass", "fail"]] * 4
    assert "nodelay reads back after setting True" in data["results"][0]["evidence"]
    assert data["matrix"]["TCP-STREAM-014"] == {"flaky": "flaky"}
    assert "class='grade flaky' data-target='flaky' data-verdict='flaky'" in (out / "compliance.html").read_text()
    assert (out / "junit.xml").read_text().count('type="flaky"') == 4
    categories = json.loads((out / "allure-results" / "categories.json").read_text())
    assert categories[0]["name"].startswith("Flaky")
    tagged = [json.loads(p.read_text()) for p in (out / "allure-results").glob("*-result.json")]
    assert all({"name": "tag", "value": "flaky"} in r["labels"] for r in tagged) and len(tagged) == 4

    written = sockspec(tmp_path, "baseline", "out", "--baselines", str(baselines))
    assert written.returncode == 0, written.stderr
    assert baseline.load(baselines / "flaky.toml")[0].flaky
    assert sockspec(tmp_path, "gate", "out", "--baselines", str(baselines)).returncode == 0
    (baselines / "flaky.toml").write_text('[[known]]\nbehaviour = "TCP-STREAM-014"\nreason = "x"\n')
    assert sockspec(tmp_path, "gate", "out", "--baselines", str(baselines)).returncode == 1


# -- baseline files: links, comments, escaping ------------------------------------------------------

@pytest.mark.parametrize("link", ["javascript:alert(1)", "ftp://x.example/a", "https://", "x.example/issue/1",
                                  "https://x.example/a b", "https://x.example/'><script>"])
def test_a_link_must_be_an_http_url(tmp_path, link):
    text = f'[[known]]\nbehaviour = "TCP-STREAM-001"\nreason = "x"\nlink = {json.dumps(link)}\n'
    with pytest.raises(BaselineError, match="is not an http\\(s\\) URL"):
        baseline.load(write(tmp_path, text))


def test_a_link_is_shown_wherever_its_entry_is(tmp_path):
    from reports import compliance_html, junit
    run = summary({"TCP-STREAM-001": {"lib": "fail"}, "TCP-STREAM-002": {"lib": "pass"}})
    issue = "https://github.com/example/lib/issues/42?x=1&y=2"
    entries = {"lib": [KnownDivergence("TCP-STREAM-001", "upstream bug", link=issue),
                       KnownDivergence("TCP-STREAM-002", "fixed", link=issue)]}
    result = gate.check(run, entries, LINUX_6)
    assert f"lib: TCP-STREAM-001 (fail): upstream bug <{issue}>" in gate.render(result)
    assert f"was listed because: fixed <{issue}>" in gate.render(result)
    run.update(generated="now", host={"platform": "linux"}, behaviours=[], behaviour_totals={}, shares={},
               gate=gate.as_json(result, "baselines"))
    assert run["gate"]["known"][0]["link"] == issue
    html = compliance_html.render(run)
    assert "<a class=issue href='https://github.com/example/lib/issues/42?x=1&amp;y=2'>" in html
    assert f'<property name="baseline.TCP-STREAM-001.link" value="{issue.replace("&", "&amp;")}" />' \
        in junit.render(run)


BASELINE_WITH_COMMENTS = """\
# Our library's known divergences; ask #sockets before adding one.

[[known]]
behaviour = "TCP-STREAM-014"   # the one that still fails
reason = "setsockopt is a no-op on our fake kernel"

# Fixed in 2.1: this entry should go.
[[known]]
behaviour = "TCP-STREAM-007"
reason = "recv ignored max once"

# Not checked by the run below: kept, with this comment.
[[known]]
behaviour  =  'UDP-DGRAM-004'
reason = 'literal string, odd spacing'
"""


def test_updating_a_baseline_keeps_comments_and_formatting(tmp_path):
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    (baselines / "lib.toml").write_text(BASELINE_WITH_COMMENTS)
    run = sockspec(tmp_path, "run", "--report", "out", "--target", FAULTY, *SELECTION, "-p", "no:randomly")
    assert run.returncode == 1, run.stdout + run.stderr
    assert sockspec(tmp_path, "baseline", "out", "--baselines", str(baselines)).returncode == 0
    text = (baselines / "lib.toml").read_text()
    assert text == BASELINE_WITH_COMMENTS.replace(
        '# Fixed in 2.1: this entry should go.\n[[known]]\nbehaviour = "TCP-STREAM-007"\n'
        'reason = "recv ignored max once"\n\n', "")


def test_a_reason_with_quotes_and_control_characters_round_trips(tmp_path):
    tricky = KnownDivergence("TCP-STREAM-001", 'says "hi"\\ back\x01\x1f\ttab\nline', link="https://x.example/a")
    path = write(tmp_path, baseline.render("lib", [tricky]))
    assert baseline.load(path) == [tricky]
    path.write_text(baseline.render("lib", [tricky, KnownDivergence("TCP-STREAM-002", "\x7f")], path.read_text()))
    assert baseline.load(path) == [tricky, KnownDivergence("TCP-STREAM-002", "\x7f")]
