"""The adapter guide's walk (docs/adapters.md §5) works as written: each of its commands is
run from a checkout, and each succeeds."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def walk_commands() -> list[str]:
    text = (ROOT / "docs" / "adapters.md").read_text()
    section = text[text.index("## 5. From nothing to a passing ADAPTER area"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_the_walk_has_its_four_steps():
    commands = walk_commands()
    assert len(commands) == 4 and all(c.startswith("sockspec ") for c in commands), commands


@pytest.mark.parametrize("command", walk_commands())
def test_each_step_of_the_walk_succeeds(command, tmp_path):
    argv = shlex.split(command)
    argv = [str(Path(sys.executable).with_name("sockspec")), *argv[1:]]
    argv = [arg.replace("out/walk", str(tmp_path / "walk")) for arg in argv]
    # The guide's adapter command says `python`: the interpreter running these tests.
    argv = [arg.replace("cmd:python ", f"cmd:{sys.executable} ") for arg in argv]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (command, done.stdout[-3000:], done.stderr[-2000:])
    if "probe" in command:
        assert "same outcome at every step" in done.stdout, done.stdout
    if "--report" in command:
        report = (tmp_path / "walk" / "compliance.html").read_text()
        assert "Operation coverage" in report
