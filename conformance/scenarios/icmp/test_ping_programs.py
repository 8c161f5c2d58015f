"""Ping programs (ping:COMMAND), judged from the capture of their run in a namespace."""

from conformance.scenario import behaviour
from reference_impl import icmp

REQUEST = {"ipv4": icmp.ECHO_REQUEST, "ipv6": icmp.ECHO_REQUEST_V6}
COUNT = 3


@behaviour("ICMP-PING-001", ping=True)
def test_requests_are_well_formed(run):
    requests = run.ping.requests
    run.check("requests were sent", len(requests) > 0, equals=True)
    malformed = [r for r in requests if (r["type"], r["code"], r["checksum_ok"]) != (REQUEST[run.family], 0, True)]
    run.check("requests with a wrong type, code or checksum", len(malformed), equals=0)


@behaviour("ICMP-PING-002", ping=True)
def test_requests_share_one_identifier(run):
    run.check("distinct identifiers among the requests", len({r["identifier"] for r in run.ping.requests}), equals=1)


@behaviour("ICMP-PING-003", ping=True)
def test_sequence_numbers_go_up_by_one(run):
    sequences = [r["sequence"] for r in run.ping.requests]
    steps = {(b - a) % 65536 for a, b in zip(sequences, sequences[1:])}
    run.check("steps between consecutive sequence numbers", sorted(steps), equals=[1])


@behaviour("ICMP-PING-004", ping=True)
def test_sends_as_many_requests_as_asked(run):
    requests, replies = run.ping.requests, run.ping.replies
    run.check(f"requests sent when asked for {COUNT}", len(requests), equals=COUNT)
    answered = {(r["identifier"], r["sequence"], r["payload"]) for r in replies}
    run.check("requests answered by a reply echoing their payload",
              sum((r["identifier"], r["sequence"], r["payload"]) in answered for r in requests), equals=COUNT)


@behaviour("ICMP-PING-005", ping=True)
def test_exits_zero_when_replies_come(run):
    run.check("exit status", run.ping.status, equals=0)
