"""The ``sockspec`` command, thin over pytest.

    sockspec list [PREFIX ...] [--format text|markdown|json]      print the behaviour catalogue
    sockspec run [--report DIR] [--gate] [--baselines DIR] [--allow-missing LABEL] [PYTEST ARGS ...]
                                                                 run the suite (pytest underneath)
    sockspec report DIR [--out DIR] [--alluredir DIR]              re-render the reports from DIR/summary.json
    sockspec gate DIR [--baselines DIR] [--allow-missing LABEL]    check a run against the baselines
    sockspec baseline DIR [--target LABEL ...] [--baselines DIR]   write or update baselines from a run
    sockspec probe --target SPEC OP [KEY=VALUE ...] | --script FILE  one or more operations on the
                                                                 reference and the target, side by side

Exit codes of ``gate`` and ``run --gate``: 0 the gate passed, 1 it failed (new failures or
stale baseline entries, both listed), 2 it could not judge (bad arguments, a bad baseline
file, no results, an interrupted run, a target that did not run and was not allowed missing).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from . import catalogue

EXIT_UNUSABLE = 2
DEFAULT_BASELINES = "baselines"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:  # after "run", everything but sockspec's own options belongs to pytest
        return _run(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return _list(args.prefixes, args.format)
        if args.command == "report":
            return _report(args.report, args.out, args.alluredir)
        if args.command == "gate":
            return _gate(args.report, args.baselines, allow_missing=args.allow_missing)
        if args.command == "baseline":
            return _baseline(args.report, args.target, args.baselines)
        if args.command == "probe":
            return _probe(args)
        return _run(args.pytest_args)
    except ValueError as exc:  # a bad summary or baseline file: one line, no traceback
        print(f"sockspec {args.command}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sockspec", description="Cross-language socket conformance suite.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="print the behaviour catalogue")
    listing.add_argument("prefixes", nargs="*", metavar="PREFIX", help="only IDs starting with PREFIX")
    listing.add_argument("--format", choices=("text", "markdown", "json"), default="text")

    runner = commands.add_parser(
        "run", help="run the suite: sockspec run --target c [--report DIR] [--gate] [any pytest option]",
        description="Runs pytest on the installed suite; every argument but --report, --gate and "
                    "--baselines is passed to pytest.")
    runner.add_argument("pytest_args", nargs="*")

    report = commands.add_parser("report", help="re-render the HTML, JUnit and Allure reports from a run")
    report.add_argument("report", metavar="DIR", help="a report directory (or its summary.json)")
    report.add_argument("--out", metavar="DIR", help="write there instead of into DIR")
    report.add_argument("--alluredir", metavar="DIR", help="Allure results to render as single-file HTML")

    gate = commands.add_parser("gate", help="check a run's results against the targets' baselines")
    gate.add_argument("report", metavar="DIR", help="a report directory (or its summary.json)")
    gate.add_argument("--baselines", default=DEFAULT_BASELINES, metavar="DIR",
                      help=f"one LABEL.toml per target (default: {DEFAULT_BASELINES}/)")
    gate.add_argument("--allow-missing", action="append", default=[], metavar="LABEL",
                      help="a target that may not run here (toolchain missing): reported, not a 'no verdict'")

    probing = commands.add_parser(
        "probe", help="run operations on the reference and a target and show both answers side by side",
        description="One operation (OP KEY=VALUE ...) or a script of steps ([NAME =] OP KEY=VALUE ..., "
                    "@NAME.field for an earlier result) on the reference and on the target.")
    probing.add_argument("--target", required=True, metavar="SPEC", help="the implementation to compare")
    probing.add_argument("--script", metavar="FILE", help="steps, one per line ('-' for stdin)")
    probing.add_argument("--timeout", type=float, default=2.0, metavar="SECONDS")
    probing.add_argument("step", nargs="*", metavar="OP [KEY=VALUE ...]")

    baseline = commands.add_parser("baseline", help="write or update baselines from a run's failures")
    baseline.add_argument("report", metavar="DIR", help="a report directory (or its summary.json)")
    baseline.add_argument("--target", action="append", default=[], metavar="LABEL",
                          help="only this target (repeatable; default: every target of the run)")
    baseline.add_argument("--baselines", default=DEFAULT_BASELINES, metavar="DIR")
    return parser


RUN_HELP = """usage: sockspec run [--report DIR] [--gate] [--baselines DIR] [--allow-missing LABEL] [PYTEST OPTIONS]

