"""The protocol's JSON Schema: every answer is checked against it, and a malformed field is
one clear adapter error naming the field and the rule it breaks."""

from __future__ import annotations

import pytest

from fixtures.errors import AdapterFault
from fixtures.protocol_schema import SCHEMA_PATH, request_problem, schema
from fixtures.transports import InProcessTransport, check_response
from reference_impl.engine import ReferenceAdapter
from reference_impl.protocol import PROTOCOL_VERSION

OK = {"id": 1, "ok": True}


@pytest.mark.parametrize("op, result, named", [
    ("hello", {"protocol": "1.2", "implementation": "x", "version": "1", "features": []}, "result must contain"),
    ("hello", {"protocol": "one", "implementation": "x", "version": "1", "language": "c", "features": []},
     "result.protocol must match pattern"),
    ("hello", {"protocol": "1.2", "implementation": "x", "version": "1", "language": "c", "features": "tcp"},
     "result.features must be array"),
    ("tcp.connect", {"handle": 3, "local": {"host": "127.0.0.1", "port": "5"}, "peer": {"host": "::1", "port": 1}},
     "result.local.port must be integer"),
    ("tcp.listen", {"handle": 0, "local": {"host": "127.0.0.1", "port": 5}}, "result.handle must be bigger than or equal to 1"),
    ("stream.recv", {"data": "aGVsbG8"}, "result.data must be base64"),
    ("stream.recv", {"data": "aGV-bG8="}, "result.data must be base64"),
    ("udp.recvfrom", {"data": "", "peer": {"host": "::1", "port": 1}, "truncated": "no"},
     "result.truncated must be boolean"),
    ("addr.local", {"host": "127.0.0.1", "port": 70000}, "result.port must be smaller than or equal to 65535"),
    ("serve.start", {"handle": 4}, "result must contain"),
    # 1.7: the error queue's entry
    ("udp.errqueue", {"errno": "ECONNREFUSED", "origin": "icmp", "type": "3", "code": 3, "offender": None,
                      "peer": {"host": "127.0.0.1", "port": 9}, "data": ""}, "result.type must be integer"),
    ("udp.errqueue", {"errno": "ECONNREFUSED", "origin": "remote", "type": 3, "code": 3, "offender": None,
                      "peer": {"host": "127.0.0.1", "port": 9}, "data": ""}, "result.origin must be one of"),
    ("udp.errqueue", {"errno": "econnrefused", "origin": "icmp", "type": 3, "code": 3, "offender": None,
                      "peer": {"host": "127.0.0.1", "port": 9}, "data": ""}, "result.errno must match pattern"),
    ("udp.errqueue", {"errno": "ECONNREFUSED", "origin": "icmp", "type": 3, "code": 256, "offender": None,
                      "peer": {"host": "127.0.0.1", "port": 9}, "data": ""},
     "result.code must be smaller than or equal to 255"),
    ("udp.errqueue", {"errno": "ECONNREFUSED", "origin": "icmp", "type": 3, "code": 3,
                      "peer": {"host": "127.0.0.1", "port": 9}, "data": ""}, "result must contain"),
    ("udp.errqueue", {"errno": "ECONNREFUSED", "origin": "icmp", "type": 3, "code": 3, "offender": "127.0.0.1",
                      "peer": {"host": "127.0.0.1", "port": 9}, "data": ""}, "result.offender cannot be validated by any definition"),
    ("udp.errqueue", {"errno": "ECONNREFUSED", "origin": "icmp", "type": 3, "code": 3, "offender": None,
                      "peer": {"host": "127.0.0.1", "port": 9}, "data": "QQ"}, "result.data must be base64"),
])
def test_a_malformed_result_is_one_line_naming_the_field(op, result, named):
    with pytest.raises(AdapterFault) as caught:
        check_response({**OK, "result": result}, 1, op)
    message = str(caught.value)
    assert named in message and "\n" not in message, message
    assert message.startswith(f"answer to {op!r} breaks the protocol schema"), message


