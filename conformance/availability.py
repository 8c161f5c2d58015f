"""Whether a case reached its target at all.

A case that could not, because the target is unavailable here (toolchain missing) or
unusable (its build fails, its program is not there, it never answers ``hello``), says
so in its result (``unavailable``: why). A target none of whose cases reached it did not
run, and the gate gives no verdict on it (see reports/target_status.py).
"""

from __future__ import annotations

from fixtures.errors import AdapterFault, TargetUnavailable
from fixtures.targets import Target
from reports.target_status import UNAVAILABLE_SKIP


def unavailable_reason(target: object, exc: BaseException | None) -> str | None:
    """Why the case could not reach ``target``, or None when it did (or was never meant to)."""
    if exc is None:
        return None
    cause = _unavailable_in_chain(exc)
    if cause is not None:
        return _first_line(cause)
    match = UNAVAILABLE_SKIP.match(str(getattr(exc, "msg", "")))
    if match:
        return _first_line(match.group("why"))
    if isinstance(exc, (AdapterFault, TargetUnavailable)) and _never_started(target):
        return _first_line(exc)
    return None


def _unavailable_in_chain(exc: BaseException) -> BaseException | None:
    """runner.py skips inside ``except TargetUnavailable``: the skip's context is the reason."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, TargetUnavailable):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _never_started(target: object) -> bool:
    """An adapter that never answered hello in this process: the fault is its start, not a behaviour."""
    return isinstance(target, Target) and target.known_info is None


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else type(value).__name__
