"""A flaky target: right in one run, wrong in the next.

Real libraries go flaky through races; this one does it deterministically, so the suite's
flaky verdict (``--sockspec-repeat``) can be tested without waiting on a race.
"""

from __future__ import annotations

from reference_impl.engine import ReferenceAdapter


class NodelayIgnoredEveryOtherRun(ReferenceAdapter):
    """Ignores TCP_NODELAY in every other run of a scenario. A run is what lies between two
    resets that had work between them (the suite resets before and after each run)."""

    def __init__(self) -> None:
        super().__init__()
        self._worked_since_reset = False
        self._ignoring = False

    def handle(self, request: dict) -> dict:
        op = request.get("op") if isinstance(request, dict) else None
        if op == "reset":
            if self._worked_since_reset:
                self._ignoring = not self._ignoring
            self._worked_since_reset = False
        elif op != "hello":
            self._worked_since_reset = True
        return super().handle(request)

    def op_opt_set(self, args):
        if self._ignoring and args.get("name", str) == "nodelay":
            return {}
        return super().op_opt_set(args)
