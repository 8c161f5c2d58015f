"""Message level of the wire protocol (docs/protocol.md §2): typed arguments, base64, answers."""

from __future__ import annotations

import base64
import binascii
from typing import Any

PROTOCOL_VERSION = "1.8"
DEFAULT_TIMEOUT = 5.0
UNSUPPORTED = "UNSUPPORTED"
BADREQUEST = "BADREQUEST"

_MISSING = object()


class BadRequest(Exception):
    """A malformed request: a required argument missing or of the wrong JSON type."""


class Args:
    def __init__(self, raw: Any) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise BadRequest("args must be a JSON object")
        self.raw = raw

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def get(self, name: str, kinds: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        value = self.raw.get(name)
        if value is None:
            if default is _MISSING:
                raise BadRequest(f"argument {name!r} is required")
            return default
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        # JSON true/false are not numbers here, although Python's bool is an int
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            raise BadRequest(f"argument {name!r} has the wrong JSON type")
        return value

    def timeout(self) -> float:
        value = self.get("timeout", (int, float), DEFAULT_TIMEOUT)
        if value < 0:
            raise BadRequest("timeout must be >= 0")
        return float(value)

    def size(self, name: str = "max") -> int:
        value = self.get(name, int)
        if value < 1:
            raise BadRequest(f"{name} must be >= 1")
        return value

    def data(self) -> bytes:
        try:
            return base64.b64decode(self.get("data", str), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest(f"data is not strict base64: {exc}") from None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def ok(request_id: Any, result: dict) -> dict:
    return {"id": request_id, "ok": True, "result": result}


def failed(request_id: Any, code: str, message: str, supplied: bool = False) -> dict:
    error: dict = {"code": code, "message": message}
    if supplied:
        error["supplied"] = True
    return {"id": request_id, "ok": False, "error": error}
