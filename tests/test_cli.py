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
