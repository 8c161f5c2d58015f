"""Faulty targets of the options protocol 1.5 adds (TCP-OPTS-*)."""

from __future__ import annotations

import socket

from reference_impl.engine import ReferenceAdapter

from .flags import RcvtimeoIgnored, SndtimeoIgnored
from .readiness import ErrorOptionNeverNull, SendZeroTimeoutTimesOut

_FAULTS: dict[tuple[str, str], type] = {}


def _fault(kind: str, name: str, doc: str, **methods) -> type:
    """One fault class per (kind, option), made once: ``KeepidleIgnored`` and the like."""
    key = (kind, name)
    if key not in _FAULTS:
        title = "".join(part.capitalize() for part in name.split("_")) + kind
        _FAULTS[key] = type(title, (ReferenceAdapter,), {"__doc__": doc, **methods})
    return _FAULTS[key]


def option_ignored(name: str) -> type:
    def op_opt_set(self, args):
        if args.get("name", str) == name:
            self._socket(args)
            return {}
        return ReferenceAdapter.op_opt_set(self, args)
    return _fault("Ignored", name, f"Setting {name} does nothing.", op_opt_set=op_opt_set)


def reads_instead(name: str, real, shown, kind: str, doc: str) -> type:
    """opt.get of ``name`` answers ``shown`` where the system says ``real``."""
    def op_opt_get(self, args):
        result = ReferenceAdapter.op_opt_get(self, args)
        if args.get("name", str) == name and result["value"] == real:
            return {"value": shown}
        return result
    return _fault(kind, name, doc, op_opt_get=op_opt_get)


def timeout_in_milliseconds(name: str) -> type:
    def op_opt_get(self, args):
        result = ReferenceAdapter.op_opt_get(self, args)
        if args.get("name", str) == name:
            return {"value": round(result["value"] * 1000)}
        return result
    return _fault("InMilliseconds", name, f"{name} reads back in milliseconds, not seconds.", op_opt_get=op_opt_get)


def zero_keeps_timeout(name: str) -> type:
    def op_opt_set(self, args):
        if args.get("name", str) == name and args.get("value", (int, float)) == 0:
            self._socket(args)
            return {}  # 0 taken as "leave it as it is"
        return ReferenceAdapter.op_opt_set(self, args)
    return _fault("ZeroKeeps", name, f"Setting {name} to 0 leaves the old timeout.", op_opt_set=op_opt_set)


class ReadOnlySetSucceeds(ReferenceAdapter):
    """Setting a read-only option answers success (and does nothing)."""
    def op_opt_set(self, args):
        if args.get("name", str) in ("type", "acceptconn", "error"):
            self._socket(args)
            return {}
        return super().op_opt_set(args)


class OptionsCached(ReferenceAdapter):
    """A wrapper remembers every value it was asked to set, even one the system refused, and
    answers opt.get from that memory."""
    def __init__(self):
        super().__init__()
        self._set: dict[tuple[int, str], object] = {}

    def op_opt_set(self, args):
        self._set[(args.get("handle", int), args.get("name", str))] = args.raw.get("value")
        return super().op_opt_set(args)

    def op_opt_get(self, args):
        result = super().op_opt_get(args)
        key = (args.get("handle", int), args.get("name", str))
        return {"value": self._set[key]} if key in self._set else result


class TypeAlwaysDgram(ReferenceAdapter):
    """SO_TYPE always reads dgram."""
    def op_opt_get(self, args):
        result = super().op_opt_get(args)
        return {"value": "dgram"} if args.get("name", str) == "type" else result


class TypeAlwaysStream(ReferenceAdapter):
    """SO_TYPE always reads stream."""
    def op_opt_get(self, args):
        result = super().op_opt_get(args)
        return {"value": "stream"} if args.get("name", str) == "type" else result


class AcceptconnAlwaysFalse(ReferenceAdapter):
    """SO_ACCEPTCONN always reads false."""
    def op_opt_get(self, args):
        result = super().op_opt_get(args)
        return {"value": False} if args.get("name", str) == "acceptconn" else result


class TcpOptionsOnUdpSucceed(ReferenceAdapter):
    """TCP-level options on a datagram socket answer success (kept in the wrapper)."""
    def op_opt_set(self, args):
        if self._socket(args).type == socket.SOCK_DGRAM and args.get("name", str) in ("keepidle", "cork"):
            return {}
        return super().op_opt_set(args)

    def op_opt_get(self, args):
        if self._socket(args).type == socket.SOCK_DGRAM and args.get("name", str) in ("keepidle", "cork"):
            return {"value": 0 if args.get("name", str) == "keepidle" else False}
        return super().op_opt_get(args)


def _proofs() -> dict[str, dict]:
    proofs: dict[str, dict] = {"TCP-OPTS-001": {}}
    for name in ("rcvtimeo", "sndtimeo"):
        proofs["TCP-OPTS-001"].update({
            f"{name} on a new connection": reads_instead(name, 0, 5.0, "DefaultsToFive",
                                                         f"{name} reads 5 s (the library's default) where the system has none."),
            f"{name} after setting #.# s": timeout_in_milliseconds(name),
            f"{name} after setting #": zero_keeps_timeout(name),
        })
    proofs.update({
        "TCP-OPTS-002": {"a blocking receive with rcvtimeo #.# s and nothing arriving": RcvtimeoIgnored},
        "TCP-OPTS-003": {
            "sends without waiting while the peer does not read": SendZeroTimeoutTimesOut,
            "a blocking send with sndtimeo #.# s and the buffer full": SndtimeoIgnored,
        },
        "TCP-OPTS-004": {f"{name} after setting #": option_ignored(name) for name in ("keepidle", "keepintvl", "keepcnt")},
        "TCP-OPTS-005": {
            "user_timeout on a new connection": reads_instead("user_timeout", 0, 20000, "DefaultsNonzero",
                                                              "user_timeout reads 20000 ms where the system has 0."),
            "user_timeout after setting #": option_ignored("user_timeout"),
        },
        "TCP-OPTS-006": {
            "cork on a new connection": reads_instead("cork", False, True, "ReadsOn", "cork reads on where it is off."),
            "cork after setting #": option_ignored("cork"),
        },
        "TCP-OPTS-007": {"tos after setting #": option_ignored("tos")},
        "TCP-OPTS-008": {
            "type of a listener and of a connection": TypeAlwaysDgram,
            "type of a datagram socket": TypeAlwaysStream,
        },
        "TCP-OPTS-009": {"acceptconn of a listener and of a connection": AcceptconnAlwaysFalse},
        "TCP-OPTS-010": {"pending error of a working connection and of its listener": ErrorOptionNeverNull},
        "TCP-OPTS-011": {"setting the read-only options": ReadOnlySetSucceeds, "what they read after": OptionsCached},
        "TCP-OPTS-012": {"TCP options on a UDP socket": TcpOptionsOnUdpSucceed},
    })
    return proofs


PROOFS: dict[str, dict] = _proofs()
