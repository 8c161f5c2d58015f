"""Every behaviour check is proven able to fail: a faulty target for each must be caught."""

import pytest

from conformance import catalogue
from conformance.scenario import SCENARIOS
from conformance.scenarios import load_all
from tests.conftest import grade_behaviour
from tests.faulty.adapters import FAULT_FOR_BEHAVIOUR
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


@pytest.mark.parametrize("behaviour_id", BEHAVIOURS)
def test_reference_passes(behaviour_id):
    results = grade_behaviour(behaviour_id, ReferenceAdapter)
    assert results and all(grade == "pass" for _, grade, _ in results), results
