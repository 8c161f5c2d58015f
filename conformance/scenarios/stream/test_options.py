"""Socket options on a connection: settable, and read back as the rules say."""

from conformance.scenario import behaviour
from conformance.scenarios.common import connect_pair
from conformance.scenarios.stream.steps import check_keeps


def _target_side(run, client, server):
    """The connection end (endpoint, socket) that sits in the target's seat."""
    return (run.client, client) if run.target_seat == "client" else (run.server, server)


def _round_trip(run, endpoint, sock, name, values):
    for value in values:
        endpoint.set_option(sock, name, value)
        run.check(f"{name} reads back after setting {value!r}", endpoint.get_option(sock, name), equals=value)


@behaviour("TCP-STREAM-014", seats=("client", "server"))
def test_nodelay_can_be_switched(run):
    _, client, server = connect_pair(run)
    endpoint, sock = _target_side(run, client, server)
    _round_trip(run, endpoint, sock, "nodelay", [True, False, True])


@behaviour("TCP-STREAM-015", seats=("client", "server"))
def test_keepalive_defaults_off_and_can_be_switched(run):
    _, client, server = connect_pair(run)
    endpoint, sock = _target_side(run, client, server)
    run.check("keepalive on a new connection", endpoint.get_option(sock, "keepalive"), equals=False)
    _round_trip(run, endpoint, sock, "keepalive", [True, False])


def _buffer_size(run, name):
    """Set a small then a larger size; each reads back at least what was set (Linux doubles
    it), and the larger one reads back larger. Under the default limits (net.core.rmem_max and
    wmem_max, 208 KiB) 256 KiB is capped, then doubled: still at least 256 KiB."""
    _, client, _ = connect_pair(run)
    small, large = 32 * 1024, 256 * 1024
    run.client.set_option(client, name, small)
    small_read = run.client.get_option(client, name)
    check_keeps(run, f"{name} read back after setting {small}", small_read,
                lambda value: value >= small, rule=f"at least {small}")
    run.client.set_option(client, name, large)
    check_keeps(run, f"{name} read back after setting {large}", run.client.get_option(client, name),
                lambda value: value >= large and value > small_read,
                rule=f"at least {large}, and more than after setting {small} ({small_read})")


@behaviour("TCP-STREAM-016", seats=("client",))
def test_receive_buffer_size_can_be_set(run):
    _buffer_size(run, "rcvbuf")


@behaviour("TCP-STREAM-017", seats=("client",))
def test_send_buffer_size_can_be_set(run):
    _buffer_size(run, "sndbuf")


@behaviour("TCP-STREAM-018", seats=("client", "server"))
def test_ttl_can_be_set(run):
    _, client, server = connect_pair(run)
    endpoint, sock = _target_side(run, client, server)
    _round_trip(run, endpoint, sock, "ttl", [7, 64])


@behaviour("TCP-STREAM-019", seats=("client",))
def test_linger_can_be_set_and_switched_off(run):
    _, client, _ = connect_pair(run)
    _round_trip(run, run.client, client, "linger", [5, None])
