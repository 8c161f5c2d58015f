"""The driver's fast paths give what the plain ones give: JSON through msgspec or the standard
library, answers judged once and remembered, coverage counted late, base64 decoded once."""

from __future__ import annotations

import json
import math
import sys

import pytest

from fixtures import codec
from fixtures.endpoint import Endpoint, _data_summary, _describe
from fixtures.errors import AdapterFault
from fixtures.protocol_schema import error_problem, result_problem
from fixtures.trace import ASKED_LIMIT, Trace
from fixtures.transports import SubprocessTransport
from reference_impl.errors import OpError
from reference_impl.protocol import encode_bytes

BOTH = [pytest.param(False, id="stdlib"),
        pytest.param(True, id="msgspec", marks=pytest.mark.skipif(codec.msgspec is None,
                                                                   reason="msgspec is not installed (the fast extra)"))]


@pytest.fixture(params=BOTH)
def fast(request):
    assert codec.use_fast(request.param) == request.param
    yield request.param
    codec.use_fast(True)


LINES = [
    b'{"id":1,"ok":true,"result":{}}',
    b'{"id":2,"ok":false,"error":{"code":"EBADF","message":"no open handle 999999"}}',
    b'{"id":3,"ok":true,"result":{"handle":7,"local":{"host":"::1","port":40000}}}',
    b'{"a":18446744073709551616,"b":-9223372036854775809,"c":123456789012345678901234567890}',
    b'{"a":1E400,"b":-1e999}',
    b'{"a":NaN,"b":Infinity,"c":-Infinity}',
    b'{"a":1,"a":2}',
    b'{"a":"\\ud800","b":"\\u00e9\\u2028"}',
    b'{"a":"\xc3\xa9"}',
    b' {"a":[1,2.5,true,false,null,-0,-0.0,1e2]} ',
    b'{"a":"\\u0000\\n\\t"}',
    '{"a":1}'.encode("utf-16"),
]
BAD_LINES = [b'{"a":"\xff"}', b'{"a":1', b'not json', b'{"a":1} x', b'', b"{'a':1}", b'{"a":01}']


def _same(a, b) -> bool:
    """Equal, NaN equal to NaN, and of the same types all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


@pytest.mark.parametrize("line", LINES)
def test_a_line_reads_as_the_standard_library_reads_it(fast, line):
    assert _same(codec.loads(line), json.loads(line))


@pytest.mark.parametrize("line", BAD_LINES)
def test_a_line_the_standard_library_refuses_is_refused(fast, line):
    with pytest.raises(ValueError):
        json.loads(line)
    with pytest.raises(ValueError):
        codec.loads(line)


REQUESTS = [
    {"id": 1, "op": "hello", "args": {"protocol": "1.7"}},
    {"id": 2, "op": "tcp.listen", "args": {"family": "ipv4", "host": "127.0.0.1", "port": 0, "backlog": 16,
                                          "options": {}, "timeout": 3.0}},
    {"id": 3, "op": "stream.send", "args": {"handle": 3, "data": encode_bytes(bytes(range(256)) * 300)}},
    {"id": 4, "op": "unix.listen", "args": {"address": {"path": "/tmp/é/sock\u2028"}, "kind": "stream"}},
    {"id": 5, "op": "x", "args": {"a": None, "b": float("nan"), "c": float("inf"), "d": 2 ** 70, "e": [1, (2, 3)]}},
    {"id": 6, "op": "x", "args": {"s": "null", "control": "\x00\x1f\x7f", "quote": 'a"b\\c'}},
    {"id": 7, "op": "x", "args": {"port": 5.0, "small": 0.1, "t": True, "f": False}},
]


@pytest.mark.parametrize("request_", REQUESTS)
def test_a_request_goes_out_as_the_standard_library_writes_it(fast, request_):
    out = codec.dumps(request_)
    assert out == json.dumps(request_, separators=(",", ":")).encode()
    assert out.isascii() and b"\n" not in out


def test_a_float_written_in_another_notation_reads_back_the_same(fast):
    for value in (1e-05, 1.5e-07, 1e16, 1.7976931348623157e308, 5e-324, -0.0, 0.30000000000000004):
        out = codec.dumps({"v": value})
        assert json.loads(out)["v"] == value and math.copysign(1, json.loads(out)["v"]) == math.copysign(1, value)


def test_what_json_cannot_write_fails_as_in_the_standard_library(fast):
    with pytest.raises(TypeError):
        codec.dumps({"a": object()})
    with pytest.raises(TypeError):
        codec.dumps({"a": b"bytes"})


# -- the transport, through a real pipe, with either codec -------------------------------

ADAPTER = r"""
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    op, args = request["op"], request["args"]
    if op == "echo":
        answer = {"ok": True, "result": {"handle": 1, "args": args}}
    elif args.get("bad"):
        answer = {"ok": True, "result": {"handle": 1, "local": {"host": "127.0.0.1", "port": "80"}}}
    elif args.get("nan"):
        sys.stdout.write('{"id":%d,"ok":true,"result":{"handle":NaN}}\n' % request["id"]); sys.stdout.flush()
        continue
    elif op == "tcp.listen":
        answer = {"ok": True, "result": {"handle": 1, "local": {"host": "127.0.0.1", "port": 80}}}
    else:
        answer = {"ok": False, "error": {"code": "EBADF", "message": "no open handle"}}
    answer["id"] = request["id"]
    sys.stdout.write(json.dumps(answer) + "\n"); sys.stdout.flush()
