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
