"""ADAPTER-010's walks of the SCTP features (protocols 1.6 and 1.8): each operation of each
declared feature once, made in the feature's name. The target associates with itself (its
own listener, on its own stack's encapsulation port), so the walk needs no SCTP on the host.
The multicast feature (1.7) is not walked here: a join on the host would send membership
reports off loopback; UDP-MCAST performs its operations in the suite's own namespaces."""

from __future__ import annotations

from reference_impl.protocol import encode_bytes

SETUP = 3.0  # an association on loopback is set up at once; generous for a loaded machine


def _association(walk, feature: str, **listen_args) -> tuple[dict | None, dict | None, dict | None]:
    """The target's listener, and an association to it: (listener, outgoing end, accepted end)."""
    listener = walk.ask(feature, "sctp.listen", family=walk.family, host=walk.host, port=0, backlog=4,
                        **listen_args)
    if listener is None:
        return None, None, None
    encaps = listener.get("encaps_port")
    if encaps is None:  # a stack-wide port (usrsctp), or none (the kernel's SCTP)
        encaps = (walk.ask(feature, "sctp.stack") or {}).get("encaps_port")
    outgoing = walk.ask(feature, "sctp.connect", family=walk.family, host=walk.host,
                        port=listener["local"]["port"], encaps_port=encaps, timeout=SETUP,
                        **({"streams": listen_args["streams"]} if "streams" in listen_args else {}))
    incoming = None
    if listen_args.get("style") != "one-to-many":
        incoming = walk.ask(feature, "sctp.accept", handle=listener["handle"], timeout=SETUP)
    return listener, outgoing, incoming


def walk_sctp(walk) -> None:
    """Every sctp.* operation of feature `sctp` (1.6), and close."""
    walk.ask("sctp", "sctp.stack")
    listener, outgoing, incoming = _association(walk, "sctp")
    if outgoing is None or incoming is None:
        return
    walk.ask("sctp", "sctp.send", handle=outgoing["handle"], data=encode_bytes(b"walk"), stream=0, ppid=7,
             timeout=SETUP)
    walk.ask("sctp", "sctp.recv", handle=incoming["handle"], max=16, timeout=SETUP)
    walk.ask("sctp", "sctp.shutdown", handle=outgoing["handle"], how="write")
    walk.ask("sctp", "sctp.abort", handle=incoming["handle"])
    walk.ask("sctp", "close", handle=listener["handle"])


def walk_one_to_many(walk) -> None:
    """A one-to-many listener, an association to it, and a send with `to` (1.6)."""
    listener, outgoing, _ = _association(walk, "sctp.one-to-many", style="one-to-many")
    if listener is None or outgoing is None:
        return
    walk.ask("sctp.one-to-many", "sctp.send", handle=outgoing["handle"], data=encode_bytes(b"walk"), timeout=SETUP)
    got = walk.ask("sctp.one-to-many", "sctp.recv", handle=listener["handle"], max=16, timeout=SETUP)
    if got and isinstance(got.get("peer"), dict):
        walk.ask("sctp.one-to-many", "sctp.send", handle=listener["handle"], data=encode_bytes(b"back"),
                 to=got["peer"], timeout=SETUP)


def walk_streams(walk) -> None:
    """`streams` on sctp.listen and sctp.connect (1.8)."""
    _association(walk, "sctp.streams", streams={"out": 4, "in": 4})


def walk_status(walk) -> None:
    """sctp.status of an association (1.8)."""
    _, outgoing, _ = _association(walk, "sctp.status")
    if outgoing is not None:
        walk.ask("sctp.status", "sctp.status", handle=outgoing["handle"])


SCTP_WALKS = {"sctp": walk_sctp, "sctp.one-to-many": walk_one_to_many, "sctp.streams": walk_streams,
              "sctp.status": walk_status}
