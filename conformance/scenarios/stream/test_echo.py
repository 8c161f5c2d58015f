"""Stream behaviours seen from outside, through an echo service (the target's own server,
serve.start, or an echo-server program): the suite is only ever the client."""

from conformance.scenario import WITH_UNIX, behaviour
from conformance.scenarios.common import echo_client, payload
from conformance.scenarios.stream.steps import echo_in_turn, first_receive, receive_up_to

MIB = 1024 * 1024


@behaviour("TCP-STREAM-005", echo="tcp", families=WITH_UNIX)
def test_multi_mib_echo_is_complete_and_ordered(run):
    client = echo_client(run)
    data = payload(4 * MIB, seed=43)
    run.check("the echo is every byte, in order", echo_in_turn(run, client, data, 128 * 1024), equals=data)


@behaviour("TCP-STREAM-004", echo="tcp", families=WITH_UNIX)
def test_full_duplex_echo(run):
    client = echo_client(run)
    data = payload(256 * 1024, seed=44)
    half = len(data) // 2
    run.client.send_all(client, data[:half])
    # Half the data is still to send: a server that waits for the client to finish before
    # answering sends nothing yet.
    outcome, early = first_receive(run.client, client)
    run.check("the echo flows back while the client still has data to send", outcome, equals="data")
    # The rest goes out while the echo of the first half may still wait unread.
    run.client.send_all(client, data[half:])
    rest = receive_up_to(run.client, client, len(data) - len(early))
    run.check("the whole echo, in order", early + rest, equals=data)


@behaviour("TCP-STREAM-006", echo="tcp", families=WITH_UNIX)
def test_echo_treats_data_as_a_byte_stream(run):
    client = echo_client(run)
    with run.client.summarised("send 200 single bytes"):
        for index in range(200):
            run.client.send_all(client, bytes([index]))
    run.check("200 one-byte sends come back as the same 200 bytes", receive_up_to(run.client, client, 200),
              equals=bytes(range(200)))
    block = payload(64 * 1024, seed=45)
    run.client.send_all(client, block)
    run.check("one 64 KiB send comes back as the same bytes", receive_up_to(run.client, client, len(block)),
              equals=block)
