"""In-process Python targets run as processes of their own through fixtures/python_host.py,
so behaviours that need a twin (docs/protocol.md §7a) judge asyncio, uvloop and trio too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import pingers
from fixtures.privilege import can_drop_privilege
from fixtures.target_spec import parse_target
from fixtures.targets import make_target
from tests.test_adapter_independence import judge_imports
from tests.test_harness_end_to_end import run_suite

ROOT = Path(__file__).resolve().parent.parent
HOST = ROOT / "fixtures" / "python_host.py"


def host_session(target: str, lines: list[str], path: str | None = None) -> list[dict]:
    argv = [sys.executable, "-m", "fixtures.python_host", *(["--path", path] if path else []), target]
    done = subprocess.run(argv, input="".join(line + "\n" for line in lines), capture_output=True,
                          text=True, timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_host_never_imports_the_reference_implementation():
    assert judge_imports(HOST.read_text()) == []
    probe = ("import io, sys\nfrom fixtures import python_host\n"
             "out = io.BytesIO()\n"
             "python_host.serve(python_host.resolve('adapters.asyncio.adapter:AsyncioAdapter')(),"
             " io.BytesIO(b'{\"id\":1,\"op\":\"hello\",\"args\":{\"protocol\":\"1.6\"}}\\n'), out)\n"
             "assert b'python-asyncio' in out.getvalue(), out.getvalue()\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'reference_impl'))\n")
    done = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_the_host_answers_one_line_per_request_line():
    answers = host_session("adapters.asyncio.adapter:AsyncioAdapter", [
        json.dumps({"id": 1, "op": "hello", "args": {"protocol": "1.6"}}),
        "not json",
        json.dumps({"id": 2, "op": "udp.bind", "args": {"family": "ipv4", "host": "127.0.0.1", "port": 0}}),
        json.dumps({"id": 3, "op": "no.such.op", "args": {}}),
    ])
    assert [a["id"] for a in answers] == [1, None, 2, 3]
    assert answers[0]["result"]["implementation"] == "python-asyncio"
    assert answers[1]["error"]["code"] == "BADREQUEST"
    assert answers[2]["ok"] and answers[2]["result"]["local"]["host"] == "127.0.0.1"
    assert answers[3]["error"]["code"] in ("UNSUPPORTED", "BADREQUEST")


def test_the_host_takes_the_suites_import_path(tmp_path):
    (tmp_path / "elsewhere_adapter.py").write_text(
        "from adapters.asyncio.adapter import AsyncioAdapter\n\n"
        "class Renamed(AsyncioAdapter):\n    implementation = 'renamed'\n")
    hello = json.dumps({"id": 1, "op": "hello", "args": {"protocol": "1.6"}})
    answers = host_session("elsewhere_adapter:Renamed", [hello], path=str(tmp_path))
    assert answers[0]["result"]["implementation"] == "renamed"
    done = subprocess.run([sys.executable, "-m", "fixtures.python_host", "elsewhere_adapter:Renamed"],
                          check=False, input=hello + "\n", capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1 and "cannot import 'elsewhere_adapter'" in done.stderr


@pytest.mark.parametrize("name", ["asyncio", "trio"])
def test_a_python_target_has_an_unprivileged_twin_process(name):
    if not can_drop_privilege():
        pytest.skip("setpriv cannot drop capabilities here (a container without CAP_SETPCAP)")
    target = make_target(parse_target(name), grace=2.0)
    try:
        twin = target.twin("unprivileged")
        assert twin is not None and twin is target.twin("unprivileged")
        assert twin.info.implementation == target.info.implementation
        assert twin.transport().pid > 0  # a process of its own, not the suite's
        bound = twin.transport().request("udp.bind", {"family": "ipv4", "host": "127.0.0.1", "port": 0}, 5.0)
        assert bound["local"]["port"] > 0
    finally:
        target.close()


def test_twin_behaviours_judge_python_targets(pytester):
    """ICMP-ECHO-013 (raw refused without privilege) and -014 (a ping socket in a namespace)
    ran as 'not applicable' to in-process targets before; trio's twin is judged now."""
    if not (can_drop_privilege() and pingers.netns_available()):
        pytest.skip("needs setpriv and network namespaces of the suite's own")
    result = run_suite(pytester, "--target", "trio", "--behaviour", "ICMP-ECHO-013",
                       "--behaviour", "ICMP-ECHO-014")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 4 and "failed" not in outcomes and "errors" not in outcomes, \
        result.stdout.str()[-3000:]
