"""The reference adapter over stdio, misbehaving on one operation.

    python misbehaving_adapter.py MODE OP [--features F,F]

MODE: crash (exit 3 with a message on stderr), hang (stop answering), garbage (write a
non-protocol line), stand-in (when OP is refused for lack of privilege, quietly hand out a
UDP socket instead), or ok. OP: the operation that triggers it. --features replaces the
features declared in hello. Any further arguments are ignored (tests use one as a marker
to find leftover processes).
"""

import json
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
    for line in sys.stdin.buffer:
        request = json.loads(line)
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
                if not response["ok"] and response["error"]["code"] in ("EPERM", "EACCES"):
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


if __name__ == "__main__":
    main()