@pytest.mark.parametrize("op, args, named", [
    ("udp.join", {"handle": 1}, "args must contain"),
    ("udp.join", {"handle": 1, "group": 239}, "args.group must be string"),
    ("udp.join", {"handle": 1, "group": "239.255.0.1", "interface": {"name": "mc0", "index": "3"}},
     "args.interface cannot be validated by any definition"),
    ("udp.leave", {"handle": 1, "group": "ff15::1", "interface": "mc0"}, "args.interface cannot be validated by any definition"),
    ("udp.errqueue", {"handle": "1"}, "args.handle must be integer"),
    ("opt.set", {"handle": 1, "name": "multicast_if", "value": {"name": "mc0"}}, "args.value cannot be validated by any definition"),
])
def test_a_malformed_17_request_is_named(op, args, named):
    problem = request_problem(op, args)
    assert problem is not None and named in problem, problem


@pytest.mark.parametrize("op, args", [
    ("udp.join", {"handle": 1, "group": "239.255.0.1", "interface": {"name": "mc0", "index": 3,
                                                                     "address": "198.18.0.1"}}),
    ("udp.join", {"handle": 1, "group": "ff15::1", "interface": {"name": "mc0", "index": 3}}),
    ("udp.leave", {"handle": 1, "group": "239.255.0.1", "interface": None}),
    ("udp.errqueue", {"handle": 1}),
    ("opt.set", {"handle": 1, "name": "multicast_if", "value": {"name": "mc0", "index": 3}}),
    ("opt.set", {"handle": 1, "name": "multicast_if", "value": None}),
])
def test_a_well_formed_17_request_passes(op, args):
    assert request_problem(op, args) is None


def test_an_errqueue_entry_passes():
    from fixtures.protocol_schema import result_problem
    assert result_problem("udp.errqueue", {
        "errno": "ECONNREFUSED", "origin": "icmp", "type": 3, "code": 3, "offender": {"host": "127.0.0.1", "port": 0},
        "peer": {"host": "127.0.0.1", "port": 9}, "data": "aGk="}) is None


# 1.8: SCTP association parameters
_STATUS = {"state": "established", "outstreams": 10, "instreams": 5, "peer_rwnd": 131072,
           "primary": {"host": "127.0.0.1", "port": 5000}}


@pytest.mark.parametrize("result, named", [
    ({**_STATUS, "state": "ESTABLISHED"}, "result.state must be one of"),
    ({**_STATUS, "outstreams": 65536}, "result.outstreams must be smaller than or equal to 65535"),
    ({**_STATUS, "instreams": "5"}, "result.instreams must be integer"),
    ({**_STATUS, "peer_rwnd": -1}, "result.peer_rwnd must be bigger than or equal to 0"),
    ({key: value for key, value in _STATUS.items() if key != "primary"}, "result must contain"),
    ({**_STATUS, "primary": "127.0.0.1"}, "result.primary cannot be validated by any definition"),
])
def test_a_malformed_sctp_status_is_named(result, named):
    with pytest.raises(AdapterFault) as caught:
        check_response({**OK, "result": result}, 1, "sctp.status")
    assert named in str(caught.value), caught.value


@pytest.mark.parametrize("op, args, named", [
    ("sctp.connect", {"family": "ipv4", "host": "127.0.0.1", "port": 5, "streams": {"out": 0}},
     "args.streams.out must be bigger than or equal to 1"),
    ("sctp.listen", {"family": "ipv4", "host": "127.0.0.1", "streams": {"in": 65536}},
     "args.streams.in must be smaller than or equal to 65535"),
    ("sctp.listen", {"family": "ipv4", "host": "127.0.0.1", "streams": [10, 10]}, "args.streams must be object"),
    ("sctp.status", {}, "args must contain"),
    ("sctp.status", {"handle": 1, "to": {"host": "127.0.0.1"}}, "args.to must contain"),
])
def test_a_malformed_18_request_is_named(op, args, named):
    problem = request_problem(op, args)
    assert problem is not None and named in problem, problem


