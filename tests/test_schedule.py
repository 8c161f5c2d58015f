"""How cases go to xdist workers (conformance/schedule.py): one unit per reference run,
units longest first; and the shipped adapters' builds, one lane per toolchain."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from conformance import plugin, schedule
from conformance.schedule import order_by_unit, unit_of


def test_a_unit_is_a_behaviour_test_family_and_seat_whatever_the_target():
    assert unit_of("s/test_w.py::test_keepalive[c-ipv4-client]") == "s/test_w.py::test_keepalive[ipv4-client]"
    assert unit_of("s/test_w.py::test_keepalive[netty-epoll-ipv4-client]") == "s/test_w.py::test_keepalive[ipv4-client]"
    # A family with a dash of its own is read whole, not as "ipv4" of a target "…-mapped".
    assert unit_of("s/t.py::test_x[pion-sctp-ipv4-mapped-client+server]") == "s/t.py::test_x[ipv4-mapped-client+server]"


def test_a_node_id_that_is_not_a_case_is_a_unit_of_its_own():
    for nodeid in ("tests/t.py::test_plain", "tests/t.py::test_p[1-2]", "tests/t.py::test_p[a-b-c]"):
        assert unit_of(nodeid) == nodeid


def _item(behaviour: str, nodeid: str):
    spec = SimpleNamespace(behaviour=SimpleNamespace(id=behaviour))
    return SimpleNamespace(nodeid=nodeid, function=SimpleNamespace(sockspec=spec))


def test_units_come_together_longest_first(monkeypatch):
    monkeypatch.setattr(schedule, "case_seconds", lambda: {"SLOW-1": 4.0, "MID-1": 1.0})
    items = [_item(b, f"t.py::test_{b}[{target}-{family}-client]")
             for target in ("reference", "c") for b in ("FAST-1", "MID-1", "SLOW-1") for family in ("ipv4", "ipv6")]
    order_by_unit(items)
    assert [i.nodeid for i in items] == [
        "t.py::test_SLOW-1[reference-ipv4-client]", "t.py::test_SLOW-1[c-ipv4-client]",
        "t.py::test_SLOW-1[reference-ipv6-client]", "t.py::test_SLOW-1[c-ipv6-client]",
        "t.py::test_MID-1[reference-ipv4-client]", "t.py::test_MID-1[c-ipv4-client]",
        "t.py::test_MID-1[reference-ipv6-client]", "t.py::test_MID-1[c-ipv6-client]",
        "t.py::test_FAST-1[reference-ipv4-client]", "t.py::test_FAST-1[c-ipv4-client]",
        "t.py::test_FAST-1[reference-ipv6-client]", "t.py::test_FAST-1[c-ipv6-client]",
    ]


def test_the_measured_seconds_name_behaviours_of_the_catalogue():
    from conformance import catalogue
    known = set(catalogue.load())
    measured = schedule.case_seconds()
    assert measured, "conformance/case_seconds.json is missing or unreadable"
    assert set(measured) <= known, f"not in the catalogue: {sorted(set(measured) - known)}"


def test_builds_run_one_lane_per_toolchain(monkeypatch):
    """Builds of different toolchains overlap; two that share a toolchain never do."""
    running: dict[str, int] = {}
    overlapped_across, overlapped_within = threading.Event(), []
    guard = threading.Lock()
    tool_of = {"c": "cc", "libuv": "cc", "java": "mvn", "netty": "mvn", "go": "go"}

    def fake_build(name, announce=None):
        tool = tool_of[name]
        with guard:
            if running.get(tool):
                overlapped_within.append(name)
            running[tool] = running.get(tool, 0) + 1
            if sum(1 for count in running.values() if count) > 1:
                overlapped_across.set()
        overlapped_across.wait(0.5)
        time.sleep(0.01)
        with guard:
            running[tool] -= 1
        return ["true"]

    monkeypatch.setattr(plugin, "adapter_command", fake_build)
    monkeypatch.setattr(plugin, "manifest", lambda name: SimpleNamespace(in_process=False, tools=[tool_of[name]]))
    specs = [SimpleNamespace(kind="builtin", value=name, label=name) for name in tool_of]
    plugin._build_shipped_adapters(specs)
    assert overlapped_across.is_set()
    assert overlapped_within == []
