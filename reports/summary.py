"""The JSON summary of a run: every graded case, per-behaviour verdicts, totals per target."""

from __future__ import annotations

import datetime
import platform
from collections import Counter, defaultdict
from typing import Iterable

from conformance import catalogue

from . import coverage, target_status

SCHEMA = 1  # bumped when a field changes meaning; fields are only ever added within a schema
GRADES = ("pass", "divergent", "fail", "flaky", "error", "not-applicable", "skipped")
# A behaviour's verdict for a target is the worst of its cases' grades, in this order.
_SEVERITY = ("fail", "flaky", "error", "divergent", "pass", "skipped", "not-applicable")


def behaviour_verdict(grades: Iterable[str]) -> str:
    present = set(grades)
    for grade in _SEVERITY:
        if grade in present:
            return grade
    return "not-run"


def build(results: list[dict], targets: dict[str, dict]) -> dict:
    behaviours = catalogue.load()
    by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
    for result in results:
        by_pair[(result["behaviour"], result["target"])].append(result["grade"])
    matrix = {
        b_id: {label: behaviour_verdict(by_pair.get((b_id, label), [])) for label in targets}
        for b_id in behaviours
    }
    totals = {label: dict(Counter(r["grade"] for r in results if r["target"] == label)) for label in targets}
    verdicts = {label: dict(Counter(matrix[b][label] for b in behaviours)) for label in targets}
    # Whether each target ran at all: one that did not is no verdict, never a pass.
    targets = {label: {**info, **target_status.status_of(results, label)} for label, info in targets.items()}
    return {
        "schema": SCHEMA,
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": {"platform": platform.platform(), "python": platform.python_version()},
        "targets": targets,
        "behaviours": [
            {"id": b.id, "title": b.title, "rule": b.rule, "level": b.level, "area": b.area.title,
             "kind": b.area.kind, "source": b.source, "link": b.link}
            for b in behaviours.values()
        ],
        "results": sorted(results, key=lambda r: (r["behaviour"], r["target"], r["family"], r["seat"])),
        "matrix": matrix,
        "case_totals": totals,
        "behaviour_totals": verdicts,
        "shares": {label: shares(matrix, behaviours, label) for label in targets},
        "coverage": {label: coverage.of_target(results, label) for label in targets},
    }


APPLICABLE_PASSED = ("pass", "divergent")
NOT_APPLICABLE = ("not-applicable", "skipped", "not-run")


def shares(matrix: dict, behaviours: dict, label: str) -> dict:
    """Per area and overall: how many applicable behaviours the target passed, MUST apart.
    A behaviour is applicable when at least one of its cases ran (passed, failed or errored)."""
    def tally(ids: list[str]) -> dict:
        applicable = [b for b in ids if matrix[b][label] not in NOT_APPLICABLE]
        must = [b for b in applicable if behaviours[b].level == "MUST"]
        passed = [b for b in applicable if matrix[b][label] in APPLICABLE_PASSED]
        return {"applicable": len(applicable), "passed": len(passed), "must_applicable": len(must),
                "must_passed": sum(matrix[b][label] in APPLICABLE_PASSED for b in must)}
    areas: dict[str, list[str]] = defaultdict(list)
    for b_id, behaviour in behaviours.items():
        areas[behaviour.area.title].append(b_id)
    return {"all": tally(list(behaviours)), "areas": {area: tally(ids) for area, ids in areas.items()}}
