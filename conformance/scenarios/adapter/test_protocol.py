"""The adapter itself: does it speak the wire protocol? (docs/protocol.md)

These talk to the target with ``Endpoint.exchange``, which hands back every outcome as data
(BADREQUEST and UNSUPPORTED included) instead of treating it as a fault or as "not
applicable", so a protocol slip of the adapter is graded here, as a failure of its own,
before it can masquerade as a divergence of the socket library behind it.
"""

from __future__ import annotations

from conformance.scenario import behaviour
from fixtures.endpoint import QUIET_WINDOW, Endpoint
from reference_impl.protocol import PROTOCOL_VERSION, decode_bytes, encode_bytes

ADAPTER_CASES = {"seats": ("client",), "families": ("ipv4",)}

# Byte strings whose base64 forms cover the whole alphabet (+ and / included) and every
# padding length: 256 byte values, then 1, 2 and 3 bytes ("+w==", "+/8=", "+/+/").
BASE64_PROBES = (bytes(range(256)), b"\xfb", b"\xfb\xff", b"\xfb\xff\xbf")


@behaviour("ADAPTER-001", **ADAPTER_CASES)
def test_hello_describes_the_adapter(run):
    # The first hello, when the target started, was held to the protocol's schema (a field
    # missing or of the wrong type is an adapter error there) and to the suite's major
    # version. Sent again mid-session it must answer, and answer the same: it changes nothing.
    _, first = run.client.exchange("hello", protocol=PROTOCOL_VERSION)
    code, hello = run.client.exchange("hello", protocol=PROTOCOL_VERSION)
    run.check("hello answers", code, equals="ok")
    run.check("fields that differ from the previous hello", sorted(k for k in {*first, *hello}
              if first.get(k) != hello.get(k)), equals=[])


@behaviour("ADAPTER-002", **ADAPTER_CASES)
def test_unknown_operations_and_options_are_unsupported(run):
    code, _ = run.client.exchange("sockspec.no-such-operation", handle=1)
    run.check("an unknown operation", code, equals="UNSUPPORTED")
    listener = run.client.tcp_listen(run.family, run.host)
    code, _ = run.client.exchange("opt.get", handle=listener.handle, name="no-such-option")
    run.check("opt.get of an unknown option", code, equals="UNSUPPORTED")
    code, _ = run.client.exchange("opt.set", handle=listener.handle, name="no-such-option", value=True)
    run.check("opt.set of an unknown option", code, equals="UNSUPPORTED")


@behaviour("ADAPTER-003", **ADAPTER_CASES)
def test_malformed_requests_are_badrequest(run):
    listener = run.client.tcp_listen(run.family, run.host)
    code, _ = run.client.exchange("addr.local")
    run.check("addr.local without a handle", code, equals="BADREQUEST")
    code, _ = run.client.exchange("addr.local", handle=str(listener.handle))
    run.check("addr.local with the handle as a string", code, equals="BADREQUEST")
    code, _ = run.client.exchange("tcp.listen", family=run.family, host=run.host, port="0")
    run.check("tcp.listen with the port as a string", code, equals="BADREQUEST")
    code, _ = run.client.exchange("tcp.listen", host=run.host, port=0)
    run.check("tcp.listen without a family", code, equals="BADREQUEST")
    code, _ = run.client.exchange("tcp.listen", family=run.family, host=run.host, port=5.0)
    run.check("tcp.listen with the port as a fraction", code, equals="BADREQUEST")
    peer = run.server.tcp_listen(run.family, run.host)
    connection = run.client.tcp_connect(run.family, run.addr(peer.local.port))
    code, _ = run.client.exchange("stream.recv", handle=connection.handle, max=0)
    run.check("stream.recv with max 0", code, equals="BADREQUEST", rule="must be BADREQUEST: zero bytes would read as end of stream")
    code, _ = run.client.exchange("addr.local", handle=listener.handle)
    run.check("the adapter still answers well-formed requests", code, equals="ok")