@pytest.mark.parametrize("op, args", [
    ("sctp.connect", {"family": "ipv6", "host": "::1", "port": 5, "encaps_port": 9899, "streams": {"out": 3, "in": 2}}),
    ("sctp.listen", {"family": "ipv4", "host": "127.0.0.1", "streams": {"in": 1}}),
    ("sctp.status", {"handle": 1}),
    ("sctp.status", {"handle": 1, "to": {"host": "127.0.0.1", "port": 5}}),
    ("opt.set", {"handle": 1, "name": "sctp_hbinterval", "value": None}),
    ("opt.set", {"handle": 1, "name": "sctp_hbinterval", "value": 200}),
])
def test_a_well_formed_18_request_passes(op, args):
    assert request_problem(op, args) is None


def test_an_sctp_status_passes():
    from fixtures.protocol_schema import result_problem
    assert result_problem("sctp.status", _STATUS) is None
    assert result_problem("sctp.status", {**_STATUS, "state": "closed", "primary": None}) is None


def test_a_malformed_error_is_caught():
    with pytest.raises(AdapterFault, match=r"error.code must match pattern"):
        check_response({"id": 1, "ok": False, "error": {"code": "econnrefused", "message": ""}}, 1, "tcp.connect")


def test_a_well_formed_error_is_the_operations_outcome():
    from reference_impl.errors import OpError
    with pytest.raises(OpError):
        check_response({"id": 1, "ok": False, "error": {"code": "ECONNREFUSED", "message": "no"}}, 1, "tcp.connect")


def test_every_operation_has_a_request_and_a_result_schema():
    from reference_impl.engine import _OPERATIONS
    assert sorted(schema()["requests"]) == sorted(_OPERATIONS) == sorted(schema()["results"])


def test_the_schema_is_valid_json_schema():
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft7Validator.check_schema(schema())
    # one schema validates every 1.x version; the file kept the name it had at 1.6, its title says the version
    assert SCHEMA_PATH.name == "protocol-1.6.json"
    assert schema()["title"] == f"sockspec wire protocol {PROTOCOL_VERSION} (docs/protocol.md)"


def test_an_in_process_adapter_is_held_to_the_schema_too():
    class PortAsText(ReferenceAdapter):
        def op_addr_local(self, args):
            return {**super().op_addr_local(args), "port": "80"}
    transport = InProcessTransport(PortAsText(), "port-as-text")
    listener = transport.request("tcp.listen", {"family": "ipv4", "host": "127.0.0.1", "port": 0}, 1.0)
    with pytest.raises(AdapterFault, match="result.port must be integer"):
        transport.request("addr.local", {"handle": listener["handle"]}, 1.0)
    transport.close()


def test_an_adapter_with_a_malformed_hello_errors_every_case_with_one_line_naming_the_field():
    from tests.conftest import grade_cases
    from tests.faulty.protocol_faults import HelloVersionIsANumber
    with pytest.raises(AdapterFault) as caught:
        grade_cases("ADAPTER-001", HelloVersionIsANumber)
    first_line = str(caught.value).splitlines()[0]
    assert "answer to 'hello' breaks the protocol schema: result.version must be string" in first_line


def test_a_handle_that_is_not_positive_is_caught_at_the_answer_that_gave_it():
    from tests.conftest import grade_cases
    from tests.faulty.protocol_faults import HandlesFromZero
    with pytest.raises(AdapterFault, match=r"answer to '\w+\.\w+' breaks the protocol schema: "
                                           r"result.handle must be bigger than or equal to 1"):
        grade_cases("ADAPTER-007", HandlesFromZero)


def test_the_fast_base64_check_keeps_the_schemas_pattern():
    import random
    import re
    from fixtures.protocol_schema import _padded_base64
    pattern = re.compile(schema()["definitions"]["data"]["pattern"])
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ é"
    rng = random.Random(7)
    texts = ["", "=", "==", "A===", "QQ==", "QUI=", "QUJD", "QUJDRA=", "QQ=A", *(
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 13))) for _ in range(5000))]
    assert [t for t in texts if bool(pattern.fullmatch(t)) != _padded_base64(t)] == []
