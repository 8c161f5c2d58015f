"""Every check is proven able to fail: for each named check of each behaviour, a faulty
target under which that check is the first one the target gets wrong.

The checks a behaviour makes are the ones the reference makes when it runs every case; the
faults that prove them are listed per area in tests/faulty/<area>.py (``PROOFS``).
"""

import pytest

from conformance import catalogue
from conformance.scenario import SCENARIOS
from conformance.scenarios import load_all
from fixtures.features import undeclared
from fixtures.pingers import REFERENCE_PING
from fixtures.protocol_schema import request_problem
from reference_impl.engine import ReferenceAdapter
from tests.check_proof import PROOFS, UNPROVABLE, check_key
from tests.conftest import grade_cases, grade_behaviour
from tests.faulty.common import BadPing

BEHAVIOURS = sorted(catalogue.load())


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


def reference_for(behaviour_id: str):
    load_all()
    if behaviour_id.startswith("ICMP-PING"):
        return ReferencePinger
    if any(s.sockspec.isolation for s in SCENARIOS[behaviour_id]):
        return ReferenceTarget
    return ReferenceAdapter


def test_proofs_name_known_behaviours():
    assert sorted(set(PROOFS) - set(BEHAVIOURS)) == []


class RecordingReference(ReferenceAdapter):
    """The reference, remembering every request it was sent in the target's seat."""
    requests: list[tuple[str, dict]] = []

    def handle(self, request: dict) -> dict:
        RecordingReference.requests.append((request.get("op"), request.get("args") or {}))
        return super().handle(request)


def undeclared_needs(behaviour_id: str) -> list[str]:
    """What the scenario asked of the target that the behaviour's `needs` do not cover
    (so an adapter lacking it would fail, not be "not applicable")."""
    load_all()
    declared = set(catalogue.get(behaviour_id).needs)
    for scenario in SCENARIOS[behaviour_id]:
        declared |= {need for family in scenario.sockspec.families for need in scenario.sockspec.needs(family)}
    return sorted({f"{op}: {need}" for op, args in RecordingReference.requests
                   for need in undeclared(op, args, frozenset(declared))})


@pytest.mark.parametrize("behaviour_id", BEHAVIOURS)
def test_reference_passes_and_every_check_has_a_fault(behaviour_id):
    """The reference passes every case; each check it makes has a proof (or a reasoned
    place in UNPROVABLE), and no proof names a check the behaviour does not make. The
    behaviour's needs cover every request its scenario sends the target."""
    reference = reference_for(behaviour_id)
    RecordingReference.requests = []
    verdicts = grade_cases(behaviour_id, RecordingReference if reference is ReferenceAdapter else reference)
    if not behaviour_id.startswith("ADAPTER"):  # those send malformed requests on purpose
        assert undeclared_needs(behaviour_id) == [], f"{behaviour_id}: needs missing from the catalogue"
        assert sorted({f"{op}: {problem}" for op, args in RecordingReference.requests
                       if (problem := request_problem(op, args))}) == [], "the suite's requests break the schema"
    assert verdicts and all(v.grade == "pass" for _, v in verdicts), \
        [(case.id, v.grade, v.headline) for case, v in verdicts]
    made = {check_key(entry.name) for _, v in verdicts for entry in v.reference_trace.checks()
            if entry.kind == "check"}
    proven = set(PROOFS.get(behaviour_id, {}))
    excused = {key for (b, key) in UNPROVABLE if b == behaviour_id}
    assert sorted(made - proven - excused) == [], f"{behaviour_id}: checks with no fault that makes them fail first"
    assert sorted(proven - made) == [], f"{behaviour_id}: proofs of checks the behaviour does not make"


PROOF_CASES = [(b, key, fault) for b, checks in sorted(PROOFS.items()) for key, fault in checks.items()]


@pytest.mark.parametrize("behaviour_id, key, fault", PROOF_CASES,
                         ids=[f"{b}::{key}" for b, key, _ in PROOF_CASES])
def test_fault_makes_its_check_the_first_violation(behaviour_id, key, fault):
    verdicts = grade_cases(behaviour_id, fault,
                           until=lambda v: v.grade == "fail" and check_key(v.first_check) == key)
    firsts = [(case.id, v.grade, check_key(v.first_check) if v.grade == "fail" else "") for case, v in verdicts]
    name = getattr(fault, "__name__", None) or repr(fault)
    assert any(v.grade == "fail" and check_key(v.first_check) == key for _, v in verdicts), \
        f"{name} ({(fault.__doc__ or '').strip()}) never fails {behaviour_id} first at {key!r}: {firsts}"


def test_every_echo_scenario_has_a_faulty_program():
    """Behaviours that also run against echo programs are proven able to fail there too."""
    load_all()
    for behaviour_id, scenarios in SCENARIOS.items():
        if any(s.sockspec.echo for s in scenarios):
            assert any(hasattr(f, "target_spec") for f in PROOFS.get(behaviour_id, {}).values()), behaviour_id


def test_every_pinger_fault_breaks_only_what_it_says():
    """The faulty pingers differ from a correct one in one way each: the exit-status fault
    still sends well-formed, answered requests."""
    results = grade_behaviour("ICMP-PING-001", BadPing("exits-1"))
    assert results and all(grade == "pass" for _, grade, _ in results), results