@behaviour("ADAPTER-011", **ADAPTER_CASES)
def test_values_no_socket_can_take_are_the_operations_error(run):
    """Well-typed arguments out of range are EINVAL (§2.1): the adapter performs the request."""
    code, _ = run.client.exchange("tcp.listen", family=run.family, host=run.host, port=70000)
    run.check("tcp.listen on port 70000", code, equals="EINVAL")
    code, _ = run.client.exchange("tcp.listen", family=run.family, host="localhost", port=0)
    run.check("tcp.listen on a host name", code, equals="EINVAL", rule="must be EINVAL: names are never resolved")
    code, _ = run.client.exchange("tcp.listen", family=run.family, host="::1", port=0)
    run.check("tcp.listen on an address of the other family", code, equals="EINVAL")


@behaviour("ADAPTER-004", **ADAPTER_CASES)
def test_unknown_argument_fields_are_ignored(run):
    unknown = {"sockspec_future_field": {"nested": [1, "two", None]}, "x-vendor": True}
    code, result = run.client.exchange("tcp.listen", family=run.family, host=run.host, port=0, backlog=4, **unknown)
    run.check("tcp.listen with unknown fields", code, equals="ok")
    if code == "ok":
        code, _ = run.client.exchange("addr.local", handle=result.get("handle"), **unknown)
        run.check("addr.local with unknown fields", code, equals="ok")


@behaviour("ADAPTER-005", **ADAPTER_CASES)
def test_bytes_survive_base64_both_ways(run):
    listener = run.server.tcp_listen(run.family, run.host)
    client = run.client.tcp_connect(run.family, run.addr(listener.local.port))
    server = run.server.tcp_accept(listener)
    for probe in BASE64_PROBES:
        _send_all(run.client, client.handle, probe)
        run.check(f"{len(probe)} byte(s) sent by the target arrive unchanged",
                  run.server.recv_exactly(server, len(probe)), equals=probe)
        run.server.send_all(server, probe)
        received, malformed = _receive(run.client, client.handle, len(probe))
        run.check(f"{len(probe)} byte(s) received by the target: answers that are not standard base64",
                  malformed, equals=[])
        run.check(f"{len(probe)} byte(s) received by the target are unchanged", received, equals=probe)


def _send_all(endpoint: Endpoint, handle: int, data: bytes) -> None:
    offset = 0
    while offset < len(data):
        code, result = endpoint.exchange("stream.send", handle=handle, data=encode_bytes(data[offset:]))
        sent = result.get("sent")
        if code != "ok" or not isinstance(sent, int) or sent <= 0:
            return  # the receiving side's check shows what went missing
        offset += sent


def _receive(endpoint: Endpoint, handle: int, size: int) -> tuple[bytes, list[str]]:
    """Up to ``size`` bytes, and every answer that was not strict, padded, standard base64."""
    received = bytearray()
    while len(received) < size:
        code, result = endpoint.exchange("stream.recv", handle=handle, max=size - len(received))
        if code != "ok":
            break
        try:
            chunk = decode_bytes(result.get("data"))
        except ValueError:
            return bytes(received), [str(result.get("data"))[:40]]
        if not chunk:
            break
        received += chunk
    return bytes(received), []


@behaviour("ADAPTER-006", **ADAPTER_CASES)
def test_invalid_base64_is_badrequest(run):
    listener = run.server.tcp_listen(run.family, run.host)
    client = run.client.tcp_connect(run.family, run.addr(listener.local.port))
    server = run.server.tcp_accept(listener)
    for name, text in (("characters outside the alphabet", "a!b?"), ("an impossible length", "QUJDRA=")):
        code, _ = run.client.exchange("stream.send", handle=client.handle, data=text)
        run.check(f"stream.send with {name}", code, equals="BADREQUEST")
    run.check("the peer received nothing", _receive_outcome(run.server, server), equals="ETIMEDOUT")


