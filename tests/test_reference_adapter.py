"""The reference adapter speaks protocol v1 correctly, in-process and over stdio."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reference_impl.engine import ReferenceAdapter
from reference_impl.protocol import FEATURES, PROTOCOL_VERSION, encode_bytes

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def adapter():
    instance = ReferenceAdapter()
    yield instance
    instance.close_all()


def call(adapter, op, **args):
    response = adapter.handle({"id": 1, "op": op, "args": args})
    assert response["id"] == 1
    return response


def ok(adapter, op, **args):
    response = call(adapter, op, **args)
    assert response["ok"], response
    return response["result"]


def code(adapter, op, **args):
    response = call(adapter, op, **args)
    assert not response["ok"], response
    return response["error"]["code"]


def test_hello_declares_version_and_known_features(adapter):
    hello = ok(adapter, "hello", protocol="1.0")
    assert hello["protocol"] == PROTOCOL_VERSION and hello["language"] == "python"
    assert set(hello["features"]) <= set(FEATURES) and "tcp" in hello["features"]


def test_unknown_operation_is_unsupported(adapter):
    assert code(adapter, "tcp.teleport") == "UNSUPPORTED"


@pytest.mark.parametrize("args", [{}, {"family": "ipv4"}, {"family": "ipx", "host": "127.0.0.1"},
                                  {"family": "ipv4", "host": "127.0.0.1", "port": "80"}])
def test_malformed_arguments_are_badrequest(adapter, args):
    assert code(adapter, "tcp.listen", **args) == "BADREQUEST"


def test_hostnames_are_never_resolved(adapter):
    assert code(adapter, "tcp.listen", family="ipv4", host="localhost", port=0) == "EINVAL"


def test_invalid_base64_is_badrequest(adapter):
    listener = ok(adapter, "tcp.listen", family="ipv4", host="127.0.0.1", port=0)
    assert code(adapter, "stream.send", handle=listener["handle"], data="not base64!") == "BADREQUEST"


def test_closed_handles_stay_invalid_and_are_never_reused(adapter):
    first = ok(adapter, "tcp.listen", family="ipv4", host="127.0.0.1", port=0)["handle"]
    ok(adapter, "close", handle=first)
    assert code(adapter, "close", handle=first) == "EBADF"
    ok(adapter, "reset")
    second = ok(adapter, "tcp.listen", family="ipv4", host="127.0.0.1", port=0)["handle"]
    assert second > first


def test_round_trip_and_end_of_stream(adapter):
    listener = ok(adapter, "tcp.listen", family="ipv6", host="::1", port=0)
    client = ok(adapter, "tcp.connect", family="ipv6", host="::1", port=listener["local"]["port"], timeout=2)
    server = ok(adapter, "tcp.accept", handle=listener["handle"], timeout=2)
    assert ok(adapter, "stream.send", handle=client["handle"], data=encode_bytes(b"hi"), timeout=2) == {"sent": 2}
    assert ok(adapter, "stream.recv", handle=server["handle"], max=10, timeout=2) == {"data": encode_bytes(b"hi")}
    ok(adapter, "stream.shutdown", handle=client["handle"], how="write")
    assert ok(adapter, "stream.recv", handle=server["handle"], max=10, timeout=2) == {"data": ""}


def test_datagram_truncation_is_reported(adapter):
    receiver = ok(adapter, "udp.bind", family="ipv4", host="127.0.0.1", port=0)
    sender = ok(adapter, "udp.bind", family="ipv4", host="127.0.0.1", port=0)
    ok(adapter, "udp.sendto", handle=sender["handle"], data=encode_bytes(b"0123456789"),
       host="127.0.0.1", port=receiver["local"]["port"])
    got = ok(adapter, "udp.recvfrom", handle=receiver["handle"], max=4, timeout=2)
    assert got["data"] == encode_bytes(b"0123") and got["truncated"] is True
    assert got["peer"] == sender["local"]


def test_options_round_trip(adapter):
    listener = ok(adapter, "tcp.listen", family="ipv4", host="127.0.0.1", port=0, options={"reuseaddr": True})
    assert ok(adapter, "opt.get", handle=listener["handle"], name="reuseaddr") == {"value": True}
    ok(adapter, "opt.set", handle=listener["handle"], name="linger", value=3)
    assert ok(adapter, "opt.get", handle=listener["handle"], name="linger") == {"value": 3}
    assert code(adapter, "opt.get", handle=listener["handle"], name="frobnicate") == "UNSUPPORTED"


def test_stdio_adapter_answers_in_order_and_survives_garbage():
    lines = [json.dumps({"id": 1, "op": "hello", "args": {"protocol": "1.0"}}), "{not json",
             json.dumps({"id": 2, "op": "reset"})]
    result = subprocess.run([sys.executable, "-m", "reference_impl.adapter"], input="\n".join(lines) + "\n",
                            capture_output=True, text=True, cwd=ROOT, timeout=30)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == [1, None, 2]
    assert answers[1]["error"]["code"] == "BADREQUEST" and answers[2]["ok"]
    assert result.returncode == 0


def test_unix_addresses_that_name_nobody_are_einval(adapter, tmp_path):
    """docs/protocol.md (1.4): the address of unix.sendto and unix.connect is never unnamed or
    autobind; both answer EINVAL (not the ENOTCONN of a send with no address at all)."""
    sock = ok(adapter, "unix.bind", kind="dgram", address={"path": str(tmp_path / "s")})["handle"]
    data = encode_bytes(b"x")
    assert code(adapter, "unix.sendto", handle=sock, data=data, address={"unnamed": True}) == "EINVAL"
    assert code(adapter, "unix.sendto", handle=sock, data=data) == "ENOTCONN"
    assert code(adapter, "unix.connect", kind="dgram", address={"unnamed": True}) == "EINVAL"
    assert code(adapter, "unix.connect", kind="dgram", address={"autobind": True}) == "EINVAL"
