"""Grading a target's trace against the reference's."""

from conformance.grading import grade
from fixtures.trace import Trace


def trace(*checks):
    t = Trace()
    for name, value, passed, allowed in checks:
        t.add_check(name, value, passed, "rule", allowed)
    return t


ALLOWED = ["EISCONN", "ok"]
REFERENCE = trace(("send elsewhere", "ok", True, ALLOWED), ("it went there", "datagram", True, None))


def test_an_allowed_outcome_that_takes_another_path_is_a_divergence_not_a_failure():
    target = trace(("send elsewhere", "EISCONN", True, ALLOWED))
    verdict = grade(target, REFERENCE, "t", "rule")
    assert verdict.grade == "divergent", verdict.report
    assert "target 'EISCONN', reference 'ok' (both allowed)" in verdict.headline


def test_after_an_allowed_divergence_the_targets_own_checks_still_hold():
    target = trace(("send elsewhere", "EISCONN", True, ALLOWED), ("then", "broken", False, None))
    assert grade(target, REFERENCE, "t", "rule").grade == "fail"


def test_a_different_value_where_the_rule_fixes_one_fails_with_the_first_difference():
    target = trace(("send elsewhere", "ok", True, ALLOWED), ("it went there", "nothing", True, None))
    verdict = grade(target, REFERENCE, "t", "rule")
    assert verdict.grade == "fail"
    assert verdict.difference.startswith("first difference, at check 'it went there'")


# -- UNSUPPORTED after declaring (docs/protocol.md §3, "declared means exercised") ---------------

def test_unsupported_for_a_declared_feature_fails_the_behaviour_with_the_promise_as_evidence():
    from tests.conftest import grade_cases
    from tests.faulty.protocol_faults import DeclaresShutdownButNotRead
    (case, verdict), *_ = grade_cases("TCP-TEARDOWN-005", DeclaresShutdownButNotRead)
    assert verdict.grade == "fail", verdict.headline
    assert "declared stream.shutdown.read, then answered UNSUPPORTED to stream.shutdown" in verdict.headline


def test_unsupported_for_an_undeclared_feature_is_not_applicable():
    import pytest
    from tests.conftest import grade_cases
    from tests.faulty.protocol_faults import DeclaresShutdownWriteOnly
    with pytest.raises(pytest.skip.Exception, match="lacks feature.*stream.shutdown"):
        grade_cases("TCP-TEARDOWN-005", DeclaresShutdownWriteOnly)


def test_older_adapters_keep_what_their_version_meant():
    from fixtures.features import widen
    assert "udp.connect" in widen(frozenset({"udp"}), "1.1")
    assert "udp.connect" not in widen(frozenset({"udp"}), "1.2")
    assert {"stream.shutdown.read", "stream.shutdown.write"} <= widen(frozenset({"stream.shutdown"}), "1.2")