def _receive_outcome(endpoint: Endpoint, sock) -> str:
    code, result = endpoint.exchange("stream.recv", handle=sock.handle, max=1024, timeout=QUIET_WINDOW)
    return code if code != "ok" else f"data {decode_bytes(result['data'])!r}"


@behaviour("ADAPTER-007", **ADAPTER_CASES)
def test_handles_are_never_reused(run):
    given: list[int] = []

    def open_one() -> int:
        sock = run.client.udp_bind(run.family, run.host)
        given.append(sock.handle)
        return sock.handle

    first, second = open_one(), open_one()
    run.client.close(first)
    third = open_one()
    run.client.exchange("reset")
    fourth = open_one()
    run.check("no handle given out twice (after close and after reset)", len(set(given)), equals=len(given))
    code, _ = run.client.exchange("addr.local", handle=first)
    run.check("a closed handle", code, equals="EBADF")
    code, _ = run.client.exchange("addr.local", handle=second)
    run.check("a handle from before reset", code, equals="EBADF")
    code, _ = run.client.exchange("addr.local", handle=max(given) + 1000)
    run.check("a handle never given out", code, equals="EBADF")
    del third, fourth


@behaviour("ADAPTER-008", **ADAPTER_CASES)
def test_reset_closes_every_handle(run):
    peer_listener = run.server.tcp_listen(run.family, run.host)
    client = run.client.tcp_connect(run.family, run.addr(peer_listener.local.port))
    server = run.server.tcp_accept(peer_listener)
    listener = run.client.tcp_listen(run.family, run.host)
    code, _ = run.client.exchange("reset")
    run.check("reset answers", code, equals="ok")
    outcome = _receive_outcome(run.server, server)
    run.check("the peer of a connection sees it end", outcome, equals="data b''",
              rule="must be end of stream: reset closes in order (§5), it does not abort")
    code, _ = run.server.exchange("tcp.connect", family=run.family, host=run.host, port=listener.local.port)
    run.check("connecting to a listener opened before reset", code, equals="ECONNREFUSED")
    codes = [run.client.exchange("addr.local", handle=h.handle)[0] for h in (client, listener)]
    run.check("handles from before reset", codes, equals=["EBADF", "EBADF"])


# -- ADAPTER-009: every declared feature is honoured -----------------------------------------

# Where each option applies: the socket kinds ADAPTER-009 tries it on.
OPTION_SOCKETS = {
    "nodelay": ("tcp connection",), "keepalive": ("tcp connection",), "linger": ("tcp connection",),
    "reuseaddr": ("tcp listener", "tcp connection", "udp socket"),
    "reuseport": ("tcp listener", "tcp connection", "udp socket"),
    "rcvbuf": ("tcp listener", "tcp connection", "udp socket"),
    "sndbuf": ("tcp connection", "udp socket"),
    "ttl": ("tcp connection", "udp socket"),
    "broadcast": ("udp socket",),
    "v6only": ("tcp listener (ipv6)", "udp socket (ipv6)"),
    # 1.5
    "rcvtimeo": ("tcp connection", "udp socket"), "sndtimeo": ("tcp connection", "udp socket"),
    "keepidle": ("tcp connection",), "keepintvl": ("tcp connection",), "keepcnt": ("tcp connection",),
    "user_timeout": ("tcp connection",), "cork": ("tcp connection",), "tos": ("tcp connection", "udp socket"),
    "oobinline": ("tcp connection",), "type": ("tcp listener", "tcp connection", "udp socket"),
    "acceptconn": ("tcp listener", "tcp connection"), "error": ("tcp connection", "udp socket"),
}


