"""Every behaviour check is proven able to fail: a faulty target for each must be caught."""

import pytest

from conformance import catalogue
from tests.conftest import grade_behaviour
from tests.faulty.adapters import FAULT_FOR_BEHAVIOUR
from reference_impl.engine import ReferenceAdapter

BEHAVIOURS = sorted(catalogue.load())


def test_every_behaviour_has_a_fault():
    assert sorted(FAULT_FOR_BEHAVIOUR) == BEHAVIOURS


@pytest.mark.parametrize("behaviour_id", BEHAVIOURS)
def test_fault_is_caught(behaviour_id):
    fault = FAULT_FOR_BEHAVIOUR[behaviour_id]
    results = grade_behaviour(behaviour_id, fault, stop_at_first_failure=True)
    failed = [case.id for case, grade, _ in results if grade == "fail"]
    name = getattr(fault, "__name__", None) or repr(fault)
    assert failed, f"{name} ({(fault.__doc__ or '').strip()}) was not caught by {behaviour_id}: {results}"


@pytest.mark.parametrize("behaviour_id", BEHAVIOURS)
def test_reference_passes(behaviour_id):
    results = grade_behaviour(behaviour_id, ReferenceAdapter)
    assert results and all(grade == "pass" for _, grade, _ in results), results
