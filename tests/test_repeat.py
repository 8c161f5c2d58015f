"""--sockspec-repeat: agreeing repeats end as one run would; disagreeing ones are flaky."""

import pytest

from conformance.grading import Verdict
from conformance.repeat import Flaky, check_repeatedly
from fixtures.errors import AdapterFault
from fixtures.trace import Trace


def verdict(grade, report=""):
    return Verdict(grade, f"{grade} headline", Trace(), Trace(), report=report)


def sequence(*outcomes):
    """A check that ends each call as the next outcome says: a grade, or an exception to raise."""
    pending = list(outcomes)

    def check():
        outcome = pending.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return verdict(outcome, report=f"evidence of {outcome}")
    return check


def test_agreeing_repeats_keep_the_first_verdict():
    result = check_repeatedly(sequence("divergent", "divergent", "divergent"), 3)
    assert isinstance(result, Verdict) and result.grade == "divergent"


def test_agreeing_skips_and_faults_are_raised_as_a_single_run_would():
    with pytest.raises(pytest.skip.Exception, match="not applicable: ipv6"):
        check_repeatedly(sequence(*[pytest.skip.Exception("not applicable: ipv6")] * 2), 2)
    with pytest.raises(AdapterFault, match="crashed"):
        check_repeatedly(sequence(AdapterFault("crashed"), AdapterFault("crashed again")), 2)


def test_disagreeing_repeats_are_flaky_with_each_grade_and_the_first_difference():
    result = check_repeatedly(sequence("pass", "pass", "fail", AdapterFault("gone")), 4)
    assert isinstance(result, Flaky)
    assert result.grades == ["pass", "pass", "fail", "error"]
    assert result.headline == "flaky over 4 repeats: pass, pass, fail, error"
    assert "repeat 3 (first to differ): fail: fail headline" in result.evidence
    assert "evidence of fail" in result.evidence


def test_one_repeat_is_the_check_itself():
    calls = []
    assert check_repeatedly(lambda: calls.append(1) or verdict("pass"), 1).grade == "pass"
    assert calls == [1]
