"""How a behaviour is written: a scenario over seats, making named checks.

    @behaviour("TCP-STREAM-003", seats=("client", "server"))
    def test_bidirectional_transfer(run):
        listener = run.server.tcp_listen(run.family, run.host)
        ...
        run.check("server received the client's bytes", received == data, equals=True)

The suite runs each scenario twice: with the reference in the target's seat (the
expected trace), then with the target there, and grades the pair (conformance.grading).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import pytest

from fixtures import host
from fixtures.endpoint import Addr, Endpoint, UnixAddr, unix_base_dir
from fixtures.ports import ClosedPort, FreePorts
from fixtures.trace import Trace
from fixtures.wire import UdpObserver, WireObserver
from reference_impl.errors import UNSUPPORTED, OpError

from . import catalogue

# A case's family: which socket family and which loopback address it runs on.
# "unix": Unix-domain sockets (1.4), no Internet address at all; paths come from run.unix_path.
FAMILY_HOSTS = {"ipv4": ("ipv4", "127.0.0.1"), "ipv6": ("ipv6", "::1"), "ipv4-mapped": ("ipv6", "::ffff:127.0.0.1"),
                "unix": ("unix", "")}
FAMILY_NEEDS = {"ipv4": {"ipv4"}, "ipv6": {"ipv6"}, "ipv4-mapped": {"ipv4", "ipv6", "ipv4-mapped"}, "unix": set()}
# A stream or datagram behaviour run over Unix-domain sockets needs their features instead
# of TCP's and UDP's (and an echo scenario a Unix-domain echo server).
# The families of a behaviour that holds for every stream (or datagram) socket, Unix-domain
# ones included: its scenario runs over each, and the report shows which.
WITH_UNIX = ("ipv4", "ipv6", "unix")
UNIX_PROGRAMS = {"tcp": "unix-echo", "udp": "unixgram-echo"}  # the echo programs of the family "unix"
UNIX_INSTEAD = {"tcp": "unix.stream", "udp": "unix.dgram", "serve.tcp": "serve.unix", "serve.udp": "serve.unixgram"}
# A case's private directory for socket files: the prefix names the suite's process, so a
# check that nothing is left behind looks only at its own (tests/test_unix_paths.py).
UNIX_DIR_PREFIX = "sockspec-unix-"
_MISSING = object()
_FREE_PORTS = FreePorts()


@dataclass(frozen=True)
class ScenarioSpec:
    behaviour: catalogue.Behaviour
    seats: tuple[str, ...]  # seats the target takes in turn; "client+server" is both ends at once
    families: tuple[str, ...]
    peers: tuple[str, ...]  # further seats, always filled by reference peers
    echo: str | None = None  # "tcp" or "udp": the scenario talks to an echo service (run.echo)
    ping: bool = False  # the scenario judges a ping program's capture (run.ping)
    isolation: str | None = None  # the target runs as a twin process: "unprivileged" or "netns"

    @property
    def target_kinds(self) -> tuple[str, ...]:
        """Adapters; echo scenarios also take echo-server programs; ping scenarios only pingers."""
        if self.ping:
            return ("ping",)
        if not self.echo:
            return ("adapter",)
        unix_programs = (UNIX_PROGRAMS[self.echo],) if "unix" in self.families else ()
        return ("adapter", f"{self.echo}-echo", *unix_programs)

    def needs(self, family: str) -> set[str]:
        """Features the case needs; an echo scenario needs an adapter to serve echo itself."""
        serving = {f"serve.{self.echo}"} if self.echo else set()
        needs = set(self.behaviour.needs) | FAMILY_NEEDS[family] | serving
        return {UNIX_INSTEAD.get(need, need) for need in needs} if family == "unix" else needs


SCENARIOS: dict[str, list[Callable]] = {}


def behaviour(behaviour_id: str, *, seats: Iterable[str] | None = None,
              families: Iterable[str] = ("ipv4", "ipv6"), peers: Iterable[str] = (),
              echo: str | None = None, ping: bool = False, isolation: str | None = None) -> Callable:
    """Declare a test function as the scenario of catalogue behaviour ``behaviour_id``.

    ``echo="tcp"`` or ``"udp"``: the scenario drives an echo service in the server seat,
    so it also runs against echo-server programs (``tcp-echo:``, ``udp-echo:``; with the
    family ``"unix"``, ``unix-echo:`` and ``unixgram-echo:``).
    """
    seats = tuple(seats) if seats is not None else (("server",) if echo else ("pinger",) if ping else ("client", "server"))
    spec = ScenarioSpec(catalogue.get(behaviour_id), seats, tuple(families), tuple(peers), echo, ping,
                        isolation)
    unknown = set(spec.families) - set(FAMILY_HOSTS)
    if unknown:
        raise ValueError(f"{behaviour_id}: unknown families {sorted(unknown)}")

    def decorate(function: Callable) -> Callable:
        function.sockspec = spec  # type: ignore[attr-defined]
        SCENARIOS.setdefault(behaviour_id, []).append(function)
        return pytest.mark.behaviour(behaviour_id)(function)
    return decorate


class NotApplicable(Exception):
    """The target answered UNSUPPORTED to an operation the scenario needs."""


class Run:
    """One execution of a scenario: endpoints in their seats, the family, the trace."""

    def __init__(self, seats: dict[str, Endpoint], family: str, target_seat: str, trace: Trace,
                 service_factory: Callable[["Run"], Any] | None = None) -> None:
        self.family, self.host = FAMILY_HOSTS[family]
        self.case_family = family
        self.target_seat = target_seat
        self.trace = trace
        self._seats = seats
        self._held: list[ClosedPort | WireObserver] = []
        self._service_factory = service_factory
        self._service: Any = None
        self._unix_dir: str | None = None
        self._numbers: dict[str, int] = {}

    @property
    def echo(self) -> Any:
        """The echo service under test (a program, or the target serving echo itself: serve.start)."""
        return self._service_under_test("echo=")

    @property
    def ping(self) -> Any:
        """What the ping program under test sent and got (a fixtures.pingers.PingCapture)."""
        return self._service_under_test("ping=True")

    def _service_under_test(self, declaration: str) -> Any:
        if self._service is None:
            if self._service_factory is None:
                raise RuntimeError(f"this scenario was not declared with {declaration}")
            self._service = self._service_factory(self)
        return self._service

    def __getattr__(self, name: str) -> Endpoint:
        seats = self.__dict__.get("_seats", {})
        if name in seats:
            return seats[name]
        raise AttributeError(f"scenario has no seat or attribute {name!r} (seats: {', '.join(seats)})")

    def seat(self, name: str) -> Endpoint:
        return self._seats[name]

    # -- checks ------------------------------------------------------------------------

    def check(self, name: str, value: Any, *, equals: Any = _MISSING, allowed: Iterable[Any] | None = None,
              satisfies: Callable[[Any], bool] | None = None, rule: str = "") -> bool:
        """Record a named observation and judge it against the rule.

        ``equals``: the rule fixes the value. ``allowed``: the standards allow several
        values; one that differs from the reference's is graded an allowed divergence (and the
        scenario may go another way from there). ``satisfies``: a predicate (give ``rule`` in
        words); a value that keeps it but differs from the reference's is an allowed
        divergence too, and the comparison goes on. None of them: the value must simply match
        the reference's.
        """
        shown = normalise(value, self.trace)
        allowed_list = None
        if equals is not _MISSING:
            passed, rule = value == equals, rule or f"must be {normalise(equals, self.trace)!r}"
        elif allowed is not None:
            allowed_list = sorted(allowed, key=repr)
            passed, rule = value in allowed_list, rule or f"must be one of {allowed_list}"
        elif satisfies is not None:
            passed, rule = bool(satisfies(value)), rule or "predicate"
        else:
            passed, rule = True, rule or "must match the reference"
        # A value judged by a predicate may differ from the reference's while keeping the rule
        # (a buffer size the system rounds its own way): an allowed divergence, not a failure.
        self.trace.add_check(name, shown, passed, rule, allowed_list, by_rule=satisfies is not None)
        return passed

    @staticmethod
    def outcome(operation: Callable, *args: Any, **kwargs: Any) -> str:
        """``"ok"`` or the canonical error code of one operation."""
        try:
            operation(*args, **kwargs)
        except OpError as exc:
            if exc.code == UNSUPPORTED:
                raise
            return exc.code
        return "ok"

    # -- addresses -----------------------------------------------------------------------

    def addr(self, port: int, host: str | None = None) -> Addr:
        return Addr(host or self.host, port)

    def closed_port(self) -> int:
        """A port on this run's loopback that nothing listens on, held for the run."""
        held = ClosedPort(self.family, self.host if self.case_family != "ipv4-mapped" else "127.0.0.1")
        self._held.append(held)
        return held.port

    def free_port(self) -> int:
        return _FREE_PORTS.take(self.family, self.host if self.case_family != "ipv4-mapped" else "127.0.0.1")

    # -- the host's view of sockets (needs "host.ss") ------------------------------------

    @staticmethod
    def unix_connections(address: UnixAddr) -> int:
        """How many connected stream sockets carry this Unix address: a server's sessions."""
        return host.unix_connections(address.path or f"@{address.abstract}")

    @staticmethod
    def tcp_states(local: Addr, peer: Addr) -> list[str]:
        """The kernel's state(s) of the TCP socket with this local and peer address."""
        return host.connection_states(local, peer)

    @staticmethod
    def eventually(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
        """Whether ``condition`` comes true within ``timeout`` (kernel state settles asynchronously)."""
        return host.wait_until(condition, timeout)

    def observe_tcp(self, port: int) -> WireObserver:
        """Start capturing this port's TCP segments on lo (needs "host.capture")."""
        observer = WireObserver(port)
        self._held.append(observer)
        return observer

    def observe_udp(self, port: int) -> UdpObserver:
        """Start capturing this port's UDP datagrams on lo (needs "host.capture")."""
        observer = UdpObserver(port)
        self._held.append(observer)
        return observer

    # -- Unix-domain addresses (1.4) -------------------------------------------------------

    @property
    def unix_dir(self) -> str:
        """This case's private directory for socket files, made on first use (mkdtemp, mode
        0700) and removed with everything in it when the case ends. The reference's run and
        the target's each get their own; traces show names relative to it."""
        if self._unix_dir is None:
            self._unix_dir = tempfile.mkdtemp(prefix=f"{UNIX_DIR_PREFIX}{os.getpid()}-", dir=unix_base_dir())
            self.trace.unix_dir = self._unix_dir
        return self._unix_dir

    def unix_path(self, name: str) -> UnixAddr:
        """A pathname address ``name`` inside this case's directory (nothing is created)."""
        return UnixAddr(path=os.path.join(self.unix_dir, name))

    def numbered(self, stem: str) -> str:
        """``stem-1``, ``stem-2``, … in the order asked: the same names in both runs of a case."""
        self._numbers[stem] = self._numbers.get(stem, 0) + 1
        return f"{stem}-{self._numbers[stem]}"

    def unix_abstract(self, name: str) -> UnixAddr:
        """An abstract address, unique to this run (shown as ``@name`` in traces)."""
        if not self.trace.unix_tag:
            self.trace.unix_tag = f"sockspec-{os.getpid()}-{secrets.token_hex(4)}-"
        return UnixAddr(abstract=self.trace.unix_tag + name)

    def unix_name(self, address: UnixAddr | None) -> str:
        """An address as this run's trace shows it: comparable across the two runs."""
        return "(none)" if address is None else self.trace.unix_name(address.wire())

    def release(self) -> None:
        if self._unix_dir is not None:
            shutil.rmtree(self._unix_dir, ignore_errors=True)
            self._unix_dir = None
        if self._service is not None and hasattr(self._service, "stop"):
            self._service.stop()
        for held in self._held:
            held.close()
        self._held.clear()


def normalise(value: Any, trace: Trace) -> Any:
    """Make a checked value comparable across runs (ports named, bytes summarised)."""
    if isinstance(value, Addr):
        return f"{value.host}:{trace.ports(value.port)}"
    if isinstance(value, UnixAddr):
        return trace.unix_name(value.wire())
    if isinstance(value, (bytes, bytearray)):
        if len(value) <= 32:
            return repr(bytes(value))
        return f"<{len(value)} bytes sha256:{hashlib.sha256(value).hexdigest()[:16]}>"
    if isinstance(value, (list, tuple)):
        return [normalise(v, trace) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((normalise(v, trace) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: normalise(v, trace) for k, v in value.items()}
    return value
