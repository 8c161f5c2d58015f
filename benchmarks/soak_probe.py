"""A pytest plugin for benchmarks/soak.py: what each driving process (the run, and each xdist
worker) holds open when the suite is done with it.

At configure (first) it notes the process's open file descriptors; at unconfigure (last,
after sockspec has closed its targets) it writes to $SOCKSPEC_SOAK_PROBE/<pid>.json the
descriptors opened since and never closed, and the child processes still alive.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

_opened_before: dict[str, str] = {}


def open_fds() -> dict[str, str]:
    """fd number → what it points at, for this process."""
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            found[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the descriptor listdir itself used, closed by now
            pass
    return found


def live_children(parent: int) -> list[dict]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm)": state, ppid, …
        if int(fields[1]) == parent and fields[0] != "Z":
            children.append({"pid": int(entry.name), "cmdline": cmdline})
    return children


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _opened_before.update(open_fds())


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    out = os.environ.get("SOCKSPEC_SOAK_PROBE")
    if not out:
        return
    now = open_fds()
    leaked = {fd: target for fd, target in now.items() if _opened_before.get(fd) != target}
    role = getattr(config, "workerinput", {}).get("workerid", "controller")
    Path(out, f"{os.getpid()}.json").write_text(json.dumps({
        "role": role, "fds_before": len(_opened_before), "fds_after": len(now), "fds_left_open": leaked,
        "children_alive": live_children(os.getpid())}))
