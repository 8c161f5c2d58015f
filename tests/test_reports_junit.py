"""junit.xml validates against the JUnit schema CI systems read (tests/data/junit-10.xsd, the
Jenkins xUnit plugin's), for every grade, with evidence that XML 1.0 cannot hold as it is."""

from pathlib import Path

import pytest

from reports import gate, junit, summary
from reports.baseline import KnownDivergence, Platform

etree = pytest.importorskip("lxml.etree", reason="lxml (pip install -e '.[test]') validates the JUnit XML")

SCHEMA = Path(__file__).resolve().parent / "data" / "junit-10.xsd"
GRADES = ("pass", "divergent", "fail", "flaky", "error", "not-applicable", "skipped")


def case(behaviour, target, grade, **extra):
    return {"behaviour": behaviour, "target": target, "family": "ipv4", "seat": "client", "grade": grade,
            "detail": f"{grade}: detail", "nodeid": "n", "adapter": None, **extra}


def validate(text: str) -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    document = etree.fromstring(text.encode("utf-8"))
    assert schema.validate(document), schema.error_log


def test_every_grade_validates_and_keeps_its_meaning():
    results = [case(f"TCP-STREAM-{n:03d}", "lib", grade) for n, grade in enumerate(GRADES, start=1)]
    results[2]["evidence"] = "first difference\n  target | reference"
    results[3]["repeats"] = ["pass", "fail"]
    data = summary.build(results, {"lib": {"spec": "cmd:./lib"}, "gone": {"spec": "cmd:./gone"}})
    text = junit.render(data)
    validate(text)
    root = etree.fromstring(text.encode())
    lib = root.find("testsuite[@name='sockspec.lib']")
    assert (lib.get("tests"), lib.get("failures"), lib.get("errors"), lib.get("skipped")) == ("7", "2", "1", "2")
    assert [f.get("type") for f in lib.iter("failure")] == ["fail", "flaky"]
    assert lib.find("testcase/error").get("type") == "error"
    assert [s.get("type") for s in lib.iter("skipped")] == ["not-applicable", "skipped"]
    assert "allowed divergence" in lib.find("testcase/system-out").text
    gone = root.find("testsuite[@name='sockspec.gone']")
    assert gone.get("tests") == "0"
    assert gone.find("properties/property[@name='target.status']").get("value") == "no-applicable-case"


def test_control_characters_from_an_adapter_become_visible_escapes():
    garbage = "adapter wrote \x00\x01\x1b[31m\ufffe and quit"
    data = summary.build([case("TCP-STREAM-001", "lib", "error", detail=garbage, evidence=garbage)],
                         {"lib": {"spec": "c"}})
    text = junit.render(data)
    validate(text)
    error = etree.fromstring(text.encode()).find("testsuite/testcase/error")
    assert error.get("message") == "adapter wrote \\x00\\x01\\x1b[31m\\xfffe and quit" == error.text


def test_a_gated_run_validates_with_its_baseline_links():
    data = summary.build([case("TCP-STREAM-001", "lib", "fail")], {"lib": {"spec": "c"}})
    entry = KnownDivergence("TCP-STREAM-001", "upstream", link="https://example.org/issues/1?a=1&b=2")
    data["gate"] = gate.as_json(gate.check(data, {"lib": [entry]}, Platform("linux", "6.1.0")), "baselines")
    text = junit.render(data)
    validate(text)
    link = etree.fromstring(text.encode()).find("testsuite/properties/property[@name='baseline.TCP-STREAM-001.link']")
    assert link.get("value") == "https://example.org/issues/1?a=1&b=2"
