"""Running one case several times (``--sockspec-repeat N``) and telling a flaky case apart.

Each repeat ends in a grade: a verdict (pass, divergent, fail), a skip (not-applicable,
skipped) or an error (the adapter or the harness raised). When every repeat agrees the
case keeps that outcome, exactly as a single run would have ended; when they differ the
case is *flaky*, with the grade of each repeat and the evidence of the first repeat that
differed from the first one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from .grading import Verdict


def skip_grade(message: str) -> str:
    """The grade of a skip: runner's "not applicable: …" skips are inapplicable, the rest skipped."""
    return "not-applicable" if message.removeprefix("Skipped: ").startswith("not applicable") else "skipped"


@dataclass
class Outcome:
    """How one repeat ended: a verdict, or the exception that ended it instead."""
    grade: str
    headline: str
    verdict: Verdict | None = None
    raised: BaseException | None = None

    @property
    def evidence(self) -> str:
        if self.verdict is not None:
            return self.verdict.report or self.verdict.difference
        return self.headline


@dataclass
class Flaky:
    """A case whose repeats did not agree."""
    outcomes: list[Outcome]

    @property
    def grades(self) -> list[str]:
        return [o.grade for o in self.outcomes]

    @property
    def headline(self) -> str:
        return f"flaky over {len(self.outcomes)} repeats: {', '.join(self.grades)}"

    @property
    def first_different(self) -> tuple[int, Outcome]:
        first = self.outcomes[0].grade
        return next((n, o) for n, o in enumerate(self.outcomes, start=1) if o.grade != first)

    @property
    def evidence(self) -> str:
        n, other = self.first_different
        first = self.outcomes[0]
        lines = [self.headline, f"repeat 1: {first.grade}: {first.headline}",
                 f"repeat {n} (first to differ): {other.grade}: {other.headline}"]
        for outcome in (other, first):  # the evidence of the first different repeat, else the first's
            if outcome.verdict is not None and outcome.evidence:
                lines += ["", outcome.evidence]
                break
        return "\n".join(lines)


def _once(check: Callable[[], Verdict]) -> Outcome:
    try:
        verdict = check()
    except pytest.skip.Exception as exc:
        return Outcome(skip_grade(str(exc.msg)), str(exc.msg), raised=exc)
    except Exception as exc:  # an adapter or harness fault: an error, as a single run reports it
        return Outcome("error", f"{type(exc).__name__}: {exc}".splitlines()[0], raised=exc)
    return Outcome(verdict.grade, verdict.headline, verdict=verdict)


def check_repeatedly(check: Callable[[], Verdict], times: int) -> Verdict | Flaky:
    """Run ``check`` ``times`` times. Agreeing repeats end as the first one did (its verdict
    returned, its skip or fault raised again); disagreeing ones are a Flaky."""
    if times <= 1:
        return check()
    outcomes = [_once(check) for _ in range(times)]
    if len({o.grade for o in outcomes}) > 1:
        return Flaky(outcomes)
    first = outcomes[0]
    if first.raised is not None:
        raise first.raised
    assert first.verdict is not None
    return first.verdict