"""


@pytest.fixture
def transport(fast):
    carrier = SubprocessTransport([sys.executable, "-c", ADAPTER], "test adapter", grace=5.0)
    yield carrier
    carrier.close()


def test_results_errors_and_schema_failures_come_through_either_codec(transport):
    args = {"big": 2 ** 70, "text": "é\u2028", "data": encode_bytes(b"x" * 100000), "none": None}
    assert transport.request("echo", args, 3.0) == {"handle": 1, "args": args}  # a line of many reads
    for _ in range(3):  # judged, remembered, and judged alike again
        with pytest.raises(OpError) as failure:
            transport.request("addr.local", {"handle": 999999}, 3.0)
        assert failure.value.code == "EBADF"
        assert transport.request("tcp.listen", {}, 3.0)["local"]["port"] == 80
    with pytest.raises(AdapterFault, match=r"result\.local\.port must be integer"):
        transport.request("tcp.listen", {"bad": True}, 3.0)
    assert not transport.alive


def test_a_nan_in_an_answer_is_read_and_refused_by_the_schema(transport):
    with pytest.raises(AdapterFault, match=r"result\.handle must be integer"):
        transport.request("tcp.socket", {"nan": True}, 3.0)


def test_a_schema_failure_is_reported_every_time_it_happens(fast):
    good = {"handle": 1, "local": {"host": "127.0.0.1", "port": 80}}
    bad = {"handle": 1, "local": {"host": "127.0.0.1", "port": "80"}}
    for _ in range(3):
        assert result_problem("tcp.listen", good, from_json=True) is None
        assert "must be integer" in result_problem("tcp.listen", bad, from_json=True)
    assert error_problem({"code": "EBADF", "message": "m"}, from_json=True) is None
    assert error_problem({"code": "ebadf", "message": "m"}, from_json=True) is not None
    # A Python value that encodes like a passing one is judged for itself when not from JSON.
    assert result_problem("tcp.socket", {"handle": 1}, from_json=True) is None
    assert result_problem("tcp.socket", {"handle": b"1"}) is not None  # msgspec would write "MQ=="
    assert result_problem("tcp.socket", {"handle": (1,)}) is not None
    assert result_problem("tcp.listen", {"handle": True, "local": {"host": "127.0.0.1", "port": 80}},
                          from_json=True) is not None


def test_a_nan_in_an_answer_is_judged_not_taken_for_null(fast):
    assert result_problem("tcp.socket", {"handle": None}, from_json=True) is not None
    assert result_problem("tcp.socket", {"handle": float("nan")}, from_json=True) is not None


# -- the trace: coverage counted late, data decoded once ------------------------------

def test_coverage_counted_late_is_what_it_was_counted_at_once(fast):
    trace = Trace()
    args = {"handle": 1, "how": "write"}
    trace.add_request("client", "stream.shutdown", args)
    args["how"] = "read"  # what the endpoint asked is kept as it was asked
    for _ in range(ASKED_LIMIT + 3):
        trace.add_request("client", "tcp.connect", {"family": "ipv4", "host": "h", "port": 1, "bind": {},
                                                    "options": {"nodelay": True}})
    trace.add_request("server", "udp.bind", {"family": "ipv4", "host": "h", "port": 0})
    seen = trace.coverage(["client"], frozenset({"tcp", "stream.shutdown.write", "opt.nodelay", "udp"}))
    assert seen == {"operations": ["stream.shutdown", "stream.shutdown how=write", "tcp.connect", "tcp.connect bind",
                                   "tcp.connect options.nodelay"],
                    "features": ["opt.nodelay", "stream.shutdown.write", "tcp"]}
    assert trace.coverage(["server"], frozenset({"udp"}))["operations"] == ["udp.bind"]


def test_coverage_of_args_that_only_look_alike_is_counted_apart(fast):
    listed, other = Trace(), Trace()
    for _ in range(2):  # counted, then remembered
        listed.add_request("client", "wait", {"handle": 1, "events": ["read", "rdhangup"], "timeout": 0})
        other.add_request("client", "wait", {"handle": 1, "events": ("read", "rdhangup"), "timeout": 0})
    declared = frozenset({"wait", "wait.rdhangup", "nonblocking"})
    assert listed.coverage(["client"], declared)["features"] == ["wait", "wait.rdhangup"]
    assert other.coverage(["client"], declared)["features"] == ["wait"]


class _Echoing:
    """An in-process transport answering stream.send and stream.recv with fixed data."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def request(self, op: str, args: dict, timeout: float) -> dict:
        if op == "stream.send":
            return {"sent": len(args["data"]) * 3 // 4 - args["data"].count("=")}
        return {"data": encode_bytes(self.data)}


@pytest.mark.parametrize("data", [b"", b"short", bytes(range(256)) * 10])
def test_data_is_shown_and_returned_as_decoding_it_gives(data):
    trace = Trace()
    endpoint = Endpoint(_Echoing(data), "client", trace)
    assert endpoint.recv(1, 4096) == data
    assert endpoint.send(1, data) == len(data)
    assert endpoint.send(1, bytearray(data)) == len(data)
    shown = [entry.text for entry in trace.entries]
    summary = _data_summary(encode_bytes(data))
    assert shown[0].endswith("→ ok " + summary) and summary.startswith(f"data[{len(data)}]={data[:16]!r}")
    assert summary in shown[1] and summary in shown[2]
    assert _describe({"data": "!!!"}, trace) == " data=<invalid base64>"
