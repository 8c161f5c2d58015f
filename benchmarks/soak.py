"""Soak: the whole catalogue over the reference and the C adapter, many rounds, and what is
left behind.

    python benchmarks/soak.py [--rounds 30] [--targets reference c] [-n 2] [--out reports/soak]

One run of the suite with ``--sockspec-repeat ROUNDS`` (each case run ROUNDS times back to
back: one session, adapters started once, far faster than ROUNDS separate runs). Then:

- flaky cases: grades that differed across rounds (goal: none);
- processes started by the suite still alive: children of each driving process (the run
  and its xdist workers) after sockspec closed its targets, and any process of the run that
  outlived it (this script is their subreaper, so orphans come back to it);
- file descriptors each driving process opened during the run and never closed;
- sockets on loopback, in any state, that were not there before the run (``ss -tan`` /
  ``ss -uan`` before and after). TIME-WAIT is the kernel's and ends by itself (60 s on
  Linux); it is shown apart. Where it can (root, ``unshare``), the soak runs in a network
  namespace of its own, so the loopback it reads holds only the suite's sockets; elsewhere
  other programs' sockets can show up too, and the table says so.

Figures are printed and written to OUT/soak.json; nothing is asserted.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PR_SET_CHILD_SUBREAPER = 36
IN_NETNS = "SOCKSPEC_SOAK_IN_NETNS"
LOOPBACK = ("127.", "[::1]", "[::ffff:127.", "::1", "::ffff:127.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="how many times each case runs (default 30)")
    parser.add_argument("--targets", nargs="+", default=["reference", "c"])
    parser.add_argument("-n", "--workers", default="2", help="pytest-xdist workers (default 2; 0 for none)")
    parser.add_argument("--out", default=str(ROOT / "reports" / "soak"), help="reports and soak.json go here")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments, after --")
    args = parser.parse_args()
    if not os.environ.get(IN_NETNS) and _can_unshare():  # a loopback of its own: only the suite's sockets
        os.execvpe("unshare", ["unshare", "--net", "--", sys.executable, *sys.argv], {**os.environ, IN_NETNS: "1"})
    if os.environ.get(IN_NETNS):
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)

    _become_subreaper()
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    probe = Path(tempfile.mkdtemp(prefix="sockspec-soak-probe-"))
    before = loopback_sockets()
    command = [sys.executable, "-m", "conformance.cli", "run", "--report", str(out), "-p", "soak_probe",
               "--sockspec-repeat", str(args.rounds), "-n", str(args.workers), "-q", "-p", "no:randomly",
               *[a for t in args.targets for a in ("--target", t)], *args.pytest_args]
    env = {**os.environ, "SOCKSPEC_SOAK_PROBE": str(probe),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    started = time.monotonic()
    with open(out / "run.log", "w") as log:
        status = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    elapsed = time.monotonic() - started
    orphans = _reap_orphans()
    after = loopback_sockets()

    result = {
        "rounds": args.rounds, "targets": args.targets, "pytest_status": status, "seconds": round(elapsed, 1),
        "cases": _cases(out),
        "flaky": _flaky(out),
        "orphans_after_run": orphans,
        "probes": [json.loads(p.read_text()) for p in sorted(probe.glob("*.json"))],
        "new_loopback_sockets": _new(before, after),
        "own_network_namespace": bool(os.environ.get(IN_NETNS)),
    }
    shutil.rmtree(probe, ignore_errors=True)
    (out / "soak.json").write_text(json.dumps(result, indent=1))
    print(render(result, out))
    return 0 if status in (0, 1) else status


def _can_unshare() -> bool:
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    return subprocess.run(["unshare", "--net", "--", "true"], capture_output=True).returncode == 0


def _become_subreaper() -> None:
    """Orphans of the run (a process that outlived its parent) are re-parented to this script."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _reap_orphans() -> list[dict]:
    from soak_probe import live_children  # noqa: E402 (benchmarks/ is this script's own directory)
    alive = live_children(os.getpid())
    for child in alive:  # report them, then make sure nothing of this soak lingers
        try:
            os.kill(child["pid"], 9)
            os.waitpid(child["pid"], 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    return alive


def loopback_sockets() -> list[tuple[str, str, str, str]]:
    """(protocol, state, local, peer) of every loopback socket ss shows."""
    found = []
    for protocol, flag in (("tcp", "-tanH"), ("udp", "-uanH")):
        try:
            text = subprocess.run(["ss", flag], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            return []
        for line in text.splitlines():
            fields = line.split()
            if len(fields) >= 5 and fields[3].startswith(LOOPBACK):
                found.append((protocol, fields[0], fields[3], fields[4]))
    return found


def _new(before: list, after: list) -> list[dict]:
    left = Counter(after) - Counter(before)
    return [{"protocol": p, "state": s, "local": local, "peer": peer, "count": n}
            for (p, s, local, peer), n in sorted(left.items())]


def _summary(out: Path) -> dict:
    try:
        return json.loads((out / "summary.json").read_text())
    except (OSError, ValueError):
        return {"results": []}


def _cases(out: Path) -> dict:
    return dict(Counter(r["grade"] for r in _summary(out)["results"]))


def _flaky(out: Path) -> list[dict]:
    return [{"nodeid": r["nodeid"], "repeats": Counter(r.get("repeats", [])), "detail": r["detail"]}
            for r in _summary(out)["results"] if r["grade"] == "flaky"]


def render(result: dict, out: Path) -> str:
    sockets = result["new_loopback_sockets"]
    time_wait = sum(s["count"] for s in sockets if s["state"] == "TIME-WAIT")
    other_sockets = [s for s in sockets if s["state"] != "TIME-WAIT"]
    fds = sum(len(p["fds_left_open"]) for p in result["probes"])
    children = sum(len(p["children_alive"]) for p in result["probes"])
    rows = [("rounds × cases", f"{result['rounds']} × {sum(result['cases'].values())} "
                               f"({', '.join(f'{n} {g}' for g, n in sorted(result['cases'].items()))})"),
            ("wall time", f"{result['seconds']:.0f} s (pytest status {result['pytest_status']})"),
            ("flaky cases (goal 0)", str(len(result["flaky"]))),
            ("children alive at the end (goal 0)", str(children)),
            ("processes outliving the run (goal 0)", str(len(result["orphans_after_run"]))),
            ("fds left open, all driving processes (goal 0)", f"{fds} (in {len(result['probes'])} processes)"),
            ("new loopback sockets, not TIME-WAIT (goal 0)", str(sum(s["count"] for s in other_sockets))),
            ("new loopback sockets in TIME-WAIT (kernel's, expire)", str(time_wait))]
    width = max(len(name) for name, _ in rows)
    where = ("in a network namespace of its own" if result["own_network_namespace"]
             else "on the host's loopback: other programs' sockets may show")
    lines = [f"sockspec soak: {', '.join(result['targets'])} ({where})"] + [f"  {name:<{width}}  {value}" for name, value in rows]
    for flaky in result["flaky"]:
        lines.append(f"  flaky: {flaky['nodeid']}: {dict(flaky['repeats'])}")
    for probe in result["probes"]:
        for fd, target in probe["fds_left_open"].items():
            lines.append(f"  fd left open in {probe['role']}: {fd} -> {target}")
        for child in probe["children_alive"]:
            lines.append(f"  child alive in {probe['role']}: {child['pid']} {child['cmdline'][:100]}")
    for orphan in result["orphans_after_run"]:
        lines.append(f"  outlived the run: {orphan['pid']} {orphan['cmdline'][:100]}")
    for s in other_sockets:
        lines.append(f"  socket: {s['protocol']} {s['state']} {s['local']} -> {s['peer']} (×{s['count']})")
    lines.append(f"  details: {out / 'soak.json'}, reports in {out}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
