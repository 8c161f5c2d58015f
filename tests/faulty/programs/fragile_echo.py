"""A TCP echo server that serves correctly, then breaks after a number of sessions.

    python fragile_echo.py MODE SESSIONS --host H --port P

Every session is echoed faithfully until the SESSIONS-th has been accepted; then, by MODE:
  stops-listening  closes its listening socket but keeps running (and serving open sessions)
  exits            prints a line on stderr and exits with status 1
  hangs            keeps listening, but never accepts or reads anything again

For testing that a program a case leaves broken is restarted before the next case, with
the broken state in the evidence of the case that broke it.
"""

from __future__ import annotations

import argparse
import selectors
import socket
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("stops-listening", "exits", "hangs"))
    parser.add_argument("sessions", type=int)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    listener = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(1024)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    accepted = 0
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            if sock is listener:
                conn, _ = listener.accept()
                accepted += 1
                selector.register(conn, selectors.EVENT_READ)
                if accepted == args.sessions:
                    if args.mode == "stops-listening":
                        selector.unregister(listener)
                        listener.close()
                    elif args.mode == "exits":
                        print(f"fragile echo: giving up after {accepted} sessions", file=sys.stderr, flush=True)
                        sys.exit(1)
                    else:
                        while True:
                            time.sleep(3600)
                continue
            try:
                data = sock.recv(65536)
                if data:
                    sock.sendall(data)
                    continue
            except OSError:
                pass
            selector.unregister(sock)
            sock.close()


if __name__ == "__main__":
    main()
