"""One-to-many SCTP sockets (RFC 6458 §3): several associations through one socket."""

from conformance.scenario import behaviour
from reference_impl.protocol import decode_bytes, encode_bytes

from .steps import WAIT, connect, recv_outcome, send


@behaviour("SCTP-017", seats=("server",), peers=("other",))
def test_one_to_many_keeps_associations_apart(run):
    result = run.server.call("sctp.listen", family=run.family, host=run.host, port=0, style="one-to-many")
    handle, encaps = result["handle"], result.get("encaps_port")
    listener = run.addr(result["local"]["port"], result["local"]["host"])
    clients = {"A": (run.client, connect(run, run.client, listener, encaps)),
               "B": (run.other, connect(run, run.other, listener, encaps))}
    names = {f"{assoc.local.host}:{assoc.local.port}": name for name, (_, assoc) in clients.items()}
    for name, (endpoint, assoc) in clients.items():
        send(endpoint, assoc, f"from {name}".encode())
    senders = {}
    for _ in clients:
        got = run.server.call("sctp.recv", WAIT, handle=handle, max=65536)
        peer = got.get("peer") or {}
        senders[decode_bytes(got["data"]).decode("latin-1")] = \
            names.get(f"{peer.get('host')}:{peer.get('port')}", "another address")
    run.check("the peer each message came from, as the one-to-many socket reports it", senders,
              equals={"from A": "A", "from B": "B"})
    for name, (_, assoc) in clients.items():
        run.server.call("sctp.send", WAIT, handle=handle, data=encode_bytes(f"to {name}".encode()),
                        to={"host": assoc.local.host, "port": assoc.local.port})
    received = {}
    for name, (endpoint, assoc) in clients.items():
        got = recv_outcome(endpoint, assoc)
        received[name] = got if isinstance(got, str) else got.data.decode("latin-1")
    run.check("what each client receives", received, equals={"A": "to A", "B": "to B"})