@behaviour("ADAPTER-009", **ADAPTER_CASES)
def test_every_declared_feature_is_honoured(run):
    _, hello = run.client.exchange("hello", protocol=PROTOCOL_VERSION)
    features = set(hello.get("features") or ())
    opener = _SocketOpener(run, features)
    failures = []
    for feature in sorted(features):
        if feature.startswith("opt."):
            failures += _option_failures(run, opener, feature.removeprefix("opt."))
        elif feature in ("raw", "ping-socket"):
            failures += _raw_failures(run, features, "raw" if feature == "raw" else "ping")
        elif feature == "tcp.socket":
            code, _ = run.client.exchange("tcp.socket", family=_a_family(features), options={})
            failures += [] if code == "ok" else [f"tcp.socket: {code}"]
    run.check("declared features that do not work", failures, equals=[])


class _SocketOpener:
    """Opens, once each, the sockets that options are tried on (only of declared kinds)."""

    def __init__(self, run, features: set[str]) -> None:
        self.run, self.features, self._open = run, features, {}

    def get(self, kind: str) -> tuple[str, int | None]:
        if kind not in self._open:
            self._open[kind] = self._make(kind)
        return self._open[kind]

    def _make(self, kind: str) -> tuple[str, int | None]:
        run = self.run
        family = "ipv6" if "(ipv6)" in kind else "ipv4" if "(ipv4)" in kind else _a_family(self.features)
        host = "::1" if family == "ipv6" else "127.0.0.1"
        protocol = kind.split()[0]
        if protocol not in self.features or family not in self.features:
            return "not declared", None
        if kind.startswith("udp"):
            code, result = run.client.exchange("udp.bind", family=family, host=host, port=0, options={})
        elif kind.startswith("tcp listener"):
            code, result = run.client.exchange("tcp.listen", family=family, host=host, port=0, options={})
        else:
            peer = run.server.tcp_listen(family, host)
            code, result = run.client.exchange("tcp.connect", family=family, host=host, port=peer.local.port,
                                               options={})
        return code, result.get("handle")


# Where each option does not apply: a declared option there is still performed, and answers
# the library's or the kernel's error, never UNSUPPORTED (§7, 1.3).
OPTION_MISFITS = {"v6only": "tcp connection", "nodelay": "udp socket", "keepalive": "udp socket",
                  "linger": "udp socket", "keepidle": "udp socket", "cork": "udp socket"}


def _option_failures(run, opener: _SocketOpener, name: str) -> list[str]:
    failures = []
    misfit = OPTION_MISFITS.get(name)
    if misfit:
        code, handle = opener.get(misfit if name != "v6only" else "tcp connection (ipv4)")
        if code == "ok":
            code, _ = run.client.exchange("opt.get", handle=handle, name=name)
            if code in ("UNSUPPORTED", "BADREQUEST"):
                failures.append(f"opt.{name}: opt.get on a {misfit} it does not apply to: {code}")
    for kind in OPTION_SOCKETS.get(name, ()):
        code, handle = opener.get(kind)
        if code == "not declared":
            continue
        if code != "ok":
            failures.append(f"opt.{name}: opening a {kind}: {code}")
            continue
        code, result = run.client.exchange("opt.get", handle=handle, name=name)
        if code != "ok" or "value" not in result:
            failures.append(f"opt.{name}: opt.get on a {kind}: {code}")
            continue
        # The kernel may refuse a change at this point (IPV6_V6ONLY after bind: EINVAL); the
        # adapter must still know the option.
        code, _ = run.client.exchange("opt.set", handle=handle, name=name, value=result["value"])
        if code in ("UNSUPPORTED", "BADREQUEST"):
            failures.append(f"opt.{name}: opt.set on a {kind} to the value read: {code}")
    return failures


def _raw_failures(run, features: set[str], kind: str) -> list[str]:
    failures = []
    for family, protocol in (("ipv4", "icmp"), ("ipv6", "icmpv6")):
        if family in features:
            code, _ = run.client.exchange("raw.open", family=family, protocol=protocol, kind=kind, options={})
            if code != "ok":
                failures.append(f"raw.open kind={kind} {family}: {code}")
    return failures


def _a_family(features: set[str]) -> str:
    return "ipv4" if "ipv4" in features else "ipv6"
