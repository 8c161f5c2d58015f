"""Shared helpers for the project's own tests."""

from __future__ import annotations

import os

import pytest

from conformance.plugin import Case, check_case
from conformance.scenario import SCENARIOS
from conformance.scenarios import load_all
from fixtures.endpoint import Endpoint
from fixtures.pingers import PingTarget
from fixtures.programs import ProgramTarget
from fixtures.target_spec import TargetSpec, parse_target
from fixtures.targets import Target, make_target
from fixtures.transports import InProcessTransport

pytest_plugins = ["pytester"]


def in_process_target(adapter_class, label: str = "under-test") -> Target:
    spec = TargetSpec(label, "python", f"tests:{adapter_class.__name__}", label)
    return Target(spec, lambda: InProcessTransport(adapter_class(), f"{label} ({adapter_class.__name__})"))


@pytest.fixture(autouse=True)
def own_port_slot(monkeypatch):
    """Runs of the suite that a test starts (pytester) take ports from a slot of their own,
    apart from the other worker's runs: port ranges follow xdist worker numbers, and every
    nested run's workers are numbered from gw0 again."""
    from fixtures.ports import worker_index
    monkeypatch.setenv("SOCKSPEC_PORT_SLOT", str(1 + worker_index()))


@pytest.fixture(autouse=True)
def test_run_tag(monkeypatch, request):
    """A tag every process this test starts inherits, so a check for leftover processes finds
    this test's own (tests/test_harness_end_to_end.leftover_processes), not another worker's."""
    monkeypatch.setenv("SOCKSPEC_TEST_RUN", f"{os.getpid()}-{abs(hash(request.node.nodeid))}")


@pytest.fixture(autouse=True)
def quick_operations(monkeypatch):
    """Operations that should complete at once get 1 s, so a faulty target fails sooner."""
    monkeypatch.setattr(Endpoint, "default_timeout", 1.0)


def grade_behaviour(behaviour_id: str, implementation, stop_at_first_failure: bool = False
                    ) -> list[tuple[Case, str, str]]:
    """Grade the cases of one behaviour against an in-process adapter class, or an echo program
    (anything with ``target_spec()``): a list of (case, grade, headline)."""
    return [(case, verdict.grade, verdict.headline)
            for case, verdict in grade_cases(behaviour_id, implementation, stop_at_first_failure)]


def grade_cases(behaviour_id: str, implementation, stop_at_first_failure: bool = False,
                until=None) -> list[tuple[Case, object]]:
    """The verdict of every case of one behaviour under ``implementation``; stops early at the
    first failure, or at the first verdict ``until(verdict)`` accepts."""
    load_all()
    if hasattr(implementation, "target_spec"):
        spec = parse_target(implementation.target_spec())
        if spec.kind in ("cmd", "reference"):
            target, kind = make_target(spec, grace=2.0), "adapter"
        else:
            target = PingTarget(spec) if spec.kind == "ping" else ProgramTarget(spec)
            kind = target.kind
    else:
        target, kind = in_process_target(implementation), "adapter"
    results = []
    try:
        for scenario in SCENARIOS[behaviour_id]:
            spec = scenario.sockspec
            if kind not in spec.target_kinds:
                continue
            for family in spec.families:
                for seat in spec.seats:
                    case = Case(target.label, family, seat)
                    verdict = check_case(scenario, spec, case, target)
                    results.append((case, verdict))
                    if (stop_at_first_failure and verdict.grade == "fail") or (until and until(verdict)):
                        return results
    finally:
        target.close()
    return results
