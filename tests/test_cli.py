"""The sockspec command: sub-commands, bad arguments, re-rendering reports."""

import json
import xml.etree.ElementTree as ET

import pytest

from conformance import cli
from reports import summary


def report_dir(tmp_path):
    results = [{"behaviour": "TCP-STREAM-001", "target": "lib", "family": "ipv4", "seat": "client",
                "grade": "fail", "detail": "differs", "evidence": "first difference, at check 'x'", "nodeid": "n",
                "adapter": "lib 1.0 (c, protocol 1.1)"},
               {"behaviour": "TCP-STREAM-002", "target": "lib", "family": "ipv6", "seat": "server",
                "grade": "not-applicable", "detail": "not applicable: ipv6", "nodeid": "n", "adapter": None}]
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps(summary.build(results, {"lib": {"spec": "c"}})))
    return out


def test_report_rerenders_html_and_junit_from_the_summary(tmp_path, capsys):
    out = report_dir(tmp_path)
    assert cli.main(["report", str(out)]) == 0
    assert "junit.xml" in capsys.readouterr().out
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert suite.get("name") == "sockspec.lib" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    failure = suite.find("testcase/failure")
    assert failure.get("message") == "differs" and "first difference" in failure.text
    html = (out / "compliance.html").read_text()
    assert "first difference, at check &#x27;x&#x27;" in html and "MUST" in html


@pytest.mark.parametrize("argv, message", [
    (["report", "nowhere"], "sockspec report: nowhere: no such file"),
    (["gate", "nowhere"], "sockspec gate: nowhere: no such file"),
    (["run", "--baselines", "b"], "sockspec run: --baselines is only used with --gate"),
    (["run", "--gate", "--baselines", "no-such-dir"], "sockspec run: --baselines no-such-dir: no such directory"),
])
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == message or err.startswith(message)
    assert len(err.splitlines()) == 1


def test_baseline_for_a_target_not_in_the_run_is_refused(tmp_path, capsys):
    out = report_dir(tmp_path)
    assert cli.main(["baseline", str(out), "--target", "other", "--baselines", str(tmp_path / "b")]) == 2
    assert "no target other in this run (targets: lib)" in capsys.readouterr().err


def test_a_file_that_is_not_a_summary_is_refused(tmp_path, capsys):
    (tmp_path / "summary.json").write_text('{"tests": []}')
    assert cli.main(["gate", str(tmp_path)]) == 2
    assert "not a sockspec summary of schema 1" in capsys.readouterr().err


def test_unknown_command_is_argparse_usage(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["frobnicate"])
    assert exit_.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_shares_count_applicable_behaviours_and_must_apart():
    results = [{"behaviour": b, "target": "t", "family": "ipv4", "seat": "client", "grade": g, "detail": ""}
               for b, g in (("TCP-STREAM-001", "pass"), ("TCP-STREAM-002", "fail"), ("TCP-STREAM-003", "not-applicable"))]
    data = summary.build(results, {"t": {}})
    levels = {b["id"]: b["level"] for b in data["behaviours"]}
    tally = data["shares"]["t"]["all"]
    assert (tally["applicable"], tally["passed"]) == (2, 1)
    assert tally["must_applicable"] == sum(levels[b] == "MUST" for b in ("TCP-STREAM-001", "TCP-STREAM-002"))


def run_cli(*args: str):
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_exclude_leaves_out_behaviours_by_prefix():
    kept = run_cli("run", "--collect-only", "-q", "--behaviour", "TCP-STREAM-00", "--exclude", "tcp-stream-001",
                   "--exclude", "TCP-STREAM-009")
    everything = run_cli("run", "--collect-only", "-q", "--behaviour", "TCP-STREAM-00")
    assert kept.returncode == 0 == everything.returncode, kept.stdout + kept.stderr
    ids = lambda out: [line for line in out.splitlines() if "::" in line]  # noqa: E731
    left_out = set(ids(everything.stdout)) - set(ids(kept.stdout))
    assert set(ids(kept.stdout)) < set(ids(everything.stdout)) and left_out
    assert all("test_connect_and_accept_agree_on_addresses" in n or "refused" in n for n in left_out), left_out


def test_an_exclude_prefix_that_matches_nothing_is_a_usage_error():
    result = run_cli("run", "--collect-only", "-q", "--exclude", "NO-SUCH-AREA")
    assert result.returncode == 4
    assert "--exclude 'NO-SUCH-AREA' matches no behaviour" in result.stderr


def test_allow_missing_without_gate_is_a_usage_error(capsys):
    assert cli.main(["run", "--allow-missing", "java"]) == 2
    assert capsys.readouterr().err.strip() == "sockspec run: --allow-missing is only used with --gate"
