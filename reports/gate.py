"""The CI gate: a run's verdicts against the targets' baselines.

The gate fails on any failure a baseline does not list (a regression, or a divergence
nobody has explained) and on any listed divergence that now passes (a stale entry: the
baseline must stay tight, or it would hide the next regression of that behaviour).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .baseline import KnownDivergence, Platform
from .summary import APPLICABLE_PASSED

FAILING = ("fail", "error")  # an adapter fault hides the behaviour: it cannot pass the gate either
PASSING = APPLICABLE_PASSED

EXIT_PASSED, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


@dataclass(frozen=True)
class Finding:
    target: str
    behaviour: str
    verdict: str
    detail: str = ""


@dataclass
class GateResult:
    new_failures: list[Finding] = field(default_factory=list)
    stale: list[Finding] = field(default_factory=list)
    known: list[Finding] = field(default_factory=list)
    unchecked: list[Finding] = field(default_factory=list)  # listed, but not applicable or not run here

    @property
    def passed(self) -> bool:
        return not self.new_failures and not self.stale

    @property
    def exit_code(self) -> int:
        return EXIT_PASSED if self.passed else EXIT_FAILED


def failing_behaviours(summary: dict, label: str) -> dict[str, str]:
    """Behaviour ID → the first failing case's headline, for one target."""
    details: dict[str, str] = {}
    for result in summary["results"]:
        if result["target"] == label and result["grade"] in FAILING:
            details.setdefault(result["behaviour"], f"{result['grade']} [{result['family']}, "
                                                    f"{result['seat']}]: {result['detail']}")
    return {b: details.get(b, verdict) for b, verdicts in summary["matrix"].items()
            for verdict in [verdicts.get(label)] if verdict in FAILING}


def passing_behaviours(summary: dict, label: str) -> set[str]:
    return {b for b, verdicts in summary["matrix"].items() if verdicts.get(label) in PASSING}


def check(summary: dict, baselines: dict[str, list[KnownDivergence]], where: Platform | None = None) -> GateResult:
    where = where or Platform.here()
    result = GateResult()
    for label in summary["targets"]:
        version = summary["targets"][label].get("version", "")
        listed = {e.behaviour: e for e in baselines.get(label, []) if e.holds_on(where, version)}
        failing = failing_behaviours(summary, label)
        for behaviour, detail in failing.items():
            entry = listed.get(behaviour)
            bucket = result.known if entry else result.new_failures
            bucket.append(Finding(label, behaviour, summary["matrix"][behaviour][label],
                                  entry.reason if entry else detail))
        for behaviour, entry in listed.items():
            if behaviour in failing:
                continue
            verdict = summary["matrix"].get(behaviour, {}).get(label, "not-run")
            bucket = result.stale if verdict in PASSING else result.unchecked
            bucket.append(Finding(label, behaviour, verdict, entry.reason))
    return result


def as_json(result: GateResult, baselines_dir: str) -> dict:
    """The verdict, for summary.json and the compliance report."""
    def rows(findings: list[Finding]) -> list[dict]:
        return [{"target": f.target, "behaviour": f.behaviour, "verdict": f.verdict, "detail": f.detail}
                for f in findings]
    return {"passed": result.passed, "baselines": baselines_dir, "new_failures": rows(result.new_failures),
            "stale": rows(result.stale), "known": rows(result.known), "unchecked": rows(result.unchecked)}


def render(result: GateResult) -> str:
    lines = []
    if result.new_failures:
        lines.append(f"New failures ({len(result.new_failures)}), not in any baseline:")
        lines += [f"  {f.target}: {f.behaviour} {f.detail}" for f in result.new_failures]
    if result.stale:
        lines.append(f"Stale baseline entries ({len(result.stale)}): listed as divergences, but they pass now; "
                     "remove them (sockspec baseline LABEL rewrites the file):")
        lines += [f"  {f.target}: {f.behaviour} ({f.verdict}); was listed because: {f.detail}" for f in result.stale]
    if result.unchecked:
        lines.append(f"Baseline entries not checked by this run ({len(result.unchecked)}):")
        lines += [f"  {f.target}: {f.behaviour} ({f.verdict})" for f in result.unchecked]
    verdict = "PASSED" if result.passed else "FAILED"
    lines.append(f"sockspec gate {verdict}: {len(result.new_failures)} new failure(s), {len(result.stale)} stale "
                 f"entr{'y' if len(result.stale) == 1 else 'ies'}, {len(result.known)} known divergence(s) accepted")
    return "\n".join(lines)
