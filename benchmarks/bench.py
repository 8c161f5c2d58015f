"""Benchmarks: protocol round trips against the IPC floor, and the suite's wall time.

    python benchmarks/bench.py [--quick] [--no-suite] [--matrix] [--driver [--before CHECKOUT]] [--targets NAME ...]

Per target: start-up (process start to the hello answer, median of five) and the no-op
round trip (median and p99) timed from the suite's side, with the same client code the
tests use. The floor is a bare one-byte round trip through `cat` over two pipes, measured
beside each target in the same run, so the ratios compare like with like on whatever
machine runs this. Figures are printed, never asserted: speed is measured here, not tested.

The driver's own cost (``--driver`` for that section alone): a no-op through an Endpoint, as
scenarios make it, beside the same JSON line through `cat` and sent to the adapter raw, with
the standard library's json and with msgspec (the `fast` extra), pinned to one CPU; with
``--before CHECKOUT`` an earlier commit's driver too (``git worktree add /tmp/old COMMIT``),
in turns with this one, so that both meet the same machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if len(sys.argv) > 2 and sys.argv[1] == "--driver-probe":  # measuring another checkout's driver (--before)
    ROOT = Path(sys.argv[2]).resolve()
sys.path.insert(0, str(ROOT))

from fixtures.builtin_adapters import adapter_command, manifest, names  # noqa: E402
from fixtures.endpoint import Endpoint  # noqa: E402
from fixtures.errors import AdapterFault, TargetUnavailable  # noqa: E402
from fixtures.programs import ProgramTarget  # noqa: E402
from fixtures.target_spec import parse_target  # noqa: E402
from fixtures.targets import REFERENCE_ADAPTER_ARGV as SUBPROCESS_REFERENCE, Target, make_target  # noqa: E402
from fixtures.trace import Trace  # noqa: E402
from fixtures.transports import InProcessTransport, SubprocessTransport  # noqa: E402
from reference_impl.engine import ReferenceAdapter  # noqa: E402

# Goals for the no-op round trip, as a multiple of the pipe floor once warm (median).
ROUND_TRIP_GOAL = 3.0
OWN_GOALS = {"c": 1.5}
STARTUP_GOAL_S = 1.0


def per_call_samples(call, count: int) -> list[float]:
    """µs of each of ``count`` calls, after a warm-up."""
    for _ in range(min(200, count)):
        call()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def median_p99(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class PipeFloor:
    """A bare one-byte round trip through `cat` over two pipes: the floor of any subprocess."""

    def __enter__(self) -> "PipeFloor":
        self.child = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.write_fd, self.read_fd = self.child.stdin.fileno(), self.child.stdout.fileno()
        return self

    def round_trip(self) -> None:
        os.write(self.write_fd, b"x")
        os.read(self.read_fd, 1)

    def __exit__(self, *exc) -> None:
        self.child.stdin.close()
        self.child.wait()


# The least program that keeps the protocol (perl-base is in every Debian): answers every request line with an empty success.
# Through the suite's own transport it is the protocol floor: pipes, wake-ups and the suite's
# JSON work, with no adapter work at all.
NULL_ADAPTER = ["perl", "-ne", r'BEGIN { $| = 1 } print qq({"id":$1,"ok":true,"result":{}}\n) if /^\{"id":(\d+)/']


def protocol_floor(count: int) -> tuple[float, float]:
    transport = SubprocessTransport(NULL_ADAPTER, "null adapter (perl)", grace=5.0)
    try:
        return median_p99(per_call_samples(lambda: transport.request("reset", {}, 2.0), count))
    finally:
        transport.close()


def paired(floor_call, target_call, count: int, batches: int = 10) -> tuple[list[float], list[float], float]:
    """Floor and target timed in alternating batches, so that the VM's drifting wake-up
    latency hits both alike; the ratio is the median of the per-batch ratios of medians."""
    floor_samples, target_samples, ratios = [], [], []
    per_batch = max(50, count // batches)
    for _ in range(batches):
        floor = per_call_samples(floor_call, per_batch)
        target = per_call_samples(target_call, per_batch)
        floor_samples += floor
        target_samples += target
        ratios.append(statistics.median(target) / statistics.median(floor))
    return floor_samples, target_samples, statistics.median(ratios)


def start_target(name: str) -> tuple[Target, float]:
    """A target started and greeted; seconds from start to the hello answer."""
    target = make_target(parse_target(name), grace=5.0)
    if target.spec.kind == "builtin" and not manifest(name).in_process:
        adapter_command(name)  # build (or find the cached build) before the clock starts
    start = time.perf_counter()
    target.transport()
    return target, time.perf_counter() - start


def startup_seconds(name: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        target, seconds = start_target(name)
        target.close()
        times.append(seconds)
    return statistics.median(times)


def round_trips(transport, floor: PipeFloor, count: int) -> dict[str, tuple[float, float]]:
    listener = transport.request("tcp.listen", {"family": "ipv4", "host": "127.0.0.1", "port": 0}, 2.0)
    local = per_call_samples(lambda: transport.request("addr.local", {"handle": listener["handle"]}, 2.0), count)
    transport.request("reset", {}, 2.0)
    floor_samples, noop, ratio = paired(floor.round_trip, lambda: transport.request("reset", {}, 2.0), count)
    return {"floor": median_p99(floor_samples), "no-op (reset)": median_p99(noop), "ratio": (ratio, ratio),
            "addr.local": median_p99(local)}


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


def matrix_wall_time(workers: str) -> None:
    """The whole matrix, timed by phase: benchmarks/matrix.py, which says more (its --help)."""
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "matrix.py"), "--workers", workers], cwd=ROOT,
                   check=False)


class LineEcho:
    """The bare pipe round trip of a protocol line: ``line`` written to `cat` and read back
    through the same kind of pipes the suite's transport uses (subprocess pipes, os.write,
    os.read): what any answer over a pipe costs before anyone parses a byte."""

    def __init__(self, line: bytes) -> None:
        self.line = line
        self.child = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.write_fd, self.read_fd = self.child.stdin.fileno(), self.child.stdout.fileno()

    def round_trip(self) -> None:
        os.write(self.write_fd, self.line)
        got = os.read(self.read_fd, 1 << 16)
        while not got.endswith(b"\n"):
            got += os.read(self.read_fd, 1 << 16)

    def close(self) -> None:
        self.child.stdin.close()
        self.child.wait()


def raw_line_call(transport: SubprocessTransport, line: bytes):
    """The same line written to the adapter itself and its answer read, with none of the
    suite's work (no encoding, parsing, checking or trace): the adapter's own floor."""
    write_fd, read_fd = transport._stdin, transport._stdout

    def call() -> None:
        os.write(write_fd, line)
        got = os.read(read_fd, 1 << 16)
        while not got.endswith(b"\n"):
            got += os.read(read_fd, 1 << 16)
    return call


def driver_batches(name: str, count: int, codec_name: str | None) -> dict[str, list[float]] | str:
    """Per-batch medians (µs) of the pipe, raw and suite round trips of one target: the
    no-op is ``addr.local`` of a handle that does not exist, answered EBADF. ``codec_name``:
    "stdlib" or "msgspec" where fixtures.codec exists, None before it did."""
    from reference_impl.errors import OpError
    try:
        target, _ = start_target(name)
        transport = target.transport()
    except (TargetUnavailable, AdapterFault) as exc:
        return f"unavailable: {exc}"
    if not isinstance(transport, SubprocessTransport):
        target.close()
        return "runs in-process: no pipe to compare with"
    if codec_name is not None:
        from fixtures import codec
        codec.use_fast(codec_name == "msgspec")
    endpoint = Endpoint(transport, "client", Trace())

    def suite_call() -> None:
        try:
            endpoint.call("addr.local", handle=999999)
        except OpError:
            pass
    # The very line the suite writes (compact JSON; the id's width as in a long run).
    line = b'{"id":123456,"op":"addr.local","args":{"handle":999999}}\n'
    echo = LineEcho(line)
    raw_call = raw_line_call(transport, line)
    figures: dict[str, list[float]] = {"pipe": [], "raw": [], "suite": []}
    try:
        per_batch = max(50, count // 10)
        for _ in range(10):
            endpoint.trace = Trace()  # as a case starts with a trace of its own
            for key, call in (("pipe", echo.round_trip), ("raw", raw_call), ("suite", suite_call)):
                figures[key].append(statistics.median(per_call_samples(call, per_batch)))
    finally:
        echo.close()
        target.close()
    return figures


def driver_probe(argv: list[str]) -> None:
    """``--driver-probe ROOT TARGET COUNT``: driver_batches of ROOT's code, as JSON on stdout."""
    import json
    name, count = argv[1], int(argv[2])
    import fixtures.transports
    assert fixtures.transports.__file__.startswith(str(ROOT)), fixtures.transports.__file__
    codec = getattr(fixtures.transports, "codec", None)  # fixtures.codec: from issue 15 on
    codec_name = None if codec is None else "msgspec" if codec.msgspec is not None else "stdlib"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(json.dumps({"codec": codec_name or "json", "figures": driver_batches(name, count, codec_name)}))


