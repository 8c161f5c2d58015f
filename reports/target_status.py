"""Whether each target of a run ran at all, from its cases' results.

- ``ran``: at least one case reached the target and got a verdict (pass, divergent, fail,
  flaky) or an error of the target itself;
- ``unavailable``: no case reached it, and at least one says why (toolchain missing, build
  failing, program missing, no ``hello``): its cases carry ``unavailable``;
- ``no-applicable-case``: no case ran, every one was not applicable or skipped (or none
  was selected).

A target that did not run is no verdict: neither passing nor failing (see gate.py).
"""

from __future__ import annotations

import re
from collections import Counter

RAN, UNAVAILABLE, NO_APPLICABLE_CASE = "ran", "unavailable", "no-applicable-case"
# How conformance/runner.py words the skip it makes of a TargetUnavailable.
UNAVAILABLE_SKIP = re.compile(r"^(?:Skipped: )?target '[^']*' unavailable: (?P<why>.*)", re.S)
VERDICT_GRADES = ("pass", "divergent", "fail", "flaky")


def unavailable_reason(result: dict) -> str | None:
    """Why this case could not reach its target (summaries written before the field existed
    only have the runner's wording of the skip)."""
    if result.get("unavailable"):
        return result["unavailable"]
    match = UNAVAILABLE_SKIP.match(result.get("detail") or "") if result["grade"] == "skipped" else None
    return match.group("why") if match else None


def status_of(results: list[dict], label: str) -> dict:
    """``{"status": …, "status_reason": …}`` of one target."""
    own = [r for r in results if r["target"] == label]
    reached = [r for r in own if r["grade"] in VERDICT_GRADES
               or (r["grade"] == "error" and not unavailable_reason(r))]
    if reached:
        return {"status": RAN, "status_reason": f"{len(reached)} of {len(own)} case(s) reached the target"}
    reasons = Counter(reason for r in own if (reason := unavailable_reason(r)))
    if reasons:
        return {"status": UNAVAILABLE, "status_reason": reasons.most_common(1)[0][0]}
    if own:
        kinds = Counter(r["grade"] for r in own)
        counted = ", ".join(f"{n} {grade}" for grade, n in sorted(kinds.items()))
        return {"status": NO_APPLICABLE_CASE, "status_reason": f"no applicable case ({counted})"}
    return {"status": NO_APPLICABLE_CASE, "status_reason": "no case of this target was selected"}


def status_in(summary: dict, label: str) -> dict:
    """The status a summary records for ``label``, or the one its results show (older summaries)."""
    info = summary["targets"].get(label, {})
    if info.get("status"):
        return {"status": info["status"], "status_reason": info.get("status_reason", "")}
    return status_of(summary["results"], label)
