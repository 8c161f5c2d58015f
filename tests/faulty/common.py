"""What the faulty targets share: small socket predicates and the faulty programs' specs."""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass
from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent / "programs"


def _unmapped(address: dict) -> dict:
    return {**address, "host": address["host"].removeprefix("::ffff:")}


def _is_listener(sock: socket.socket) -> bool:
    return sock.type == socket.SOCK_STREAM and bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))


def _connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class BadEcho:
    """An echo-server program with one classic bug (tests/faulty/programs/bad_echo.py)."""
    mode: str
    protocol: str = "tcp"  # or udp; unix, unixgram: the same bug over a Unix-domain socket

    def target_spec(self) -> str:
        program = PROGRAMS / "bad_echo.py"
        where = "--path {path}" if self.protocol in ("unix", "unixgram") else "--host {host} --port {port}"
        return f"bad-{self.mode}={self.protocol}-echo:{sys.executable} {program} {self.mode} {where}"


@dataclass(frozen=True)
class BadAdapterProgram:
    """The reference over stdio, misbehaving on one operation (programs/misbehaving_adapter.py)."""
    mode: str
    op: str

    def target_spec(self) -> str:
        program = PROGRAMS / "misbehaving_adapter.py"
        return f"bad-{self.mode}=cmd:{sys.executable} {program} {self.mode} {self.op}"


@dataclass(frozen=True)
class BadPing:
    """A pinger with one bug (tests/faulty/programs/bad_ping.py)."""
    mode: str

    def target_spec(self) -> str:
        program = PROGRAMS / "bad_ping.py"
        return f"bad-{self.mode}=ping:{sys.executable} {program} {self.mode} {{host}} {{count}}"
