"""Benchmark: cases per second of whole runs, the matrix of every shipped target and one
target's whole catalogue, with the run split into its phases; figures are printed, never
asserted (speed is measured here, not tested).

    python benchmarks/matrix.py [--workers N ...] [--single TARGET] [--before CHECKOUT] [--out DIR]

For each worker count, and for each checkout (this one, and ``--before``: another checkout
such as ``git worktree add /tmp/old COMMIT``, run in turns with this one so both meet the
same machine), one ``sockspec run`` of the matrix (or of ``--single TARGET``'s catalogue),
builds excluded (they are made once, before the first timed run). From its Allure results:

- start-up: launch to the first case (workers started, the catalogue collected);
- cases: the first case's start to the last case's end;
- after: the last case to exit (reports: summary, compliance HTML, JUnit, Allure HTML; gate);
- cases per second over the whole run, and CPU seconds (the run and everything it started).

Then the slowest behaviours, with what their cases wait on, and whether any case's grade
differs between the runs (the verdicts must not depend on how fast the run was made).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.builtin_adapters import names  # noqa: E402

GOAL_CASES_PER_SECOND = 60

# What the slowest cases spend their time on (read from their scenarios; see the note of
# issue 15): a window or timer the rule needs, which waiting workers overlap.
WAITS = {
    "TCP-WIRE-007": "keep-alive off: keepidle/keepintvl set to 1 s, then a 2 s quiet window in full",
    "TCP-WIRE-008": "a keep-alive probe after 1 s idle, then a 2 s quiet window once it is switched off",
    "TCP-WIRE-006": "the first keep-alive probe, sent after 1 s of idleness (TCP_KEEPIDLE's minimum)",
    "TCP-CORNER-010": "a connect to a full backlog left to time out, then abandoned",
    "UDP-WIRE-004": "datagrams of many sizes, each seen leave on the wire",
    "UDP-DGRAM-022": "the echoes of a large burst, each received and checked",
    "TCP-STREAM-005": "multi-MiB transfers through the adapter (base64 in JSON both ways)",
    "TCP-STREAM-022": "a sender's send left to block on a full window, until its timeout",
    "SCTP-022": "an idle association watched for heartbeats with them switched off",
    "SCTP-021": "HEARTBEATs at the interval set, and their echoes",
    "TCP-WIRE-015": "the TCP user timeout expiring on a connection behind a closed window",
}


def run_once(checkout: Path, workers: int, targets: list[str], out: Path) -> dict:
    """One timed ``sockspec run`` of ``checkout``'s code; its phases from the Allure results."""
    results = out / "allure-results"
    argv = [sys.executable, "-c", "import sys; from conformance.cli import main; sys.exit(main())", "run",
            "-q", "-n", str(workers), "--report", str(out), "--alluredir", str(results), "--clean-alluredir"]
    for target in targets:
        argv += ["--target", target]
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    launched = time.time()
    done = subprocess.run(argv, cwd=checkout, env=env, capture_output=True, text=True, check=False)
    ended = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cases = [json.loads(path.read_text(encoding="utf-8")) for path in results.glob("*-result.json")]
    if not cases:
        return {"error": f"no Allure results (exit {done.returncode}): {done.stderr.strip()[-300:]}"}
    first, last = min(c["start"] for c in cases) / 1000, max(c["stop"] for c in cases) / 1000
    return {"cases": len(cases), "wall": ended - launched, "startup": first - launched, "span": last - first,
            "after": ended - last, "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "durations": _by_behaviour(cases), "summary": out / "summary.json"}


def _by_behaviour(cases: list[dict]) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = defaultdict(list)
    for case in cases:
        seconds[case["name"].split(" ", 1)[0]].append((case["stop"] - case["start"]) / 1000)
    return seconds


def grades(summary: Path) -> dict[tuple, str]:
    data = json.loads(summary.read_text(encoding="utf-8"))
    return {(r["target"], r["behaviour"], r["family"], r["seat"]): r["grade"] for r in data["results"]}


def print_run(label: str, workers: int, run: dict) -> None:
    if "error" in run:
        print(f"{label:<10} -n {workers:<3} {run['error']}")
        return
    rate = run["cases"] / run["wall"]
    print(f"{label:<10} -n {workers:<3} {run['cases']:6d} {run['wall']:7.0f} {run['startup']:8.0f} {run['span']:6.0f}"
          f" {run['after']:6.0f} {run['cpu']:6.0f} {rate:8.1f}  {'met' if rate >= GOAL_CASES_PER_SECOND else 'MISSED'}")


def print_slowest(run: dict, count: int = 20) -> None:
    totals = sorted(run["durations"].items(), key=lambda item: -sum(item[1]))[:count]
    whole = sum(sum(times) for times in run["durations"].values())
    print(f"\nthe slowest {count} behaviours: {sum(sum(t) for _, t in totals):.0f} of {whole:.0f} case-seconds")
    print(f"{'behaviour':<16} {'cases':>5} {'s/case':>7} {'total':>7}  waits on")
    for behaviour, times in totals:
        print(f"{behaviour:<16} {len(times):5d} {statistics.fmean(times):7.2f} {sum(times):7.0f}  "
              f"{WAITS.get(behaviour, '')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 12], help="xdist worker counts (default: 2 12)")
    parser.add_argument("--single", metavar="TARGET", help="one target's whole catalogue instead of the matrix")
    parser.add_argument("--before", metavar="CHECKOUT", help="another checkout, measured in turns with this one")
    parser.add_argument("--out", default="/tmp/sockspec-bench-runs", help="where runs write their reports")
    args = parser.parse_args()
    targets = [args.single] if args.single else ["reference", *names()]
    checkouts = [("now", ROOT)] + ([("before", Path(args.before).resolve())] if args.before else [])
    what = f"{args.single}'s whole catalogue" if args.single else f"the matrix of {len(targets)} targets"
    print(f"{what}, {os.cpu_count()} CPUs; seconds; goal ≥ {GOAL_CASES_PER_SECOND} cases/s over the whole run\n")
    print(f"{'code':<10} {'workers':<6} {'cases':>6} {'wall':>7} {'start-up':>8} {'cases':>6} {'after':>6}"
          f" {'CPU':>6} {'cases/s':>8}  goal")
    runs: dict[tuple[str, int], dict] = {}
    for workers in args.workers:
        for label, checkout in checkouts:
            runs[(label, workers)] = run = run_once(checkout, workers, targets, Path(args.out) / f"{label}-{workers}")
            print_run(label, workers, run)
    fastest = min((r for r in runs.values() if "error" not in r), key=lambda r: r["wall"], default=None)
    if fastest is None:
        return
    print_slowest(fastest)
    graded = {key: grades(run["summary"]) for key, run in runs.items() if "error" not in run and run["summary"].exists()}
    if len(graded) > 1:
        (first_key, first), *others = graded.items()
        for key, other in others:
            differ = sorted(k for k in first.keys() | other.keys() if first.get(k) != other.get(k))
            print(f"\ngrades of {key[0]} -n {key[1]} against {first_key[0]} -n {first_key[1]}: "
                  f"{len(differ)} of {len(first)} cases differ" + "".join(
                      f"\n    {k}: {first.get(k)} -> {other.get(k)}" for k in differ[:20]))


if __name__ == "__main__":
    main()
