"""The ``sockspec`` command.

    sockspec list [PREFIX ...] [--format text|markdown|json]   print the behaviour catalogue
    sockspec run [PYTEST ARGS ...]                              run the suite (pytest underneath)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import catalogue


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:  # everything after "run" belongs to pytest, options included
        return _run(argv[1:])
    parser = argparse.ArgumentParser(prog="sockspec", description="Cross-language socket conformance suite.")
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="print the behaviour catalogue")
    listing.add_argument("prefixes", nargs="*", metavar="PREFIX", help="only IDs starting with PREFIX")
    listing.add_argument("--format", choices=("text", "markdown", "json"), default="text")

    runner = commands.add_parser(
        "run", help="run the suite: sockspec run --target c [any pytest option]",
        description="Runs pytest on the installed suite; every argument is passed to pytest.")
    runner.add_argument("pytest_args", nargs="*")

    args = parser.parse_args(argv)
    if args.command == "list":
        return _list(args.prefixes, args.format)
    return _run(args.pytest_args)


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
    """The catalogue as the Markdown table in docs/catalogue.md."""
    lines = ["# Behaviour catalogue", "",
             "Generated from `conformance/catalogue/*.toml` by `sockspec list --format markdown`; "
             "do not edit by hand.", ""]
    area = None
    for b in behaviours:
        if b.area != area:
            area = b.area
            lines += ["", f"## {area.kind} — {area.title} (`{area.prefix}`)", "",
                      "| ID | level | behaviour | rule | source | needs |", "| --- | --- | --- | --- | --- | --- |"]
        source = f"[{b.source}]({b.link})" if b.link else b.source
        lines.append(f"| {b.id} | {b.level} | {b.title} | {b.rule} | {source} | {', '.join(b.needs)} |")
    return "\n".join(lines) + "\n"


def _run(pytest_args: list[str]) -> int:
    import pytest
    suite = str(Path(__file__).resolve().parent)
    return int(pytest.main([suite, *pytest_args]))


if __name__ == "__main__":
    sys.exit(main())
