"""Protocol 1.5 (readiness, connects, flags, options): the schema judges old and new answers
alike, the features say what each request needs, and older adapters are read as they were."""

from __future__ import annotations

import json

import pytest

from fixtures.errors import AdapterFault
from fixtures.features import needs_of, undeclared, widen
from fixtures.protocol_schema import SCHEMA_PATH, request_problem, result_problem
from fixtures.transports import check_response
from reference_impl.engine import ReferenceAdapter
from reference_impl.protocol import (
    FEATURES,
    FEATURES_15,
    OPTION_NAMES_15,
    PROTOCOL_VERSION,
)

OLD_SCHEMA = SCHEMA_PATH.with_name("protocol-1.4.json")


def test_1_5_only_adds_to_1_4():
    """Every operation of 1.4 is in 1.5, and each result 1.4 required is still required (or,
    for tcp.connect's peer, required unless the answer says pending)."""
    old, new = json.loads(OLD_SCHEMA.read_text()), json.loads(SCHEMA_PATH.read_text())
    assert set(old["requests"]) <= set(new["requests"]) and set(old["results"]) <= set(new["results"])
    for op, part in old["results"].items():
        required = set(part.get("required", ()))
        now = set(new["results"][op].get("required", ())) | set(new["results"][op].get("else", {}).get("required", ()))
        assert required <= now, op


@pytest.mark.parametrize("result, problem", [
    ({"handle": 3, "local": {"host": "127.0.0.1", "port": 1}}, "must contain"),  # a 1.4 answer without peer
    ({"handle": 3, "local": {"host": "127.0.0.1", "port": 1}, "pending": False}, "must contain"),
    ({"handle": 3, "local": {"host": "127.0.0.1", "port": 1}, "pending": True}, None),
    ({"handle": 3, "local": {"host": "127.0.0.1", "port": 1}, "peer": {"host": "127.0.0.1", "port": 2}}, None),
])
def test_tcp_connect_leaves_out_the_peer_only_when_pending(result, problem):
    found = result_problem("tcp.connect", result)
    assert (found is None) if problem is None else (problem in found), found


def test_wait_answers_only_known_conditions():
    assert result_problem("wait", {"events": ["read", "hangup"]}) is None
    assert result_problem("wait", {"events": []}) is None
    with pytest.raises(AdapterFault, match="result.events"):
        check_response({"id": 1, "ok": True, "result": {"events": ["readable"]}}, 1, "wait")
    assert request_problem("wait", {"handle": 1, "events": ["hangup"]})  # hangup is reported, never asked


def test_option_values_may_be_numbers_and_names():
    for value in (0.25, "stream", "ECONNREFUSED", None, True, 7):
        assert result_problem("opt.get", {"value": value}) is None
    assert result_problem("opt.get", {"value": [1]})


def test_length_is_a_count():
    base = {"data": "", "peer": {"host": "::1", "port": 1}, "truncated": False}
    assert result_problem("udp.recvfrom", {**base, "length": 0}) is None
    assert result_problem("udp.recvfrom", {**base, "length": -1})


@pytest.mark.parametrize("op, args, needs", [
    ("wait", {"handle": 1, "events": ["read"], "timeout": 0}, [{"wait"}]),
    ("wait", {"handle": 1, "events": ["rdhangup"]}, [{"wait"}, {"wait.rdhangup"}]),
    ("stream.recv", {"handle": 1, "max": 4, "peek": True, "waitall": False}, [{"tcp", "unix.stream", "unix.seqpacket"},
                                                                           {"flag.peek"}]),
    ("stream.recv", {"handle": 1, "max": 4, "dontwait": True, "timeout": 0},
     [{"tcp", "unix.stream", "unix.seqpacket"}, {"flag.dontwait"}]),
    ("udp.recvfrom", {"handle": 1, "max": 4, "trunc": True, "blocking": True},
     [{"udp"}, {"flag.trunc"}, {"blocking"}]),
    ("tcp.connect", {"family": "ipv4", "host": "127.0.0.1", "port": 1, "pending": True, "handle": 2},
     [{"tcp"}, {"tcp.pending"}, {"tcp.connect-handle"}, {"ipv4"}]),
    ("udp.disconnect", {"handle": 1}, [{"udp.disconnect"}]),
    ("opt.get", {"handle": 1, "name": "rcvtimeo"}, [{"opt.rcvtimeo"}]),
])
def test_each_addition_needs_its_own_feature(op, args, needs):
    assert needs_of(op, args) == needs


def test_older_adapters_are_not_widened_into_1_5():
    declared = widen({"tcp", "udp", "ipv4", "nonblocking"}, "1.4")
    assert not declared & set(FEATURES_15)
    assert undeclared("wait", {"handle": 1, "events": ["read"]}, declared) == ["wait"]


def test_the_reference_declares_every_1_5_feature():
    hello = ReferenceAdapter().handle({"id": 1, "op": "hello"})["result"]
    assert hello["protocol"] == PROTOCOL_VERSION
    assert set(FEATURES_15) | {f"opt.{name}" for name in OPTION_NAMES_15} <= set(hello["features"]) <= set(FEATURES)


def test_the_reference_answers_1_5_requests_within_the_schema():
    adapter = ReferenceAdapter()

    def ask(op, **args):
        response = adapter.handle({"id": 1, "op": op, "args": args})
        assert request_problem(op, args) is None, (op, args)
        if response["ok"]:
            assert result_problem(op, response["result"]) is None, (op, response)
        return response

    try:
        listener = ask("tcp.listen", family="ipv4", host="127.0.0.1", port=0)["result"]
        pending = ask("tcp.connect", family="ipv4", host="127.0.0.1", port=listener["local"]["port"],
                      pending=True)["result"]
        assert ask("wait", handle=pending["handle"], events=["write"], timeout=2)["result"]["events"] == ["write"]
        assert ask("opt.get", handle=pending["handle"], name="error")["result"]["value"] is None
        again = ask("tcp.connect", family="ipv4", host="127.0.0.1", port=listener["local"]["port"],
                    handle=pending["handle"], timeout=1)
        assert again["ok"] or again["error"]["code"] == "EISCONN"
        assert ask("opt.set", handle=listener["handle"], name="type", value=1)["error"]["code"] == "ENOPROTOOPT"
        assert ask("opt.get", handle=listener["handle"], name="type")["result"]["value"] == "stream"
        datagrams = ask("udp.bind", family="ipv4", host="127.0.0.1", port=0)["result"]
        ask("udp.sendto", handle=datagrams["handle"], data="AAAA", host="127.0.0.1", port=datagrams["local"]["port"],
            dontwait=True)
        got = ask("udp.recvfrom", handle=datagrams["handle"], max=1, trunc=True, timeout=2)["result"]
        assert (got["length"], got["truncated"]) == (3, True)
        assert ask("udp.disconnect", handle=datagrams["handle"])["ok"]
    finally:
        adapter.close_all()