sockspec's own options (everything else goes to pytest; its help, with the sockspec group
--target, --behaviour, --adapter-grace…, follows):
  --report DIR      write summary.json, compliance.html, junit.xml, Allure results and HTML into DIR
  --gate            judge the run against the baselines: exit 0 passed, 1 failed, 2 no verdict
  --baselines DIR   one LABEL.toml per target (default: baselines/)
  --allow-missing LABEL
                    with --gate: target LABEL may not run here (repeatable); without it, a target
                    that did not run (toolchain missing, build failing) is no verdict (exit 2)
"""


def _run(argv: list[str]) -> int:
    own = argparse.ArgumentParser(prog="sockspec run", allow_abbrev=False, add_help=False)
    own.add_argument("--report", metavar="DIR")
    own.add_argument("--gate", action="store_true")
    own.add_argument("--baselines", metavar="DIR")
    own.add_argument("--allow-missing", action="append", default=[], metavar="LABEL")
    args, pytest_args = own.parse_known_args(argv)
    if any(a in ("-h", "--help") for a in pytest_args):  # pytest's help follows, with --target & co
        print(RUN_HELP)
    for option, value in (("--baselines", args.baselines), ("--allow-missing", args.allow_missing)):
        if value and not args.gate:
            print(f"sockspec run: {option} is only used with --gate", file=sys.stderr)
            return EXIT_UNUSABLE
    baselines_dir = args.baselines or DEFAULT_BASELINES
    if args.gate:
        try:
            _check_baselines(baselines_dir, explicit=args.baselines is not None)
        except ValueError as exc:
            print(f"sockspec run: {exc}", file=sys.stderr)
            return EXIT_UNUSABLE
    with tempfile.TemporaryDirectory(prefix="sockspec-run-") as scratch:
        report_dir = args.report or (scratch if args.gate else None)
        if report_dir:
            pytest_args = ["--sockspec-report", report_dir, *pytest_args]
            if args.report and not any(a.startswith("--alluredir") for a in pytest_args):
                pytest_args += ["--alluredir", str(Path(report_dir) / "allure-results"), "--clean-alluredir"]
        status = _pytest(pytest_args)
        if not args.gate:
            return status
        if status not in (0, 1):  # 0 all passed, 1 some failed: anything else is no verdict at all
            print(f"sockspec gate: cannot judge: pytest exited with status {status}", file=sys.stderr)
            return EXIT_UNUSABLE
        try:
            return _gate(report_dir, baselines_dir, annotate=bool(args.report), allow_missing=args.allow_missing)
        except ValueError as exc:
            print(f"sockspec gate: {exc}", file=sys.stderr)
            return EXIT_UNUSABLE


def _pytest(pytest_args: list[str]) -> int:
    import pytest
    suite = str(Path(__file__).resolve().parent)
    return int(pytest.main([suite, *pytest_args]))


def _check_baselines(directory: str, explicit: bool) -> None:
    from reports import baseline
    path = Path(directory)
    if not path.is_dir():
        if explicit:
            raise ValueError(f"--baselines {directory}: no such directory")
        return
    for file in sorted(path.glob("*.toml")):
        baseline.load(file)


def _report(report: str, out: str | None, alluredir: str | None) -> int:
    from reports.writer import load_summary, write_from_summary
    data = load_summary(report)
    target = out or (report if Path(report).is_dir() else str(Path(report).parent))
    written = write_from_summary(target, data, alluredir)
    for path in written.paths:
        print(f"sockspec report: {path}")
    for note in written.notes:
        print(f"sockspec report: {note}")
    return 0


def _gate(report: str, baselines_dir: str, annotate: bool = False, allow_missing: list[str] = ()) -> int:
    """Judge a run; with ``annotate`` (a run's own report) the verdict joins its summary and HTML."""
    from reports import baseline, gate
    from reports.writer import load_summary, write_from_summary
    data = load_summary(report)
    result = gate.check(data, baseline.load_for(baselines_dir, list(data["targets"])),
                        allow_missing=tuple(allow_missing))
    if annotate:
        data["gate"] = gate.as_json(result, baselines_dir)
        write_from_summary(report, data)
    print(gate.render(result))
    return result.exit_code


def _baseline(report: str, labels: list[str], baselines_dir: str) -> int:
    from reports import baseline, gate, target_status
    from reports.writer import load_summary
    data = load_summary(report)
    unknown = [label for label in labels if label not in data["targets"]]
    if unknown:
        raise ValueError(f"no target {', '.join(unknown)} in this run (targets: {', '.join(data['targets'])})")
    where = baseline.Platform.here()
    Path(baselines_dir).mkdir(parents=True, exist_ok=True)
    for label in labels or list(data["targets"]):
        path = baseline.path_for(baselines_dir, label)
        status = target_status.status_in(data, label)
        if status["status"] != target_status.RAN:  # its errors say nothing of its behaviours
            print(f"sockspec baseline: {label}: did not run ({status['status_reason']}); {path} left as it is")
            continue
        before = baseline.load(path)
        after = baseline.updated(before, gate.failing_behaviours(data, label), gate.passing_behaviours(data, label),
                                 where, data["targets"][label].get("version", ""))
        added = sorted({e.behaviour for e in after} - {e.behaviour for e in before})
        removed = sorted({e.behaviour for e in before} - {e.behaviour for e in after})
        if not after and not path.exists():
            print(f"sockspec baseline: {label}: no failures, no baseline needed")
            continue
        existing = path.read_text(encoding="utf-8") if path.exists() else None
        path.write_text(baseline.render(label, after, existing), encoding="utf-8")
        print(f"sockspec baseline: {path}: {len(after)} entr{'y' if len(after) == 1 else 'ies'}"
              + (f"; added {', '.join(added)} (explain each reason)" if added else "")
              + (f"; removed {', '.join(removed)} (they pass now)" if removed else ""))
    return 0


def _probe(args: argparse.Namespace) -> int:
    from .probe import parse_step, probe
    if args.script:
        text = sys.stdin.read() if args.script == "-" else Path(args.script).read_text()
        lines = text.splitlines()
    elif args.step:
        lines = [" ".join(_quoted(word) for word in args.step)]
    else:
        print("sockspec probe: give an operation (OP KEY=VALUE ...) or --script FILE", file=sys.stderr)
        return EXIT_UNUSABLE
    steps = [step for line in lines if (step := parse_step(line))]
    return probe(args.target, steps, sys.stdout, args.timeout)


def _quoted(word: str) -> str:
    import shlex
    return shlex.quote(word)


def _list(prefixes: list[str], fmt: str) -> int:
    behaviours = catalogue.select(prefixes)
    if not behaviours:
        print(f"sockspec: no behaviour matches {' '.join(prefixes)}", file=sys.stderr)
        return 1
    if fmt == "json":
        print(json.dumps([_as_dict(b) for b in behaviours], indent=1))
    elif fmt == "markdown":
        print(markdown_table(behaviours))
    else:
        width = max(len(b.id) for b in behaviours)
        for b in behaviours:
            print(f"{b.id:<{width}}  {b.level:<6}  {b.title}")
            print(f"{'':<{width}}          {b.source}")
    return 0


def _as_dict(b: catalogue.Behaviour) -> dict:
    return {"id": b.id, "title": b.title, "rule": b.rule, "source": b.source, "link": b.link,
            "level": b.level, "area": b.area.name, "kind": b.area.kind, "needs": list(b.needs)}


def markdown_table(behaviours: list[catalogue.Behaviour]) -> str:
    """The catalogue as the Markdown table in docs/catalogue.md, with the socket families each
    behaviour's scenario runs over (a stream behaviour may run over Unix-domain sockets too)."""
    families = scenario_families()
    lines = ["# Behaviour catalogue", "",
             "Generated from `conformance/catalogue/*.toml` and the scenarios' families by "
             "`sockspec list --format markdown`; do not edit by hand.", ""]
    area = None
    for b in behaviours:
        if b.area != area:
            area = b.area
            lines += ["", f"## {area.kind} — {area.title} (`{area.prefix}`)", "",
                      "| ID | level | behaviour | rule | source | needs | families |",
                      "| --- | --- | --- | --- | --- | --- | --- |"]
        source = f"[{b.source}]({b.link})" if b.link else b.source
        lines.append(f"| {b.id} | {b.level} | {b.title} | {b.rule} | {source} | {', '.join(b.needs)} | "
                     f"{', '.join(families.get(b.id, ()))} |")
    return "\n".join(lines) + "\n"


def scenario_families() -> dict[str, tuple[str, ...]]:
    """Behaviour id -> the families its scenarios run over, in order (ipv4, ipv6, ipv4-mapped, unix)."""
    from conformance.scenario import FAMILY_HOSTS, SCENARIOS
    from conformance.scenarios import load_all
    load_all()
    order = list(FAMILY_HOSTS)
    return {b_id: tuple(sorted({f for s in scenarios for f in s.sockspec.families}, key=order.index))
            for b_id, scenarios in SCENARIOS.items()}


if __name__ == "__main__":
    sys.exit(main())
