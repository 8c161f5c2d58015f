"""Operation coverage: what a run asked of each target, and what it declared but never was."""

from __future__ import annotations

from fixtures.coverage import coverage_keys
from fixtures.trace import Trace
from reports import coverage


def test_the_arguments_that_change_an_operation_are_counted_apart():
    assert coverage_keys("stream.recv", {"handle": 1, "max": 4, "timeout": 0}) == {"stream.recv", "stream.recv timeout=0"}
    assert coverage_keys("stream.shutdown", {"handle": 1, "how": "read"}) == {"stream.shutdown", "stream.shutdown how=read"}
    assert coverage_keys("tcp.connect", {"family": "ipv4", "host": "h", "port": 1, "bind": {}, "options": {"nodelay": True}}) \
        == {"tcp.connect", "tcp.connect bind", "tcp.connect options.nodelay"}
    assert coverage_keys("opt.get", {"handle": 1, "name": "ttl"}) == {"opt.get", "opt.get ttl"}


def test_a_trace_knows_what_the_targets_seat_was_asked_and_which_features_that_exercised():
    trace = Trace()
    trace.add_request("client", "stream.shutdown", {"handle": 1, "how": "write"})
    trace.add_request("server", "udp.bind", {"family": "ipv4", "host": "h", "port": 0})
    seen = trace.coverage(["client"], frozenset({"tcp", "stream.shutdown.write", "udp"}))
    assert seen == {"operations": ["stream.shutdown", "stream.shutdown how=write"],
                    "features": ["stream.shutdown.write"]}


def test_a_declared_feature_no_case_exercised_is_shown():
    results = [{"target": "t", "features": ["tcp", "udp", "serve.tcp"],
                "coverage": {"operations": ["tcp.listen"], "features": ["tcp"]}},
               {"target": "t", "features": ["tcp", "udp", "serve.tcp"],
                "coverage": {"operations": ["tcp.listen", "udp.bind"], "features": ["udp"]}}]
    seen = coverage.of_target(results, "t")
    assert seen["operations"] == {"tcp.listen": 2, "udp.bind": 1}
    assert seen["declared_not_exercised"] == ["serve.tcp"]


def test_a_real_run_records_coverage_per_case(pytester):
    import json
    result = pytester.runpytest_subprocess("-p", "sockspec", "--pyargs", "conformance.scenarios.stream",
                                           "--behaviour", "TCP-STREAM-009", "--target", "reference",
                                           "--sockspec-report", str(pytester.path / "out"))
    assert result.ret == 0, result.stdout.str()[-2000:]
    data = json.loads((pytester.path / "out" / "summary.json").read_text())
    operations = data["coverage"]["reference"]["operations"]
    assert "tcp.connect" in operations, operations
    assert "serve.tcp" in data["coverage"]["reference"]["declared_not_exercised"]
