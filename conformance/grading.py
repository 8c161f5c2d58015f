"""Scenario → trace → compare: run a scenario with the reference and with the target in
the same seat, and grade the target.

Grades:
- ``pass``: every check keeps the rule and matches the reference;
- ``divergent``: every check keeps the rule, but an outcome differs from the reference's
  where the standards allow several (EPIPE *or* ECONNRESET);
- ``fail``: a check breaks the rule, or the trace differs from the reference's where only
  one outcome is right. The verdict carries the first difference and both traces.

Faults of the adapter or the harness are not grades: they propagate as exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from fixtures.endpoint import Endpoint
from fixtures.features import needs_of, undeclared
from fixtures.trace import Entry, Trace, side_by_side
from reference_impl.errors import UNSUPPORTED, OpError

from .scenario import NotApplicable, Run, ScenarioSpec


class ReferenceDisagrees(Exception):
    """The reference itself breaks the rule on this host: a harness problem, not a verdict."""


@dataclass
class Verdict:
    grade: str
    headline: str
    target_trace: Trace
    reference_trace: Trace
    report: str = ""
    divergences: list[str] = field(default_factory=list)
    difference: str = ""  # the first difference from the reference, in words
    first_check: str = ""  # the name of the first check violated or differing (a stop's too)

    @property
    def adapter_notes(self) -> list[str]:
        """Error names the adapter supplied and results it emulated (protocol 1.3)."""
        return list(self.target_trace.notes)


def execute(scenario: Callable, spec: ScenarioSpec, family: str, target_seat: str,
            seat_transports: dict[str, Any], service_factory: Callable | None = None,
            declared: frozenset[str] | None = None) -> Trace:
    """Run the scenario once; an unexpected operation error ends it as a recorded stop.

    ``declared``: the features the target in ``target_seat`` declared. UNSUPPORTED from it
    for a request they all cover is a broken promise, recorded as a stop (a failure); for
    anything else the case is not applicable.
    """
    trace = Trace()
    endpoints = {seat: Endpoint(transport, seat, trace) for seat, transport in seat_transports.items()}
    run = Run(endpoints, family, target_seat, trace, service_factory)
    try:
        scenario(run)
    except OpError as exc:
        if exc.code != UNSUPPORTED:
            trace.add_stop("", f"scenario stopped by an unexpected {exc.code} ({exc.message})")
        else:
            _judge_unsupported(exc, trace, target_seat, declared)
    finally:
        run.release()
    return trace


def _judge_unsupported(exc: OpError, trace: Trace, target_seat: str, declared: frozenset[str] | None) -> None:
    seat, op, args = getattr(exc, "request", ("", "?", {}))
    if declared is None or seat not in target_seat.split("+"):
        raise NotApplicable(f"the target answered UNSUPPORTED: {exc.message}") from None
    missing = undeclared(op, args, declared)
    if missing:
        raise NotApplicable(f"the target answered UNSUPPORTED to {op}, which needs {', '.join(missing)}, "
                            f"not declared: {exc.message}") from None
    covering = sorted({feature for need in needs_of(op, args) for feature in need & declared})
    trace.add_stop(seat, f"declared {', '.join(covering)}, then answered UNSUPPORTED to {op} "
                         f"({exc.message})")


def grade(target_trace: Trace, reference_trace: Trace, target_label: str, rule: str) -> Verdict:
    expected = reference_trace.checks()
    if any(not entry.passed for entry in expected):
        raise ReferenceDisagrees(
            "the reference itself does not keep this rule on this host:\n"
            + side_by_side(reference_trace, Trace(), "reference", ""))
    actual = target_trace.checks()
    violations = [entry for entry in actual if not entry.passed]
    difference, divergences = _first_difference(actual, expected)
    if violations or difference is not None:
        mark = target_trace.entries.index(difference[0]) if difference and difference[0] else None
        headline = _headline(violations, difference)
        first = "\n".join([
            *(f"violated: {v.name}: got {v.value!r}; {v.rule}" for v in violations if v.kind == "check"),
            _describe_difference(difference)]).strip()
        report = "\n".join([
            f"rule: {rule}",
            first,
            "",
            side_by_side(target_trace, reference_trace, f"target ({target_label})", "reference", mark),
        ])
        return Verdict("fail", headline, target_trace, reference_trace, report, divergences, first,
                       _first_failing_check(violations, difference, target_trace))
    if divergences:
        return Verdict("divergent", "allowed divergence: " + "; ".join(divergences), target_trace,
                       reference_trace, "\n".join(divergences), divergences)
    if target_trace.notes:  # kept by the adapter's workaround, not by the library alone
        return Verdict("pass", "passed (emulated by the adapter: " + "; ".join(target_trace.notes) + ")",
                       target_trace, reference_trace)
    return Verdict("pass", "passed", target_trace, reference_trace)


def _first_failing_check(violations: list[Entry], difference: tuple | None, trace: Trace) -> str:
    """The check at which the target first went wrong, whichever way: broke its rule, or
    left the reference's path (a check the reference made that the target never reached
    counts at the place the target's trace ended)."""
    candidates = [(trace.entries.index(v), v.name) for v in violations[:1]]
    if difference is not None:
        got, want, name = difference
        candidates.append((trace.entries.index(got) if got is not None else len(trace.entries), name))
    return min(candidates)[1] if candidates else ""


def _headline(violations: list[Entry], difference: tuple | None) -> str:
    if violations and violations[0].kind == "stop":
        return violations[0].text
    if violations:
        return f"broke the rule at check {violations[0].name!r}: got {violations[0].value!r}, {violations[0].rule}"
    return f"differs from the reference at check {difference[2]!r}"  # type: ignore[index]


def _first_difference(actual: list[Entry], expected: list[Entry]) -> tuple[tuple | None, list[str]]:
    divergences = []
    for index in range(max(len(actual), len(expected))):
        got = actual[index] if index < len(actual) else None
        want = expected[index] if index < len(expected) else None
        if got is None or want is None or got.name != want.name:
            name = (got or want).name  # type: ignore[union-attr]
            return (got, want, name), divergences
        if got.value != want.value:
            if got.by_rule and got.passed:  # another value that keeps the rule: noted, compared on
                divergences.append(f"{got.name}: target {got.value!r}, reference {want.value!r} (both keep the rule)")
                continue
            if got.allowed is not None and got.passed:
                # An allowed outcome may take the scenario down another path (EISCONN instead of
                # a delivery to check): the traces part here, and each of the target's remaining
                # checks is held to its own rule (the violations above), not to the reference's.
                divergences.append(f"{got.name}: target {got.value!r}, reference {want.value!r} (both allowed)")
                return None, divergences
            return (got, want, got.name), divergences
    return None, divergences


def _describe_difference(difference: tuple | None) -> str:
    if difference is None:
        return ""
    got, want, name = difference
    return (f"first difference, at check {name!r}:\n"
            f"  target:    {got.text if got else '(no such check: the scenario ended earlier)'}\n"
            f"  reference: {want.text if want else '(no such check)'}")
