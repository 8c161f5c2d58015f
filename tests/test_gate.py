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
