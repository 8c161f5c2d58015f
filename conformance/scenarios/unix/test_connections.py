"""Unix-domain connections: stream and seqpacket, their teardown, the backlog, peer
credentials, and socketpair of each kind."""

from __future__ import annotations

import os

from conformance.scenario import behaviour
from conformance.scenarios.common import delivered, payload, receive_outcome, received
from fixtures.endpoint import QUIET_WINDOW
from fixtures.privilege import peer_with_dropped_uid

from .steps import FAMILIES, datagram, outcome_of, record_outcome, stream_connection

SEATS = ("client", "server")


def named_ids(ids, names: dict):
    for name, known in names.items():
        if ids == known:
            return name
    return {"pid": ids[0], "uid": ids[1], "gid": ids[2]} if isinstance(ids, tuple) else ids


@behaviour("UNIX-STREAM-001", seats=SEATS, families=FAMILIES)
def test_ordered_complete_transfer(run):
    _, outgoing, incoming = stream_connection(run)
    up, down = payload(128 * 1024, seed=41), payload(128 * 1024, seed=42)
    run.check("client to server: the bytes received", delivered(run.client, outgoing, run.server, incoming, up),
              equals=up)
    run.check("server to client: the bytes received", delivered(run.server, incoming, run.client, outgoing, down),
              equals=down)


@behaviour("UNIX-STREAM-002", seats=SEATS, families=FAMILIES)
def test_end_of_stream_after_the_peer_closes(run):
    _, outgoing, incoming = stream_connection(run)
    run.client.send_all(outgoing, b"last words")
    run.client.close(outgoing)
    run.check("data sent before the close", received(run.server, incoming, 10), equals=b"last words")
    run.check("three receives after it", [receive_outcome(run.server, incoming, 1.0) for _ in range(3)],
              equals=["EOF"] * 3)


@behaviour("UNIX-STREAM-003", seats=SEATS, families=FAMILIES)
def test_half_close(run):
    _, outgoing, incoming = stream_connection(run)
    run.client.send_all(outgoing, b"request")
    run.client.shutdown(outgoing, "write")
    run.check("the server receives the request", received(run.server, incoming, 7), equals=b"request")
    run.check("then end of stream", receive_outcome(run.server, incoming, 1.0), equals="EOF")
    run.check("the half-closed client still receives",
              delivered(run.server, incoming, run.client, outgoing, b"reply"), equals=b"reply")


@behaviour("UNIX-STREAM-004", seats=("server", "client"), families=FAMILIES)
def test_close_with_unread_data_resets_the_peer(run):
    _, outgoing, incoming = stream_connection(run)
    run.client.send_all(outgoing, b"never read")
    run.server.close(incoming)
    run.check("the peer's receive", receive_outcome(run.client, outgoing, 1.0), equals="ECONNRESET")


@behaviour("UNIX-STREAM-005", seats=SEATS, families=FAMILIES)
def test_send_to_a_closed_peer(run):
    _, outgoing, incoming = stream_connection(run)
    run.server.close(incoming)
    run.check("the peer's close is seen", receive_outcome(run.client, outgoing, 1.0), equals="EOF")
    run.check("a send after the peer closed", run.outcome(run.client.send, outgoing, b"x"), equals="EPIPE")


@behaviour("UNIX-STREAM-006", seats=("server", "client"), families=FAMILIES)
def test_closing_a_listener_resets_pending_connections(run):
    path = run.unix_path("s")
    listener = run.server.unix_listen("stream", path)
    outgoing = run.client.unix_connect("stream", path)
    run.server.close(listener)
    run.check("the not-yet-accepted client's receive", receive_outcome(run.client, outgoing, 1.0),
              equals="ECONNRESET")


@behaviour("UNIX-STREAM-007", seats=SEATS, families=FAMILIES)
def test_a_full_backlog_makes_a_connect_wait(run):
    path = run.unix_path("s")
    listener = run.server.unix_listen("stream", path, backlog=1)
    admitted, outcome = 0, "ok"
    with run.client.summarised("connect with timeout 0 until one fails (at most 16)"):
        for _ in range(16):
            outcome = run.outcome(run.client.unix_connect, "stream", path, timeout=0)
            if outcome != "ok":
                break
            admitted += 1
    run.check("the connect that finds the backlog full (timeout 0)", outcome, equals="EAGAIN")
    run.check("connects admitted before it", admitted, satisfies=lambda n: 1 <= n <= 2,
              rule="the backlog of 1 (Linux admits backlog + 1)")
    run.check("a connect with a 0.2 s timeout while it is full",
              run.outcome(run.client.unix_connect, "stream", path, timeout=0.2), equals="ETIMEDOUT")
    run.server.unix_accept(listener)
    run.check("a connect once one was accepted", run.outcome(run.client.unix_connect, "stream", path, timeout=0),
              equals="ok")


@behaviour("UNIX-STREAM-008", seats=SEATS, families=FAMILIES)
def test_peer_credentials_name_the_peer_process(run):
    _, outgoing, incoming = stream_connection(run)
    mine, theirs = (outgoing, incoming) if run.target_seat == "client" else (incoming, outgoing)
    other = run.server if run.target_seat == "client" else run.client
    me = run.seat(run.target_seat)
    run.check("the peer credentials the target's end reports",
              named_ids(outcome_of(me.unix_peercred, mine), {"the peer process's pid, uid and gid": other.process_ids()}),
              equals="the peer process's pid, uid and gid")


