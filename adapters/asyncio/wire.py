"""The wire protocol's message level: request arguments, bytes, responses (docs/protocol.md §2).

The adapter's own copy of the rules every adapter keeps: a missing or ill-typed argument is
BADREQUEST, bytes are strict base64, a timeout is a number >= 0 (default 5 s).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

PROTOCOL_VERSION = "1.8"
DEFAULT_TIMEOUT = 5.0
BADREQUEST = "BADREQUEST"
UNSUPPORTED = "UNSUPPORTED"


class BadRequest(Exception):
    """The request itself is malformed; answered with BADREQUEST."""


class Args:
    """Typed access to a request's ``args``."""

    def __init__(self, raw: Any) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise BadRequest("args must be an object")
        self._raw = raw

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        """The argument ``name`` of type ``kind``; ``default`` when absent (or null, if there is one)."""
        if name not in self._raw or self._raw[name] is None and default is not ...:
            if default is ...:
                raise BadRequest(f"missing argument {name!r}")
            return default
        value = self._raw[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python; the protocol keeps them apart.
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise BadRequest(f"argument {name!r} has the wrong type")
        return value

    def timeout(self) -> float:
        value = self.get("timeout", (int, float), DEFAULT_TIMEOUT)
        if value < 0:
            raise BadRequest("timeout must be >= 0")
        return float(value)

    def data(self) -> bytes:
        text = self.get("data", str)
        try:
            return base64.b64decode(text, validate=True)  # strict: RFC 4648 §4 alphabet, padding
        except (binascii.Error, ValueError) as exc:
            raise BadRequest(f"invalid base64 data: {exc}") from None


def encode_bytes(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def operation_table(cls: type) -> dict[str, str]:
    """Operation name -> method name: ``op_tcp_listen`` performs ``tcp.listen``."""
    return {name[3:].replace("_", ".", 1): name for name in dir(cls) if name.startswith("op_")}


def error_response(request_id: Any, code: str, message: str, supplied: bool = False) -> dict:
    """``supplied``: the adapter chose the errno name, asyncio reported none (protocol 1.3, §2.2)."""
    error = {"code": code, "message": message}
    if supplied:
        error["supplied"] = True
    return {"id": request_id, "ok": False, "error": error}
