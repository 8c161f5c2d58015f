"""The reference as a subprocess adapter: ``python -m reference_impl.adapter``.

Reads one JSON request per line on stdin and writes one response per line on stdout
(docs/protocol.md §1). Running the reference through the same wire the other languages
use keeps the protocol path honest.
"""

from __future__ import annotations

import json
import signal
import sys

from .engine import ReferenceAdapter


def serve(stdin, stdout) -> None:
    adapter = ReferenceAdapter()
    try:
        for line in stdin:
            try:
                request = json.loads(line)
            except ValueError as exc:
                response = {"id": None, "ok": False, "error": {"code": "BADREQUEST", "message": f"not JSON: {exc}"}}
            else:
                response = adapter.handle(request)
            stdout.write(json.dumps(response, separators=(",", ":")).encode() + b"\n")
            stdout.flush()
    finally:
        adapter.close_all()


def main() -> None:
    # A write to a reset connection must surface as EPIPE, not kill the adapter.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
