"""The examples in docs/protocol.md are current: each request of the end-to-end session is
sent to the reference, and its answer has the example's outcome and the example's fields."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fixtures.protocol_schema import request_problem, result_problem
from reference_impl.engine import ReferenceAdapter
from reference_impl.protocol import PROTOCOL_VERSION

PROTOCOL_MD = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"


def session_lines() -> list[tuple[str, dict]]:
    text = PROTOCOL_MD.read_text()
    session = text[text.index("## 9. A session, end to end"):]
    return [(arrow, json.loads(body)) for arrow, body in re.findall(r"^(→|←) (\{.*\})$", session, re.M)]


def test_the_session_example_speaks_the_current_version():
    hello_request, hello_answer = session_lines()[:2]
    assert hello_request[1]["args"]["protocol"] == PROTOCOL_VERSION
    assert hello_answer[1]["result"]["protocol"] == PROTOCOL_VERSION


def test_the_session_example_runs_against_the_reference():
    lines = session_lines()
    adapter = ReferenceAdapter()
    handles: dict[int, int] = {}  # the example's handle -> the reference's
    ports: dict[int, int] = {}    # the example's port -> the reference's
    try:
        for (arrow, request), (back, example) in zip(lines[::2], lines[1::2]):
            assert (arrow, back) == ("→", "←")
            assert request_problem(request["op"], request.get("args", {})) is None, request
            args = _translated(request.get("args", {}), handles, ports)
            answer = adapter.handle({**request, "args": args})
            assert answer["ok"] == example["ok"], (request, answer)
            if not example["ok"]:
                assert answer["error"]["code"] == example["error"]["code"], (request, answer)
                continue
            assert result_problem(request["op"], example["result"]) is None, example
            if request["op"] == "hello":
                continue  # the example's implementation is another adapter's
            assert set(answer["result"]) == set(example["result"]), (request, answer)
            _learn(example["result"], answer["result"], handles, ports)
    finally:
        adapter.close_all()


def _translated(args: dict, handles: dict, ports: dict) -> dict:
    args = dict(args)
    if "handle" in args:
        args["handle"] = handles.get(args["handle"], args["handle"])
    if "port" in args:
        args["port"] = ports.get(args["port"], args["port"])
    return args


def _learn(example: dict, actual: dict, handles: dict, ports: dict) -> None:
    if "handle" in example:
        handles[example["handle"]] = actual["handle"]
    for key in ("local", "peer"):
        if key in example:
            ports[example[key]["port"]] = actual[key]["port"]


def test_the_message_examples_keep_the_schema():
    text = PROTOCOL_MD.read_text()
    messages = text[text.index("## 2. Messages"):text.index("### 2.1 Values")]
    blocks = [json.loads(line) for line in re.findall(r"^(\{.*\})$", messages, re.M)]
    request, *answers = blocks
    assert request_problem(request["op"], request["args"]) is None
    for answer in answers:
        if answer["ok"]:
            assert result_problem(request["op"], answer["result"]) is None
