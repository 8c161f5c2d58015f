"""``sockspec probe``: the same operations on the reference and on a target, side by side.

    sockspec probe --target c tcp.listen family=ipv4 host=127.0.0.1 port=0
    sockspec probe --target c --script steps.txt

A step is ``[NAME =] OP KEY=VALUE ...``. VALUE is JSON where it parses (``port=0``,
``options={"nodelay":true}``, ``bind={"host":"127.0.0.1","port":0}``) and a string
otherwise; ``data:TEXT`` as a key's value gives TEXT's UTF-8 bytes in base64. ``@NAME``
refers to an earlier named step's result on the same side (``handle=@l``, the handle
number ``@l.handle``, a port ``@l.local.port``), so handles and ephemeral ports line up
although each side chose its own. Lines starting with ``#`` are comments.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any, Iterable, TextIO

from fixtures.errors import AdapterFault, TargetSpecError, TargetUnavailable
from fixtures.target_spec import TargetSpec, parse_target
from fixtures.targets import Target, make_target
from reference_impl.protocol import encode_bytes

WIDTH = 58


@dataclass
class Step:
    op: str
    args: dict[str, Any]
    name: str = ""
    text: str = ""


@dataclass
class Side:
    """One implementation's run of the steps: its named results."""
    target: Target
    results: dict[str, dict] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@"):
            name, *path = value[1:].split(".")
            if name not in self.results:
                raise ValueError(f"@{name} names no earlier step")
            found: Any = self.results[name]
            for part in path or ["handle"]:
                found = found.get(part) if isinstance(found, dict) else None
            return found
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def perform(self, step: Step, timeout: float) -> dict:
        args = {key: self.resolve(value) for key, value in step.args.items()}
        response = self.target.transport().exchange(step.op, args, timeout)
        if step.name and response.get("ok"):
            self.results[step.name] = response.get("result") or {}
        return response


def parse_step(line: str) -> Step | None:
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    words = shlex.split(line)
    name = ""
    if len(words) >= 2 and words[1] == "=":
        name, words = words[0], words[2:]
    if not words:
        raise ValueError(f"no operation in {line!r}")
    args = {}
    for word in words[1:]:
        key, sep, raw = word.partition("=")
        if not sep:
            raise ValueError(f"{word!r} is not KEY=VALUE")
        args[key] = _value(raw)
    return Step(words[0], args, name, line)


def _value(raw: str) -> Any:
    if raw.startswith("data:"):
        return encode_bytes(raw[5:].encode())
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def probe(spec: str, steps: Iterable[Step], out: TextIO, timeout: float = 2.0) -> int:
    """Run ``steps`` on the reference and the target; print both answers; 0 if they agree
    (same ok/error code for every step), 1 if not."""
    try:
        target = make_target(parse_target(spec), grace=2.0)
        reference = make_target(TargetSpec("reference", "reference", "", "reference"), grace=2.0)
    except TargetSpecError as exc:
        print(f"sockspec probe: {exc}", file=out)
        return 2
    sides = [Side(reference), Side(target)]
    differing = 0
    try:
        for side in sides:
            side.target.reset()
        print(f"{'':3}{'reference':<{WIDTH}} | {target.label}", file=out)
        for step in steps:
            answers = [_outcome(side, step, timeout) for side in sides]
            same = answers[0][0] == answers[1][0]
            differing += not same
            print(f"{'':3}{step.text or step.op}", file=out)
            for left, right in _columns(answers[0][1], answers[1][1]):
                print(f"{'  ' if same else '>>'} {left:<{WIDTH}} | {right}", file=out)
    except (AdapterFault, TargetUnavailable) as exc:
        print(f"sockspec probe: {str(exc).splitlines()[0]}", file=out)
        return 2
    finally:
        for side in sides:
            side.target.close()
    print(f"\n{differing} step(s) answered differently" if differing else "\nsame outcome at every step", file=out)
    return 1 if differing else 0


def _outcome(side: Side, step: Step, timeout: float) -> tuple[str, str]:
    """The outcome to compare (ok or the error code) and the whole answer to show."""
    response = side.perform(step, timeout)
    if response.get("ok"):
        return "ok", "ok " + json.dumps(response.get("result", {}), separators=(",", ":"))
    error = response.get("error") or {}
    return str(error.get("code")), f"{error.get('code')} {error.get('message', '')}".strip()


def _columns(left: str, right: str) -> list[tuple[str, str]]:
    """Wrap both answers to the column width: nothing is cut."""
    lefts = [left[i:i + WIDTH] for i in range(0, len(left), WIDTH)] or [""]
    rights = [right[i:i + WIDTH] for i in range(0, len(right), WIDTH)] or [""]
    rows = max(len(lefts), len(rights))
    return [(lefts[i] if i < len(lefts) else "", rights[i] if i < len(rights) else "") for i in range(rows)]
