"""Benchmarks: protocol round trips against the IPC floor, and the suite's wall time.

    python benchmarks/bench.py [--quick] [--no-suite]

Round trips are timed from the suite's side (the same client code the tests use). The
floor is a bare one-byte round trip through `cat` over two pipes, measured in the same
run, so the ratios compare like with like on whatever machine runs this. Figures are
printed, never asserted: speed is measured here, not tested.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.builtin_adapters import adapter_command  # noqa: E402
from fixtures.endpoint import Endpoint  # noqa: E402
from fixtures.errors import TargetUnavailable  # noqa: E402
from fixtures.programs import ProgramTarget  # noqa: E402
from fixtures.target_spec import parse_target  # noqa: E402
from fixtures.trace import Trace  # noqa: E402
from fixtures.transports import InProcessTransport, SubprocessTransport  # noqa: E402
from reference_impl.engine import ReferenceAdapter  # noqa: E402

GOALS = {"c adapter": 1.5, "python reference (subprocess)": 3.0}


def per_call_us(call, count: int, batches: int = 7) -> float:
    """Mean µs per call of the quietest batch: on a shared VM, noise only ever adds time."""
    for _ in range(min(200, count)):
        call()
    samples = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(count):
            call()
        samples.append((time.perf_counter() - start) / count * 1e6)
    return min(samples)


def pipe_floor(count: int) -> float:
    child = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    write_fd, read_fd = child.stdin.fileno(), child.stdout.fileno()

    def round_trip() -> None:
        os.write(write_fd, b"x")
        os.read(read_fd, 1)
    try:
        return per_call_us(round_trip, count)
    finally:
        child.stdin.close()
        child.wait()


def request_cost(transport, count: int) -> dict[str, float]:
    listener = transport.request("tcp.listen", {"family": "ipv4", "host": "127.0.0.1", "port": 0}, 2.0)
    try:
        # addr.local first: the no-op, reset, closes the listener.
        local = per_call_us(lambda: transport.request("addr.local", {"handle": listener["handle"]}, 2.0), count)
        noop = per_call_us(lambda: transport.request("reset", {}, 2.0), count)
        return {"no-op (reset)": noop, "addr.local": local}
    finally:
        transport.close()


def session_load(count: int) -> tuple[float, int]:
    """``count`` concurrent sessions against the reference echo program, through the suite's
    own client path (in-process reference endpoint): connect all, each sends its own 32
    bytes, each reads its echo. Returns (seconds, wrong echoes)."""
    spec = parse_target(f"ref=tcp-echo:{sys.executable} -m reference_impl.echo_server tcp --host {{host}} --port {{port}}")
    program = ProgramTarget(spec)
    client = Endpoint(InProcessTransport(ReferenceAdapter(), "client"), "client", Trace())
    try:
        address = program.address("ipv4")
        start = time.perf_counter()
        with client.summarised("load"):
            socks = [client.tcp_connect("ipv4", address) for _ in range(count)]
            messages = [b"session %06d " % i + b"x" * 17 for i in range(count)]
            for sock, message in zip(socks, messages):
                client.send_all(sock, message)
            wrong = sum(client.recv_exactly(sock, len(m)) != m for sock, m in zip(socks, messages))
        elapsed = time.perf_counter() - start
    finally:
        client.transport.close()
        program.close()
    return elapsed, wrong


def suite_wall_time(extra: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "conformance"), "-q", "-p", "no:randomly",
                             *extra], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "(no output)"
    print(f"    pytest conformance {' '.join(extra) or '(serial)'}: {elapsed:.2f} s — {last}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("--no-suite", action="store_true", help="skip the suite wall-time runs")
    args = parser.parse_args()
    count = 500 if args.quick else 3000

    floor = pipe_floor(count)
    print(f"floor: one-byte round trip through `cat` over pipes: {floor:.1f} µs (re-measured before each target)\n")
    targets = {
        "python reference (in-process)": lambda: InProcessTransport(ReferenceAdapter(), "reference"),
        "python reference (subprocess)": lambda: SubprocessTransport(
            [sys.executable, "-m", "reference_impl.adapter"], "reference adapter", 5.0, cwd=str(ROOT)),
        "c adapter": lambda: SubprocessTransport(adapter_command("c"), "c adapter", 5.0),
    }
    print(f"{'target':<32} {'request':<26} {'µs/call':>9} {'× floor':>8}  goal")
    for name, make in targets.items():
        floor = pipe_floor(count)  # measured next to each target: the machine's noise drifts
        try:
            costs = request_cost(make(), count)
        except TargetUnavailable as exc:
            print(f"{name:<32} unavailable: {exc}")
            continue
        for request, micros in costs.items():
            goal = GOALS.get(name) if request.startswith("no-op") else None
            verdict = "" if goal is None else f"≤ {goal}× {'met' if micros / floor <= goal else 'MISSED'}"
            print(f"{name:<32} {request:<26} {micros:9.1f} {micros / floor:8.2f}  {verdict}")

    print("\nsession load against the reference echo program (goal: 1000 sessions < 2 s):")
    for count in (500, 1000):
        elapsed, wrong = session_load(count)
        verdict = f"  {'met' if elapsed < 2 else 'MISSED'}" if count == 1000 else ""
        print(f"    {count:5d} concurrent sessions: {elapsed:.2f} s, {wrong} wrong echoes{verdict}")

    if not args.no_suite:
        print("\nsuite wall time, reference target (goal: the two foundation areas serial ≤ 10 s):")
        areas = ["--behaviour", "TCP-STREAM", "--behaviour", "TCP-PASSIVE"]
        serial = suite_wall_time(areas)
        suite_wall_time([*areas, "-n", "2"])
        print(f"    foundation areas serial: {'met' if serial <= 10 else 'MISSED'}")
        suite_wall_time([])
        suite_wall_time(["-n", "2"])


if __name__ == "__main__":
    main()
