"""Wire-protocol vocabulary: version, families, features, options, value encodings.

docs/protocol.md is the normative text; this module is its machine-readable half, used by
the reference adapter and by the suite's protocol client alike.
"""

from __future__ import annotations

import base64
import binascii
import socket

PROTOCOL_VERSION = "1.8"  # 1.1 raw sockets, 1.2 serve.* and finer features, 1.3 the text without gaps, 1.4 Unix-domain sockets, 1.5 readiness, flags, more options, 1.6 SCTP, 1.7 multicast, the error queue, nonblock, 1.8 SCTP association parameters; 1.x adapters stay compatible
DEFAULT_TIMEOUT = 5.0

FAMILIES = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}

# Every feature an adapter may declare in ``hello`` (docs/protocol.md §3).
OPTION_NAMES = (
    "reuseaddr", "reuseport", "nodelay", "keepalive", "linger",
    "rcvbuf", "sndbuf", "broadcast", "v6only", "ttl",
)
# Options 1.5 adds (§7); type, acceptconn and error are read-only.
OPTION_NAMES_15 = (
    "rcvtimeo", "sndtimeo", "keepidle", "keepintvl", "keepcnt", "user_timeout", "cork", "tos",
    "oobinline", "type", "acceptconn", "error",
)
# Readiness, connects, flags (1.5), docs/protocol.md §6 "Readiness and connects", "Flags and blocking calls".
FEATURES_15 = (
    "wait", "wait.rdhangup", "tcp.pending", "tcp.connect-handle", "udp.disconnect", "udp.reconnect", "blocking",
    "flag.peek", "flag.waitall", "flag.dontwait", "flag.trunc", "flag.oob",
)
# Unix-domain sockets (1.4); option passcred comes with unix.credentials, not opt.passcred.
UNIX_FEATURES = (
    "unix.stream", "unix.dgram", "unix.seqpacket", "unix.abstract", "unix.autobind",
    "unix.socketpair", "unix.peercred", "unix.rights", "unix.credentials", "serve.unix", "serve.unixgram",
)
# SCTP (1.6), docs/protocol.md "SCTP (1.6)": one-to-one style associations, and one-to-many sockets.
SCTP_FEATURES = ("sctp", "sctp.one-to-many")
# Multicast and the error queue (1.7), docs/protocol.md "Multicast and the error queue (1.7)", and their options (§7).
OPTION_NAMES_17 = ("multicast_loop", "multicast_ttl", "multicast_if", "recverr", "nonblock", "quickack")
FEATURES_17 = ("multicast", "udp.errqueue")
# SCTP association parameters (1.8), docs/protocol.md "SCTP association parameters (1.8)", and their options (§7).
OPTION_NAMES_18 = ("sctp_hbinterval", "sctp_nodelay")
SCTP_FEATURES_18 = ("sctp.streams", "sctp.status", *(f"opt.{name}" for name in OPTION_NAMES_18))
FEATURES = (
    "tcp", "udp", "ipv4", "ipv6", "ipv4-mapped", "tcp.socket", "tcp.bind-connect",
    "stream.shutdown", "stream.shutdown.read", "stream.shutdown.write", "stream.abort", "nonblocking",
    "raw", "ping-socket", "udp.connect", "tcp.listener-io", "serve.tcp", "serve.udp",
    *UNIX_FEATURES, *FEATURES_15, *SCTP_FEATURES, *FEATURES_17, *SCTP_FEATURES_18,
    *(f"opt.{name}" for name in OPTION_NAMES + OPTION_NAMES_15 + OPTION_NAMES_17),
)


def encode_bytes(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode_bytes(text: str) -> bytes:
    """Strict base64 (RFC 4648 §4): anything else is a malformed message."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(f"invalid base64 data: {exc}") from None


def major(version: str) -> int:
    return int(str(version).split(".", 1)[0])
