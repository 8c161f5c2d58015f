"""Operation coverage per target: what the run asked of it, and what it declared but was
never asked (a declared feature no case exercised is a blind spot of the run, shown as such)."""

from __future__ import annotations

from collections import Counter

# A feature that is only the sum of finer ones is exercised when all of them were.
UMBRELLAS = {"stream.shutdown": {"stream.shutdown.read", "stream.shutdown.write"}}


def of_target(results: list[dict], label: str) -> dict:
    own = [r for r in results if r["target"] == label and r.get("coverage")]
    operations = Counter(key for r in own for key in r["coverage"]["operations"])
    exercised = {feature for r in own for feature in r["coverage"]["features"]}
    exercised |= {umbrella for umbrella, parts in UMBRELLAS.items() if parts <= exercised}
    declared = sorted({feature for r in own for feature in r.get("features", ())})
    return {
        "operations": dict(sorted(operations.items())),  # key -> how many cases sent it
        "declared": declared,
        "exercised": sorted(exercised),
        "declared_not_exercised": [f for f in declared if f not in exercised],
    }
