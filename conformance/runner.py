"""Running one case: applicability, the expected run with the reference, the target's run.

Adapters sit in their seat through their transport; program targets are reached as an echo
service; the reference fills every other seat. The verdict comes from conformance.grading.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pytest

from fixtures import host, pingers, privilege, wire
from fixtures.echo_service import ProgramEcho, ServedEcho
from fixtures.errors import AdapterFault, TargetUnavailable
from fixtures.pingers import PingTarget
from fixtures.programs import ProgramTarget
from fixtures.target_spec import TargetSpec
from fixtures.targets import Target, make_target
from fixtures.transports import InProcessTransport
from reference_impl.engine import ReferenceAdapter
from reference_impl.sctp.usrsctp import PACKAGE as USRSCTP_PACKAGE

from .grading import ReferenceDisagrees, Verdict, execute, grade
from .scenario import FAMILY_NEEDS, NotApplicable, ScenarioSpec


@dataclass(frozen=True)
class Case:
    """One parametrisation of a behaviour test."""
    target: str
    family: str
    seat: str

    @property
    def id(self) -> str:
        return f"{self.target}-{self.family}-{self.seat}"


def target_kind(target: Target | ProgramTarget | PingTarget) -> str:
    return target.kind if isinstance(target, (ProgramTarget, PingTarget)) else "adapter"


def check_case(scenario, spec: ScenarioSpec, case: Case, target: Target | ProgramTarget) -> Verdict:
    """Applicability, the expected run, the target's run, and the grade."""
    needs = spec.needs(case.family)
    # An isolated twin has no reference peers beside it: the host only has to offer its tools.
    host_needs = {n for n in needs if n.startswith("host.") or n in FAMILY_NEEDS[case.family]} \
        if spec.isolation else needs
    host_missing = host_needs - _host_features()
    if host_missing:
        what = ", ".join(HOST_NEEDS.get(need, need) for need in sorted(host_missing))
        pytest.skip(f"not applicable on this host: it lacks {what}")
    seats = _all_seats(spec)
    if spec.ping:
        return _grade_ping(scenario, spec, case, target, seats)
    if spec.isolation:
        return _grade_twin(scenario, spec, case, target, seats, needs)
    if not isinstance(target, ProgramTarget):  # a case the target cannot take costs no reference run
        _check_features(case, target, {need for need in needs if not need.startswith("host.")})
    expected = _expected(scenario, spec, case, seats)
    if isinstance(target, ProgramTarget):
        actual = _run_program(scenario, spec, case, target, seats)
    else:
        actual = _run_adapter(scenario, spec, case, target, seats, set())  # features checked above
    return _verdict(actual, expected, case, spec)


# The reference's run of a case is the same whatever the target: run it once per process
# (behaviour, scenario, family, seat) and grade every target's run against it. Traces are
# only read once made, so one serves every target's verdict and report.
_EXPECTED: dict[tuple[str, str, str, str], object] = {}


def _expected(scenario, spec: ScenarioSpec, case: Case, seats: tuple[str, ...]):
    key = (spec.behaviour.id, f"{scenario.__module__}.{scenario.__qualname__}", case.family, case.seat)
    if key not in _EXPECTED:
        trace = execute(scenario, spec, case.family, case.seat, _reference_seats(seats), _served_echo(spec))
        trace.count_requests()  # kept for the run: counted now, its requests' data let go
        _EXPECTED[key] = trace
    return _EXPECTED[key]


def _verdict(actual, expected, case: Case, spec: ScenarioSpec) -> Verdict:
    try:
        return grade(actual, expected, case.target, spec.behaviour.rule)
    except ReferenceDisagrees as exc:  # the reference failing its own rule is the harness's fault
        raise AdapterFault(f"harness: {exc}") from None


def _run_adapter(scenario, spec: ScenarioSpec, case: Case, target: Target, seats: tuple[str, ...],
                 needs: set[str]):
    _check_features(case, target, needs)
    try:
        target.reset()
        transports = _reference_seats(seats)
        for seat in case.seat.split("+"):  # "client+server": the target on both ends
            transports[seat] = target.transport()
        actual = execute(scenario, spec, case.family, case.seat, transports, _served_echo(spec),
                         declared=target.info.features)
        target.reset()  # release the target's sockets now, not at the next test
    except AdapterFault:
        target.discard()
        raise
    except NotApplicable as exc:
        pytest.skip(f"not applicable: {exc}")
    return actual


def _run_program(scenario, spec: ScenarioSpec, case: Case, target: ProgramTarget, seats: tuple[str, ...]):
    if case.family not in target.families:
        pytest.skip(f"not applicable: program {case.target!r} serves only {', '.join(target.families)}")
    address = target.address(case.family)
    try:
        actual = execute(scenario, spec, case.family, case.seat, _reference_seats(seats),
                         lambda run: ProgramEcho(address, run.trace, lambda: target.shut_down(case.family)))
    except NotApplicable as exc:
        pytest.skip(f"not applicable: {exc}")
    target.after_case(case.family, actual)  # left broken: restarted for the next case; this case's evidence
    return actual


