"""Ping programs (ping:COMMAND), judged from the capture of their run in a namespace.

Each check records what the capture shows (the forms the requests took, how many distinct
identifiers they carried, the steps between their sequence numbers, counts, the exit
status), never a bare yes or no.
"""

from conformance.scenario import behaviour
from reference_impl import icmp

REQUEST = {"ipv4": icmp.ECHO_REQUEST, "ipv6": icmp.ECHO_REQUEST_V6}
COUNT = 3


def _checksum(verifies: bool) -> str:
    return "verifies" if verifies else "does not verify"


@behaviour("ICMP-PING-001", ping=True)
def test_requests_are_well_formed(run):
    forms = sorted({(r["type"], r["code"], _checksum(r["checksum_ok"])) for r in run.ping.requests})
    run.check("forms the requests took (type, code, checksum)", forms,
              equals=[(REQUEST[run.family], 0, "verifies")],
              rule=f"requests were sent, and every one is an echo request (type {REQUEST[run.family]}), "
                   "code 0, whose checksum verifies")


@behaviour("ICMP-PING-002", ping=True)
def test_requests_share_one_identifier(run):
    run.check("distinct identifiers among the requests", len({r["identifier"] for r in run.ping.requests}), equals=1,
              rule="every request of the run carries the same identifier")


@behaviour("ICMP-PING-003", ping=True)
def test_sequence_numbers_go_up_by_one(run):
    sequences = [r["sequence"] for r in run.ping.requests]
    steps = {(b - a) % 65536 for a, b in zip(sequences, sequences[1:])}
    run.check("steps between consecutive sequence numbers", sorted(steps), equals=[1],
              rule="each request's sequence number is the previous one's plus one (modulo 65536)")


@behaviour("ICMP-PING-004", ping=True)
def test_sends_as_many_requests_as_asked(run):
    requests, replies = run.ping.requests, run.ping.replies
    run.check(f"requests sent when asked for {COUNT}", len(requests), equals=COUNT,
              rule=f"asked for {COUNT} requests (-c {COUNT}), the program sends exactly {COUNT}")
    answered = {(r["identifier"], r["sequence"], r["payload"]) for r in replies}
    run.check("requests answered by a reply echoing their payload",
              sum((r["identifier"], r["sequence"], r["payload"]) in answered for r in requests), equals=COUNT,
              rule=f"each of the {COUNT} requests draws a reply with its identifier, sequence number and payload")


@behaviour("ICMP-PING-005", ping=True)
def test_exits_zero_when_replies_come(run):
    run.check("exit status", run.ping.status, equals=0, rule="every request was answered: exit status 0")
