"""The reference adapter over stdio, misbehaving on one operation.

    python misbehaving_adapter.py MODE OP [--features F,F]

MODE: crash (exit 3 with a message on stderr), hang (stop answering), garbage (write a
non-protocol line), stand-in (when OP is refused for lack of privilege, quietly hand out a
UDP socket instead), claims-id (ICMP replies show identifier 999, as if the request's own
identifier survived a ping socket), shared-queue (every raw receive reads the first raw socket
opened), ip-header (raw receives get a 20-byte IPv4 header put in front), renumbers (raw
receives show sequence numbers one higher), bad-checksum (raw receives get their ICMP checksum
damaged), leaks (what one raw socket receives is delivered again to every other raw socket),
leaks-to-first (what a later raw socket receives is delivered again to the first one),
unsearchable-is-missing (a unix.connect refused with EACCES for a directory it cannot search
answers ENOENT), refuses (OP always answers EACCES), or ok. stand-in for unix.connect hands
out one end of a socketpair, as if connected.
OP: the operation that triggers it. --features replaces the
features declared in hello. Any further arguments are ignored (tests use one as a marker
to find leftover processes).
"""

import base64
import json
import os
import signal
import sys
import time

from reference_impl.engine import ReferenceAdapter


def main() -> None:
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    mode, trigger = sys.argv[1], sys.argv[2]
    features = None
    if "--features" in sys.argv:
        features = sys.argv[sys.argv.index("--features") + 1].split(",")
    adapter = ReferenceAdapter()
    if features is not None:
        adapter.features = features
    out = sys.stdout.buffer
    first_raw = None
    raw_handles: list[int] = []  # leaks, leaks-to-first: every raw socket opened
    queued: dict[int, list[dict]] = {}  # leaks, leaks-to-first: receives owed to each socket
    for line in sys.stdin.buffer:
        request = json.loads(line)
        if request.get("op") == "reset":  # a new case: its sockets are new
            raw_handles.clear()
            queued.clear()
        if mode in ("leaks", "leaks-to-first") and request.get("op") in ("raw.open", "raw.recv"):
            out.write(json.dumps(leaking(adapter, request, mode, raw_handles, queued)).encode() + b"\n")
            out.flush()
            continue
        if request.get("op") == trigger and mode in ("renumbers", "bad-checksum"):
            response = adapter.handle(request)
            if response["ok"]:
                data = bytearray(base64.b64decode(response["result"]["data"]))
                at = (data[0] & 0x0F) * 4 if data and data[0] >> 4 == 4 else 0
                if mode == "renumbers" and len(data) >= at + 8:
                    data[at + 6:at + 8] = ((int.from_bytes(data[at + 6:at + 8], "big") + 1) & 0xFFFF).to_bytes(2, "big")
                if mode == "bad-checksum" and len(data) >= at + 4:
                    data[at + 2] ^= 0xFF
                response["result"]["data"] = base64.b64encode(bytes(data)).decode()
            out.write(json.dumps(response).encode() + b"\n")
            out.flush()
            continue
        if mode == "shared-queue" and request.get("op") == "raw.recv" and first_raw is not None:
            request["args"]["handle"] = first_raw
        if request.get("op") == trigger and mode in ("claims-id", "ip-header", "shared-queue"):
            response = adapter.handle(request)
            if response["ok"] and mode == "shared-queue":
                first_raw = first_raw or response["result"]["handle"]
            if response["ok"] and mode in ("claims-id", "ip-header"):
                data = base64.b64decode(response["result"]["data"])
                data = data[:4] + (999).to_bytes(2, "big") + data[6:] if mode == "claims-id" else bytes(20) + data
                response["result"]["data"] = base64.b64encode(data).decode()
            out.write(json.dumps(response).encode() + b"\n")
            out.flush()
            continue
        if request.get("op") == trigger and mode in ("unsearchable-is-missing", "refuses"):
            response = adapter.handle(request)
            if mode == "refuses":
                response = {"id": request["id"], "ok": False, "error": {"code": "EACCES", "message": "refused"}}
            elif not response["ok"] and response["error"]["code"] == "EACCES":
                directory = os.path.dirname(request["args"]["address"].get("path", ""))
                if not os.access(directory, os.X_OK):
                    response["error"] = {"code": "ENOENT", "message": "no such path"}
            out.write(json.dumps(response).encode() + b"\n")
            out.flush()
            continue
        if request.get("op") == trigger:
            if mode == "crash":
                print(f"misbehaving adapter: crashing on {trigger}", file=sys.stderr, flush=True)
                sys.exit(3)
            if mode == "hang":
                print(f"misbehaving adapter: hanging on {trigger}", file=sys.stderr, flush=True)
                time.sleep(3600)
            if mode == "garbage":
                out.write(b"this is not json\n")
                out.flush()
                continue
            if mode == "stand-in":
                response = adapter.handle(request)
                if not response["ok"] and response["error"]["code"] in ("EPERM", "EACCES") \
                        and trigger == "unix.connect":
                    pair = adapter.handle({"id": request["id"], "op": "unix.socketpair", "args": {"kind": "stream"}})
                    response = {"id": request["id"], "ok": True, "result": {
                        "handle": pair["result"]["handles"][0], "local": {"unnamed": True},
                        "peer": request["args"]["address"]}}
                elif not response["ok"] and response["error"]["code"] in ("EPERM", "EACCES"):
                    family = request["args"]["family"]
                    host = "127.0.0.1" if family == "ipv4" else "::1"
                    bound = adapter.handle({"id": request["id"], "op": "udp.bind",
                                            "args": {"family": family, "host": host, "port": 0}})
                    response = {"id": request["id"], "ok": True, "result": {"handle": bound["result"]["handle"]}}
                out.write(json.dumps(response).encode() + b"\n")
                out.flush()
                continue
        out.write(json.dumps(adapter.handle(request)).encode() + b"\n")
        out.flush()


def leaking(adapter: ReferenceAdapter, request: dict, mode: str, raw_handles: list[int],
            queued: dict[int, list[dict]]) -> dict:
    """raw.open and raw.recv where received packets leak to other raw sockets."""
    if request["op"] == "raw.open":
        response = adapter.handle(request)
        if response["ok"]:
            raw_handles.append(response["result"]["handle"])
        return response
    handle = request["args"].get("handle")
    if queued.get(handle):
        return {"id": request["id"], "ok": True, "result": queued[handle].pop(0)}
    response = adapter.handle(request)
    if response["ok"]:
        others = [h for h in raw_handles if h != handle]
        for other in (others if mode == "leaks" else others[:1] if raw_handles and handle != raw_handles[0] else []):
            queued.setdefault(other, []).append(dict(response["result"]))
    return response


if __name__ == "__main__":
    main()