def _grade_ping(scenario, spec: ScenarioSpec, case: Case, target: PingTarget, seats: tuple[str, ...]) -> Verdict:
    if case.family not in target.families:
        pytest.skip(f"not applicable: ping target {case.target!r} serves only {', '.join(target.families)}")
    expected_capture = pingers.reference_capture(case.family)
    expected = execute(scenario, spec, case.family, case.seat, _reference_seats(seats), lambda run: expected_capture)
    actual_capture = target.capture(case.family)
    actual = execute(scenario, spec, case.family, case.seat, _reference_seats(seats), lambda run: actual_capture)
    return _verdict(actual, expected, case, spec)


def _grade_twin(scenario, spec: ScenarioSpec, case: Case, target: Target, seats: tuple[str, ...],
                needs: set[str]) -> Verdict:
    """The target's twin process (unprivileged, or in a namespace of its own) in its seat,
    judged against the reference's twin. Features are the target's own: what it can do as
    itself is what the twin is asked to do (or shown unable to)."""
    target_needs = {need for need in needs if not need.startswith("host.")}
    twin = target.twin(spec.isolation)
    if twin is None:
        pytest.skip(f"not applicable: target {case.target!r} runs in-process and cannot run as a "
                    f"{spec.isolation} process apart from the suite")
    # Refusals are judged on what the target can do as itself; abilities on the twin itself.
    _check_features(case, twin if spec.isolation == "netns" else target, target_needs)
    expected = _expected_twin(scenario, spec, case, seats)
    actual = _run_adapter(scenario, spec, case, twin, seats, set())
    return _verdict(actual, expected, case, spec)


# The reference's twins, one per isolation, started on first use and kept for the process
# (reset between cases like any target); closed by close_reference_twins() at the end.
_REFERENCE_TWINS: dict[str, Target] = {}


def _expected_twin(scenario, spec: ScenarioSpec, case: Case, seats: tuple[str, ...]):
    """The reference twin's run of a case, made once per process as _expected's is: the same
    for every target (its twin is judged against it)."""
    key = (spec.behaviour.id, f"{scenario.__module__}.{scenario.__qualname__}", case.family,
           f"{case.seat} ({spec.isolation})")
    if key not in _EXPECTED:
        reference = _REFERENCE_TWINS.get(spec.isolation)
        if reference is None:
            reference = make_target(TargetSpec("reference", "reference", "", "reference"),
                                    grace=5.0).twin(spec.isolation)
            _REFERENCE_TWINS[spec.isolation] = reference
        trace = _run_adapter(scenario, spec, case, reference, seats, set())
        trace.count_requests()
        _EXPECTED[key] = trace
    return _EXPECTED[key]


def close_reference_twins() -> None:
    for twin in _REFERENCE_TWINS.values():
        twin.close()
    _REFERENCE_TWINS.clear()


def _check_features(case: Case, target: Target, needs: set[str]) -> None:
    try:
        features = target.info.features
    except TargetUnavailable as exc:
        pytest.skip(f"target {case.target!r} unavailable: {exc}")
    missing = needs - features
    if missing:
        pytest.skip(f"not applicable: target {case.target!r} lacks feature(s) {', '.join(sorted(missing))}")


def _served_echo(spec: ScenarioSpec):
    """The echo service for adapters: the one the endpoint in the server seat serves itself."""
    if spec.echo is None:
        return None
    return lambda run: ServedEcho(run.server, spec.echo, run.family, run.host,
                                  run.unix_path("echo") if run.family == "unix" else None)


def _all_seats(spec: ScenarioSpec) -> tuple[str, ...]:
    named = [seat for combined in spec.seats for seat in combined.split("+")]
    return tuple(dict.fromkeys(("client", "server", *named, *spec.peers)))  # every seat, once


@functools.lru_cache(maxsize=1)
def _host_features() -> frozenset[str]:
    """What this host offers: the reference's features (peers sit in every other seat), and
    ``host.*`` tools that checks of kernel state need."""
    features = set(ReferenceAdapter().features)
    if host.ss_available():
        features.add("host.ss")
    if wire.capture_available():
        features.add("host.capture")
    if pingers.netns_available():
        features.add("host.netns")
    if privilege.can_drop_privilege():
        features.add("host.setpriv")
    if privilege.can_change_uid():
        features.add("host.setuid")
    return frozenset(features)


HOST_NEEDS = {"host.setpriv": "setpriv (util-linux) able to drop capabilities",
              "host.netns": "network namespaces of its own (unshare --net, needs CAP_SYS_ADMIN)",
              "host.ss": "the ss command (iproute2)",
              "host.capture": "packet capture on lo (AF_PACKET, needs CAP_NET_RAW)",
              "host.setuid": "a suite running as root, to start a peer under another uid",
              "sctp": f"SCTP: neither the kernel's nor usrsctp (Debian: {USRSCTP_PACKAGE})"}


def _reference_seats(seats: tuple[str, ...]) -> dict:
    return {seat: InProcessTransport(ReferenceAdapter(), f"reference peer ({seat})") for seat in seats}
