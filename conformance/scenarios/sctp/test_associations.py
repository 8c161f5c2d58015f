"""SCTP associations through the API: setup, messages, streams, PPIDs, order, shutdown."""

from conformance.scenario import behaviour
from conformance.scenarios.common import payload

from .steps import Message, associate, outcome, recv_outcome, send


def shown(message: Message | str) -> str:
    """A read as a check records it: its bytes (or the error that ended it)."""
    if isinstance(message, str):
        return message
    return "EOF" if not message.data else message.data.decode("latin-1")


@behaviour("SCTP-001")
def test_association_carries_messages_both_ways(run):
    listener, client, server = associate(run)
    run.check("the client's peer", client.peer, equals=listener.local, rule="the listener's address")
    run.check("the server's peer", server.peer, equals=client.local, rule="the client's address")
    send(run.client, client, b"to the server")
    run.check("the message to the server", shown(recv_outcome(run.server, server)), equals="to the server")
    send(run.server, server, b"to the client")
    run.check("the message to the client", shown(recv_outcome(run.client, client)), equals="to the client")


@behaviour("SCTP-003")
def test_messages_keep_their_boundaries(run):
    _, client, server = associate(run)
    sizes = (1, 100, 3000)
    sent = [payload(size, seed=size) for size in sizes]
    for data in sent:
        send(run.client, client, data)
    reads = [recv_outcome(run.server, server) for _ in sizes]
    run.check("each read: its size and whether it ends a message",
              [got if isinstance(got, str) else f"{len(got.data)} bytes{', eor' if 'eor' in got.flags else ''}"
               for got in reads], equals=[f"{size} bytes, eor" for size in sizes])
    run.check("the bytes of the three reads", [got if isinstance(got, str) else got.data for got in reads],
              equals=sent)


@behaviour("SCTP-004")
def test_ordered_within_a_stream(run):
    _, client, server = associate(run)
    sent = [f"m{index:02}" for index in range(20)]
    for text in sent:
        send(run.client, client, text.encode(), stream=1)
    run.check("the messages in the order received", [shown(recv_outcome(run.server, server)) for _ in sent],
              equals=sent)


@behaviour("SCTP-005")
def test_stream_number_arrives_as_sent(run):
    _, client, server = associate(run)
    streams = (0, 3, 9)  # every stack offers at least 10 outbound streams by default
    for stream in streams:
        send(run.client, client, f"on {stream}".encode(), stream=stream)
    got = [recv_outcome(run.server, server) for _ in streams]
    run.check("each message's stream as received",
              {shown(message): message if isinstance(message, str) else message.stream for message in got},
              equals={f"on {stream}": stream for stream in streams})


@behaviour("SCTP-006")
def test_ppid_arrives_as_sent(run):
    _, client, server = associate(run)
    ppids = (0, 51, 0x01020304, 0xFFFFFFFF)
    for ppid in ppids:
        send(run.client, client, f"ppid {ppid}".encode(), ppid=ppid)
    got = [recv_outcome(run.server, server) for _ in ppids]
    run.check("each message's payload protocol identifier as received",
              {shown(message): message if isinstance(message, str) else message.ppid for message in got},
              equals={f"ppid {ppid}": ppid for ppid in ppids})


@behaviour("SCTP-007")
def test_unordered_flag_arrives_as_sent(run):
    _, client, server = associate(run)
    send(run.client, client, b"unordered", stream=2, unordered=True)
    send(run.client, client, b"ordered", stream=2)
    got = [recv_outcome(run.server, server) for _ in range(2)]
    run.check("each message marked unordered or not, as received",
              {shown(message): message if isinstance(message, str) else "unordered" in message.flags
               for message in got},
              equals={"unordered": True, "ordered": False})


@behaviour("SCTP-010")
def test_graceful_shutdown_delivers_everything(run):
    _, client, server = associate(run)
    sent = [f"last {index}" for index in range(5)]
    for text in sent:
        send(run.client, client, text.encode())
    run.client.call("sctp.shutdown", handle=client.handle, how="write")
    run.check("what the server reads, to the end", [shown(recv_outcome(run.server, server)) for _ in range(6)],
              equals=[*sent, "EOF"])


@behaviour("SCTP-012")
def test_no_half_open_association(run):
    _, client, server = associate(run)
    send(run.client, client, b"before")
    run.client.call("sctp.shutdown", handle=client.handle, how="write")
    run.check("what the server reads", [shown(recv_outcome(run.server, server)) for _ in range(2)],
              equals=["before", "EOF"])
    run.check("a send from the server after the client's shutdown",
              outcome(send, run.server, server, b"too late"), satisfies=lambda code: code != "ok",
              rule="must fail: the association is over in both directions")