def driver_cost(count: int, targets: list[str], before: str | None = None) -> None:
    """The suite's side of a no-op round trip, made through an Endpoint as scenarios make it
    (trace, coverage, schema check, JSON both ways), against the bare pipe round trip of the
    same line through `cat`, and against the same line sent to the adapter raw. ``before``:
    another checkout (an earlier commit) measured the same way, in turns with this one."""
    import json
    from fixtures import codec

    print("\nthe driver's own cost: a no-op (addr.local of a handle that does not exist → EBADF), in µs, median")
    print("  pipe     the request's own line through `cat` and back (the bare pipe round trip)")
    print("  raw      the same line to the adapter, its answer read: no suite code at all")
    print("  suite    Endpoint.call as scenarios make it: args, trace entry, coverage, JSON, schema check")
    print("  own      suite − raw: what the suite's code adds to a round trip")
    print("  side     suite − (raw − pipe): the suite's round trip as if the adapter answered as fast as `cat`;")
    print("           the goal: side ≤ 2 × pipe (the suite's side of the round trip, the adapter's work left out)")
    print(f"  msgspec {'installed' if codec.msgspec is not None else 'NOT installed'} (the fast extra); pinned to one CPU"
          + (f"; 'before' is {before}, measured in turns with this checkout" if before else "") + "\n")
    print(f"{'target':<8} {'code':<16} {'pipe':>6} {'raw':>6} {'suite':>6} {'own':>6} {'side':>6} {'side/pipe':>9}"
          f" {'suite/pipe':>10}  goal")
    runs = [("now, stdlib", "stdlib")] + ([("now, msgspec", "msgspec")] if codec.msgspec is not None else [])
    for name in targets:
        rows: list[tuple[str, dict | str]] = []
        for round_ in range(2 if before else 1):
            if before:
                probe = subprocess.run([sys.executable, __file__, "--driver-probe", before, name, str(count)],
                                       capture_output=True, text=True, cwd=before)
                try:
                    answer = json.loads(probe.stdout.strip().splitlines()[-1])
                    rows.append((f"before ({answer['codec']})", answer["figures"]))
                except (IndexError, ValueError):
                    rows.append(("before", f"probe failed: {probe.stderr.strip()[-300:]}"))
            for label, which in runs:
                rows.append((label, driver_batches(name, count, which)))
            codec.use_fast(True)
        merged: dict[str, dict | str] = {}
        for label, figures in rows:  # the turns of one code, pooled
            if isinstance(figures, str):
                merged[label] = figures
            elif isinstance(merged.get(label), dict):
                for key in figures:
                    merged[label][key] += figures[key]
            else:
                merged[label] = {key: list(values) for key, values in figures.items()}
        label_of_target = name.split("=", 1)[0]
        for label, figures in merged.items():
            if isinstance(figures, str):
                print(f"{label_of_target:<8} {label:<16} {figures}")
                continue
            p, r, su = (statistics.median(figures[key]) for key in ("pipe", "raw", "suite"))
            side_ratio = statistics.median((s_ - (r_ - p_)) / p_ for p_, r_, s_ in
                                           zip(figures["pipe"], figures["raw"], figures["suite"]))
            print(f"{label_of_target:<8} {label:<16} {p:6.1f} {r:6.1f} {su:6.1f} {su - r:6.1f} {su - r + p:6.1f}"
                  f" {side_ratio:9.2f} {su / p:10.2f}  side ≤ 2× pipe {'met' if side_ratio <= 2 else 'MISSED'}")


