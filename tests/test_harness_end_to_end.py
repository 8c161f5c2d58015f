"""The suite run as a user runs it (pytest in a subprocess): targets that misbehave, bad
input, selection, grades and reports."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUITE = str(ROOT / "conformance")
MISBEHAVING = f"{sys.executable} {ROOT / 'tests/faulty/programs/misbehaving_adapter.py'}"


# pytester gives each run a scratch HOME; toolchains (rustup, Go, Maven, npm) live in the real one.
REAL_HOME = os.path.expanduser("~")


def run_suite(pytester, *args):
    pytester.syspathinsert(ROOT)
    env_path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    pytester._monkeypatch.setenv("PYTHONPATH", env_path)
    pytester._monkeypatch.setenv("HOME", REAL_HOME)
    return pytester.runpytest_subprocess(SUITE, "-p", "no:cacheprovider", "-p", "no:randomly", *args)


def leftover_processes(marker: str) -> list[str]:
    """Processes whose command line holds ``marker`` and that this test's runs started: they
    carry its SOCKSPEC_TEST_RUN (tests/conftest.py), so another test's live server, on another
    xdist worker, is not taken for a leftover of this one."""
    tag = f"SOCKSPEC_TEST_RUN={os.environ.get('SOCKSPEC_TEST_RUN', '')}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                ours = tag in (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker in cmdline and ours:
                found.append(f"{entry.name}: {cmdline}")
    return found


def test_malformed_target_is_one_usage_error(pytester):
    result = run_suite(pytester, "--target", "nonsense")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--target 'nonsense': unknown target" in result.stderr.str()
    result.stdout.no_fnmatch_line("*passed*")


def test_unimportable_python_target_is_a_usage_error(pytester):
    result = run_suite(pytester, "--target", "python:no_such_module_here:Adapter")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "cannot import 'no_such_module_here'" in result.stderr.str()


def test_unknown_behaviour_prefix_is_a_usage_error(pytester):
    result = run_suite(pytester, "--behaviour", "NO-SUCH-AREA")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "matches no behaviour" in result.stderr.str()


def test_program_that_does_not_exist_errors_once_per_test_and_run_goes_on(pytester):
    result = run_suite(pytester, "--behaviour", "TCP-STREAM-001", "--target", "reference",
                       "--target", "ghost=cmd:/no/such/adapter-program")
    result.assert_outcomes(passed=4, errors=4)
    result.stdout.fnmatch_lines(["*adapter fault*cannot start adapter '/no/such/adapter-program'*"])


@pytest.mark.parametrize("mode, expected", [
    ("crash", "*exited with status 3 while handling 'tcp.accept'*"),
    ("hang", "*did not answer 'tcp.accept' within * s (its timeout * s + * s grace)*killed*"),
    ("garbage", "*wrote a non-protocol line in answer to 'tcp.accept'*this is not json*"),
])
def test_misbehaving_adapter_errors_the_test_and_the_run_completes(pytester, mode, expected):
    marker = f"sockspec-marker-{uuid.uuid4().hex}"
    result = run_suite(pytester, "--behaviour", "TCP-STREAM-001", "--behaviour", "TCP-STREAM-009",
                       "--adapter-grace", "0.5", "--target", f"bad=cmd:{MISBEHAVING} {mode} tcp.accept {marker}")
    # With the target as server, TCP-STREAM-001 needs its accept (errors); as client, and in
    # TCP-STREAM-009, it never accepts (passes, on the restarted adapter).
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines([expected])
    if mode == "crash":
        result.stdout.fnmatch_lines(["*stderr tail:", "misbehaving adapter: crashing on tcp.accept"])
    assert leftover_processes(marker) == []


def test_hung_in_process_target_errors_and_the_run_ends(pytester):
    result = run_suite(pytester, "--behaviour", "TCP-STREAM-001", "--adapter-grace", "0.3",
                       "--target", "python:tests.faulty.adapters:HangsOnAccept")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(["*did not answer 'tcp.accept' within*"])


def test_faulty_target_fails_with_evidence(pytester):
    result = run_suite(pytester, "--behaviour", "TCP-STREAM-009",
                       "--target", "python:tests.faulty.adapters:RefusedAsTimeout")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*TCP-STREAM-009 broke the rule at check 'connect outcome': got 'ETIMEDOUT'*",
        "*target (RefusedAsTimeout)*|*reference*",
    ])


def test_missing_feature_is_not_applicable_never_passed(pytester):
    marker = f"sockspec-marker-{uuid.uuid4().hex}"
    result = run_suite(pytester, "--behaviour", "TCP-STREAM-001", "-rs",
                       "--target", f"v4=cmd:{MISBEHAVING} ok none --features tcp,ipv4 {marker}")
    assert result.ret == pytest.ExitCode.OK
    assert result.parseoutcomes() | {"deselected": 0} == {"passed": 2, "inapplicable": 2, "deselected": 0}
    result.stdout.fnmatch_lines(["*not applicable: target 'v4' lacks feature(s) ipv6*"])


def test_a_stray_datagram_is_set_aside_not_blamed_on_the_target(pytester):
    result = run_suite(pytester, "--behaviour", "UDP-READY-001",
                       "--target", "python:tests.faulty.more_readiness:StrayAfterTheLastDatagram")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert result.parseoutcomes()["passed"] == 2


def test_allowed_divergence_is_graded_apart(pytester, tmp_path):
    result = run_suite(pytester, "--behaviour", "TCP-STREAM-010", "--alluredir", str(tmp_path),
                       "--target", "python:tests.faulty.adapters:PosixUnconnectedSend")
    assert result.ret == pytest.ExitCode.OK
    assert result.parseoutcomes()["divergent"] == 2
    result.stdout.fnmatch_lines(["*allowed divergence*'ENOTCONN'*'EPIPE'*"])
    # In Allure: the divergences above both traces, and the traces as data.
    case = json.loads(next(tmp_path.glob("*-result.json")).read_text())
    attached = {a["name"]: (tmp_path / a["source"]).read_text() for a in case["attachments"]}
    assert sorted(attached) == ["traces (target | reference)", "traces.json"]
    text = attached["traces (target | reference)"]
    assert text.startswith("allowed divergences:\n") and "ENOTCONN" in text and "| reference" in text


def test_reports_are_written(pytester, tmp_path):
    out = tmp_path / "report"
    allure = tmp_path / "allure"
    result = run_suite(pytester, "--behaviour", "TCP-PASSIVE-00", "--sockspec-report", str(out),
                       "--alluredir", str(allure), "--target", "reference",
                       "--target", "bad=python:tests.faulty.adapters:ListenerPeerIsLocal")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    summary = json.loads((out / "summary.json").read_text())
    assert summary["matrix"]["TCP-PASSIVE-003"] == {"reference": "pass", "bad": "fail"}
    assert summary["matrix"]["TCP-PASSIVE-001"] == {"reference": "pass", "bad": "pass"}
    assert summary["matrix"]["TCP-STREAM-001"] == {"reference": "not-run", "bad": "not-run"}
    html = (out / "compliance.html").read_text()
    assert "TCP-PASSIVE-003" in html and "class='grade fail'" in html
    assert (allure / "environment.properties").exists() and (allure / "categories.json").exists()
    attached = {}
    for path in allure.glob("*-result.json"):
        case = json.loads(path.read_text())
        target = {p["name"]: p["value"] for p in case["parameters"]}["target"].strip("'")
        attached[case["name"].split(" ", 1)[0], target, case["status"]] = sorted(
            a["name"] for a in case.get("attachments", []))
    # Every case shows its traces; a failure also its first difference and the traces as data.
    assert attached["TCP-PASSIVE-003", "bad", "failed"] == ["first difference", "traces (target | reference)",
                                                             "traces.json"]
    assert attached["TCP-PASSIVE-003", "reference", "passed"] == ["traces (target | reference)"]


def test_whole_suite_over_the_subprocess_reference_in_parallel(pytester):
    result = run_suite(pytester, "-n", "2", "--target", "sub=cmd:python -m reference_impl.adapter")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) > 100 and "failed" not in outcomes and "errors" not in outcomes, outcomes