@behaviour("UNIX-STREAM-017", seats=("server",), families=FAMILIES)
def test_peer_credentials_of_a_peer_that_gave_up_root(run):
    path = run.unix_path("s")
    listener = run.server.unix_listen("stream", path)
    os.chmod(run.unix_dir, 0o711)  # nobody may reach the socket file, and connect to it
    os.chmod(path.path, 0o777)
    with peer_with_dropped_uid(path.path) as peer:
        accepted = run.server.unix_accept(listener)
        expected = f"the peer's own pid, uid {peer.uid} and gid {peer.gid}"
        run.check("the peer credentials the target's end reports",
                  named_ids(outcome_of(run.server.unix_peercred, accepted), {expected: (peer.pid, peer.uid, peer.gid)}),
                  equals=expected)


@behaviour("UNIX-STREAM-009", seats=("server", "client"), families=FAMILIES)
def test_shutting_down_the_read_side_makes_the_peers_sends_fail(run):
    _, outgoing, incoming = stream_connection(run)
    run.server.shutdown(incoming, "read")
    run.check("the peer's send after the read side was shut down", run.outcome(run.client.send, outgoing, b"x"),
              equals="EPIPE")


RECORDS = [b"r", payload(300, seed=43), payload(5000, seed=44)]


@behaviour("UNIX-STREAM-010", seats=SEATS, families=FAMILIES)
def test_seqpacket_keeps_record_boundaries(run):
    _, outgoing, incoming = stream_connection(run, "seqpacket")
    for record in RECORDS:
        run.client.unix_sendto(outgoing, record)
    run.check("three receives, one record each", [record_outcome(datagram(run.server, incoming)) for _ in RECORDS],
              equals=RECORDS)


@behaviour("UNIX-STREAM-011", seats=SEATS, families=FAMILIES)
def test_seqpacket_truncates_a_record(run):
    _, outgoing, incoming = stream_connection(run, "seqpacket")
    record = payload(100, seed=45)
    run.client.unix_sendto(outgoing, record)
    run.client.unix_sendto(outgoing, b"next")
    got = datagram(run.server, incoming, max=10)
    run.check("a 100-byte record read with room for 10 (data, truncated)",
              (got.data, got.truncated) if not isinstance(got, str) else got, equals=(record[:10], True))
    run.check("the next receive", record_outcome(datagram(run.server, incoming)), equals=b"next")


@behaviour("UNIX-STREAM-012", seats=SEATS, families=FAMILIES)
def test_seqpacket_end_of_stream(run):
    _, outgoing, incoming = stream_connection(run, "seqpacket")
    run.client.unix_sendto(outgoing, b"last record")
    run.client.close(outgoing)
    run.check("the record sent before the close", record_outcome(datagram(run.server, incoming)),
              equals=b"last record")
    run.check("the next receive", record_outcome(datagram(run.server, incoming)), equals="EOF")
    run.check("a send to the closed peer", run.outcome(run.server.unix_sendto, incoming, b"x"), equals="EPIPE")


@behaviour("UNIX-STREAM-013", seats=("client",), families=FAMILIES)
def test_stream_socketpair(run):
    a, b = run.client.unix_socketpair("stream")
    run.check("a to b", delivered(run.client, a, run.client, b, b"ping"), equals=b"ping")
    run.check("b to a", delivered(run.client, b, run.client, a, b"pong"), equals=b"pong")
    run.check("each end's own address and peer",
              [run.unix_name(address(sock)) for sock in (a, b)
               for address in (run.client.local_address, run.client.peer_address)], equals=["(unnamed)"] * 4)
    run.client.close(a)
    run.check("b's receive after a closed", receive_outcome(run.client, b, 1.0), equals="EOF")


@behaviour("UNIX-STREAM-014", seats=("client",), families=FAMILIES)
def test_datagram_socketpair(run):
    a, b = run.client.unix_socketpair("dgram")
    sent = [b"1", b"22", b"333"]
    for message in sent:
        run.client.unix_sendto(a, message)
    run.check("three receives on b", [record_outcome(datagram(run.client, b)) for _ in sent], equals=sent)
    run.client.close(a)
    run.check("a send on b after a closed", run.outcome(run.client.unix_sendto, b, b"x"), equals="ECONNREFUSED")


@behaviour("UNIX-STREAM-015", seats=("client",), families=FAMILIES)
def test_seqpacket_socketpair(run):
    a, b = run.client.unix_socketpair("seqpacket")
    for record in RECORDS:
        run.client.unix_sendto(a, record)
    run.check("three receives on b", [record_outcome(datagram(run.client, b)) for _ in RECORDS], equals=RECORDS)
    run.client.close(a)
    run.check("b's receive after a closed", record_outcome(datagram(run.client, b)), equals="EOF")


@behaviour("UNIX-STREAM-016", seats=("client",), families=FAMILIES)
def test_socketpair_peer_credentials(run):
    a, b = run.client.unix_socketpair("stream")
    own = run.client.process_ids()
    run.check("the peer credentials of each end",
              [named_ids(outcome_of(run.client.unix_peercred, sock), {"the process that made the pair": own})
               for sock in (a, b)], equals=["the process that made the pair"] * 2)