def schema_cost(count: int) -> None:
    """What checking every answer against the protocol's JSON Schema costs per answer."""
    from fixtures.protocol_schema import result_problem
    from reference_impl.protocol import encode_bytes
    answers = {
        "reset {}": ("reset", {}),
        "tcp.connect (handle, two addresses)": ("tcp.connect", {"handle": 7, "local": {"host": "127.0.0.1", "port": 40000},
                                                                "peer": {"host": "127.0.0.1", "port": 5000}}),
        "stream.recv, 64 KiB of data": ("stream.recv", {"data": encode_bytes(bytes(range(256)) * 256)}),
    }
    print("\nschema validation of one answer (fastjsonschema, compiled once), in µs:")
    for name, (op, result) in answers.items():
        result_problem(op, result)  # compile outside the timing
        samples = per_call_samples(lambda: result_problem(op, result), count)
        median, p99 = median_p99(samples)
        print(f"    {name:<40} {median:7.2f} median, {p99:7.2f} p99")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--driver-probe":
        driver_probe(sys.argv[2:])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("--no-suite", action="store_true", help="skip the suite wall-time runs")
    parser.add_argument("--matrix", action="store_true", help="also time the whole matrix of built-in targets")
    parser.add_argument("--targets", nargs="*", default=None, help="targets to time (default: reference and every built-in)")
    parser.add_argument("--driver", action="store_true",
                        help="only the driver's own cost (the suite's side of a no-op round trip against the pipe)")
    parser.add_argument("--before", metavar="CHECKOUT",
                        help="with the driver's cost: also measure another checkout of sockspec (e.g. a `git worktree` "
                             "of an earlier commit), in turns with this one")
    parser.add_argument("--no-pin", action="store_true",
                        help="do not pin to one CPU (then a cross-CPU wake-up of an idle vCPU, ~70 µs on the VMs "
                             "here, may or may not land in any round trip)")
    args = parser.parse_args()
    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        # One CPU for the suite and every adapter (children inherit it): each round trip is then
        # two same-CPU wake-ups, as deterministic as a VM allows, for floor and target alike.
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    count = 500 if args.quick else 3000
    targets = args.targets or ["reference", "sub=cmd:" + " ".join(SUBPROCESS_REFERENCE), *names()]
    driver_targets = args.targets or ["c", "rust", "sub=cmd:" + " ".join(SUBPROCESS_REFERENCE)]
    if args.driver:
        driver_cost(count, driver_targets, args.before)
        return

    print("no-op round trip (reset) and addr.local from the suite's side, in µs, beside the pipe floor")
    print("(a one-byte round trip through `cat`, timed in batches alternating with the target's: the VM's\n"
          " wake-up latency drifts between runs, and hits both alike within a pair of batches)\n")
    pinned = "pinned to one CPU" if not args.no_pin else "not pinned"
    proto, proto_p99 = protocol_floor(count)
    print(f"protocol floor ({pinned}): the suite's transport to a perl one-liner answering every line: "
          f"{proto:.1f}/{proto_p99:.1f} µs median/p99\n")
    print(f"{'target':<12} {'start-up':>9} {'floor med/p99':>14} {'no-op med/p99':>15} {'× floor':>8}"
          f" {'addr.local med':>15} {'over protocol floor':>20}  goals")
    for name in targets:
        try:
            startup = startup_seconds(name, repeats=3 if args.quick else 5)
            target, _ = start_target(name)
        except (TargetUnavailable, AdapterFault) as exc:
            print(f"{name:<12} unavailable: {exc}")
            continue
        try:
            with PipeFloor() as pipe:
                costs = round_trips(target.transport(), pipe, count)
        finally:
            target.close()
        floor, floor_p99 = costs["floor"]
        noop, noop_p99 = costs["no-op (reset)"]
        ratio = costs["ratio"][0]
        label = target.label
        goal = OWN_GOALS.get(label, ROUND_TRIP_GOAL)
        in_process = target.spec.kind in ("reference",) or (target.spec.kind == "builtin" and manifest(label).in_process)
        verdicts = [f"start ≤ {STARTUP_GOAL_S:g} s {'met' if startup <= STARTUP_GOAL_S else 'MISSED'}"]
        if not in_process:  # the pipe floor is a subprocess's floor
            verdicts.append(f"≤ {goal:g}× {'met' if ratio <= goal else 'MISSED'}")
        print(f"{label:<12} {startup * 1000:7.0f}ms {floor:6.1f}/{floor_p99:<7.1f} {noop:7.1f}/{noop_p99:<7.1f}"
              f" {ratio:8.2f} {costs['addr.local'][0]:15.1f} {noop - proto:+17.1f} µs  {'; '.join(verdicts)}")

    driver_cost(count, driver_targets, args.before)
    schema_cost(count)

    print("\nsession load against the reference echo program (goal: 1000 sessions < 2 s):")
    for sessions in (500, 1000):
        elapsed, wrong = session_load(sessions)
        verdict = f"  {'met' if elapsed < 2 else 'MISSED'}" if sessions == 1000 else ""
        print(f"    {sessions:5d} concurrent sessions: {elapsed:.2f} s, {wrong} wrong echoes{verdict}")

    if not args.no_suite:
        print("\nsuite wall time, reference target (goal: the two foundation areas serial ≤ 10 s):")
        areas = ["--behaviour", "TCP-STREAM", "--behaviour", "TCP-PASSIVE"]
        serial = suite_wall_time(areas)
        suite_wall_time([*areas, "-n", "2"])
        print(f"    foundation areas serial: {'met' if serial <= 10 else 'MISSED'}")
        suite_wall_time([])
        suite_wall_time(["-n", "2"])
    if args.matrix:
        print("\nthe whole matrix, every built-in target, with -n 8 (benchmarks/matrix.py):")
        matrix_wall_time("8")


if __name__ == "__main__":
    main()
