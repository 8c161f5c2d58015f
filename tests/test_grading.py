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


# -- what the adapter made up (protocol 1.3): supplied error names, emulated results --------------

class EmulatesTruncation:
    """The reference, marking udp.recvfrom's truncation flag as computed by the adapter."""
    @staticmethod
    def make():
        from reference_impl.engine import ReferenceAdapter

        class Adapter(ReferenceAdapter):
            def op_udp_recvfrom(self, args):
                return {**super().op_udp_recvfrom(args), "emulated": ["truncated"]}

            def handle(self, request):
                response = super().handle(request)
                if not response["ok"] and response["error"]["code"] == "ECONNREFUSED":
                    response["error"]["supplied"] = True  # as a library with no errno would need
                return response
        return Adapter


def test_a_pass_that_leans_on_an_emulated_field_says_so():
    from tests.conftest import grade_cases
    verdicts = grade_cases("UDP-DGRAM-003", EmulatesTruncation.make())
    assert verdicts and all(v.grade == "pass" for _, v in verdicts)
    verdict = next(v for case, v in verdicts if case.seat == "receiver")
    assert verdict.headline.startswith("passed (emulated by the adapter: udp.recvfrom: truncated emulated"), \
        verdict.headline
    assert any("(emulated by the adapter: truncated)" in line for line in verdict.target_trace.lines())


def test_an_error_name_the_adapter_supplied_is_shown_as_such():
    from tests.conftest import grade_cases
    verdicts = grade_cases("TCP-STREAM-009", EmulatesTruncation.make())
    verdict = next(v for case, v in verdicts if case.seat == "client")
    assert verdict.grade == "pass"
    assert "error name ECONNREFUSED supplied by the adapter" in verdict.headline, verdict.headline
    assert any("ECONNREFUSED (name supplied by the adapter)" in line for line in verdict.target_trace.lines())


def test_a_value_judged_by_its_rule_may_differ_and_the_comparison_goes_on():
    reference, target = Trace(), Trace()
    reference.add_check("buffer read back", 65536, True, "at least 32768", by_rule=True)
    reference.add_check("then", "x", True, "rule")
    target.add_check("buffer read back", 32768, True, "at least 32768", by_rule=True)
    target.add_check("then", "y", True, "rule")
    verdict = grade(target, reference, "t", "rule")
    assert verdict.grade == "fail" and verdict.first_check == "then", verdict.headline
    target.entries[-1].value = "x"
    assert grade(target, reference, "t", "rule").grade == "divergent"


def test_a_declared_option_answered_unsupported_on_a_socket_it_does_not_apply_to_fails_adapter_009():
    from tests.conftest import grade_cases
    from tests.faulty.protocol_faults import MisfitOptionUnsupported
    (_, verdict), = grade_cases("ADAPTER-009", MisfitOptionUnsupported)
    assert verdict.grade == "fail" and "opt.v6only: opt.get on a tcp connection it does not apply to" in verdict.report
