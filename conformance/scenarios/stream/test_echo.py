"""Stream behaviours seen from outside, through an echo service (also echo-server programs)."""

from conformance.scenario import behaviour
from conformance.scenarios.common import await_echo, echo_clients, echo_in_turn, payload

MIB = 1024 * 1024


@behaviour("TCP-STREAM-005", echo="tcp")
def test_multi_mib_echo_is_complete_and_ordered(run):
    (client,) = echo_clients(run, 1)
    data = payload(4 * MIB, seed=43)
    run.check("the echo is every byte, in order", echo_in_turn(run, client, data, 128 * 1024), equals=data)


@behaviour("TCP-STREAM-004", echo="tcp")
def test_full_duplex_echo(run):
    (client,) = echo_clients(run, 1)
    data = payload(256 * 1024, seed=44)
    sent = 0
    with run.client.summarised("send 256 KiB before reading anything"):
        while sent < len(data):
            sent += run.client.send(client, data[sent:sent + 64 * 1024])
            run.echo.pump()
    run.check("the echo flowed back while the client was still sending", await_echo(run, client, len(data)),
              equals=data)


@behaviour("TCP-STREAM-006", echo="tcp")
def test_echo_treats_data_as_a_byte_stream(run):
    (client,) = echo_clients(run, 1)
    with run.client.summarised("send 200 single bytes"):
        for index in range(200):
            run.client.send_all(client, bytes([index]))
    run.echo.pump()
    run.check("200 one-byte sends come back as the same 200 bytes", await_echo(run, client, 200),
              equals=bytes(range(200)))
    block = payload(64 * 1024, seed=45)
    run.client.send_all(client, block)
    run.echo.pump()
    run.check("one 64 KiB send comes back as the same bytes", await_echo(run, client, len(block)), equals=block)
