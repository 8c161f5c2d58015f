"""Every behaviour check is proven able to fail: a faulty target for each must be caught."""

import pytest

from conformance import catalogue
from conformance.scenario import SCENARIOS
from conformance.scenarios import load_all
from tests.conftest import grade_behaviour
from tests.faulty.adapters import FAULT_FOR_BEHAVIOUR, BadPing
from fixtures.pingers import REFERENCE_PING
from reference_impl.engine import ReferenceAdapter

BEHAVIOURS = sorted(catalogue.load())


def test_every_behaviour_has_a_fault():
    assert sorted(FAULT_FOR_BEHAVIOUR) == BEHAVIOURS


FAULTS = [(behaviour_id, fault) for behaviour_id, faults in sorted(FAULT_FOR_BEHAVIOUR.items())
          for fault in (faults if isinstance(faults, tuple) else (faults,))]


@pytest.mark.parametrize("behaviour_id, fault", FAULTS,
                         ids=[f"{b}-{getattr(f, '__name__', None) or f.mode}" for b, f in FAULTS])
def test_fault_is_caught(behaviour_id, fault):
    results = grade_behaviour(behaviour_id, fault, stop_at_first_failure=True)
    failed = [case.id for case, grade, _ in results if grade == "fail"]
    name = getattr(fault, "__name__", None) or repr(fault)
    assert failed, f"{name} ({(fault.__doc__ or '').strip()}) was not caught by {behaviour_id}: {results}"


def test_every_echo_scenario_has_a_faulty_program():
    """Behaviours that also run against echo programs are proven able to fail there too."""
    load_all()
    for behaviour_id, scenarios in SCENARIOS.items():
        if any(s.sockspec.echo for s in scenarios):
            faults = FAULT_FOR_BEHAVIOUR[behaviour_id]
            faults = faults if isinstance(faults, tuple) else (faults,)
            assert any(hasattr(f, "target_spec") for f in faults), behaviour_id


def test_every_pinger_fault_breaks_only_what_it_says():
    """The faulty pingers differ from a correct one in one way each: the exit-status fault
    still sends well-formed, answered requests."""
    results = grade_behaviour("ICMP-PING-001", BadPing("exits-1"))
    assert results and all(grade == "pass" for _, grade, _ in results), results


class ReferencePinger:
    """The reference ping program, as a target."""
    @staticmethod
    def target_spec() -> str:
        return "ref=ping:" + REFERENCE_PING


class ReferenceTarget:
    """The reference as --target reference builds it (with its unprivileged twin)."""
    @staticmethod
    def target_spec() -> str:
        return "reference"


@pytest.mark.parametrize("behaviour_id", BEHAVIOURS)
def test_reference_passes(behaviour_id):
    load_all()
    if behaviour_id.startswith("ICMP-PING"):
        reference = ReferencePinger
    elif any(s.sockspec.isolation for s in SCENARIOS[behaviour_id]):
        reference = ReferenceTarget
    else:
        reference = ReferenceAdapter
    results = grade_behaviour(behaviour_id, reference)
    assert results and all(grade == "pass" for _, grade, _ in results), results


