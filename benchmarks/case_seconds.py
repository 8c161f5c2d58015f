"""Write conformance/case_seconds.json from a run's Allure results: the mean seconds of one
case of each behaviour, which conformance/schedule.py uses to hand out long cases first.

    python benchmarks/case_seconds.py ALLURE_RESULTS_DIR [--note "how the run was made"]

Measure on a full matrix run (every shipped target), so every behaviour's mean spans the
targets. Behaviours under SHORTEST seconds are left out: they count as short anyway.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "conformance" / "case_seconds.json"
SHORTEST = 0.05


def durations(results: Path) -> dict[str, list[float]]:
    """Seconds of each case by behaviour ID (the first word of an Allure result's name)."""
    by_behaviour: dict[str, list[float]] = defaultdict(list)
    for path in results.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        if "start" in result and "stop" in result:
            by_behaviour[result["name"].split(" ", 1)[0]].append((result["stop"] - result["start"]) / 1000)
    return by_behaviour


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--note", default="", help="how the measured run was made")
    args = parser.parse_args()
    measured = durations(args.results)
    if not measured:
        sys.exit(f"{args.results}: no Allure results")
    seconds = {behaviour: round(statistics.fmean(times), 2) for behaviour, times in sorted(measured.items())
               if statistics.fmean(times) >= SHORTEST}
    OUT.write_text(json.dumps({"measured": args.note, "cases": sum(map(len, measured.values())),
                               "seconds": seconds}, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(seconds)} behaviours of {len(measured)} over {SHORTEST} s per case")


if __name__ == "__main__":
    main()
