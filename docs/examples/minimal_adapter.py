#!/usr/bin/env python3
"""The smallest complete sockspec adapter: TCP over IPv4 and IPv6, nothing else.

    pytest conformance --target "mini=cmd:python3 docs/examples/minimal_adapter.py"

It declares only the features it implements (`tcp`, `ipv4`, `ipv6`), so every behaviour
needing more is reported not applicable; everything it declares must pass. Standard
library only, one file: copy it, replace the socket calls with your library's.
"""

import base64
import binascii
import errno
import itertools
import json
import os
import select
import signal
import socket
import sys
import time

FAMILIES = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}
sockets = {}  # handle -> socket
handles = itertools.count(1)  # handles are never reused


class Failure(Exception):
    def __init__(self, code, message="", supplied=False):
        super().__init__(message)
        self.code = code
        self.supplied = supplied  # the adapter chose the errno name: the library gave none


def arg(args, name, kind, default=None):
    value = args.get(name, default)
    if value is None or not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise Failure("BADREQUEST", f"argument {name!r} missing or of the wrong type")
    return value


def lookup(args):
    try:
        return sockets[arg(args, "handle", int)]
    except KeyError:
        raise Failure("EBADF", "no such handle") from None


def sockaddr(args, family, port_default=None):
    """A numeric host of the family and a port in range: EINVAL otherwise, never a name lookup."""
    host, port = arg(args, "host", str), arg(args, "port", int, port_default)
    if not 0 <= port <= 65535:
        raise Failure("EINVAL", f"port out of range: {port}")
    try:
        socket.inet_pton(family, host)
    except OSError:
        raise Failure("EINVAL", f"not a numeric address of the family: {host!r}") from None
    return host, port


def timeout_of(args):
    timeout = arg(args, "timeout", (int, float), 5)
    if timeout < 0:
        raise Failure("BADREQUEST", "timeout must be >= 0")
    return timeout


def address(pair):
    return {"host": pair[0], "port": pair[1]}


def register(sock):
    handle = next(handles)
    sockets[handle] = sock
    return handle


def wait(sock, events, args, attempt):
    """Attempt first; wait for readiness only if the operation would block."""
    timeout = timeout_of(args)
    deadline = time.monotonic() + timeout
    poller = select.poll()
    poller.register(sock, events)
    while True:
        try:
            return attempt()
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if timeout == 0:
                raise Failure("EAGAIN", "would block") from None
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise Failure("ETIMEDOUT", "timed out") from None


def family_of(args):
    return FAMILIES.get(arg(args, "family", str)) or fail("BADREQUEST", "unknown family")


def new_socket(family):
    sock = socket.socket(family)
    sock.setblocking(False)
    return sock


def fail(code, message):
    raise Failure(code, message)


def op_hello(args):
    return {"protocol": "1.4", "implementation": "minimal-example", "version": "1.0", "language": "python",
            "features": ["tcp", "ipv4", "ipv6"]}


def op_reset(args):
    for sock in sockets.values():
        sock.close()
    sockets.clear()
    return {}


def op_close(args):
    lookup(args).close()
    del sockets[args["handle"]]
    return {}


def op_tcp_listen(args):
    family = family_of(args)
    where, backlog = sockaddr(args, family, 0), arg(args, "backlog", int, 128)
    sock = new_socket(family)
    try:
        sock.bind(where)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return {"handle": register(sock), "local": address(sock.getsockname())}


def op_tcp_connect(args):
    family = family_of(args)
    where, timeout = sockaddr(args, family), timeout_of(args)
    sock = new_socket(family)
    try:
        code = sock.connect_ex(where)
        if code == errno.EINPROGRESS:  # non-blocking: the handshake goes on; wait until writable
            if not select.select([], [sock], [], timeout)[1]:
                raise Failure("ETIMEDOUT" if timeout else "EINPROGRESS", "connect did not complete")
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            raise OSError(code, os.strerror(code))
    except BaseException:
        sock.close()
        raise
    return {"handle": register(sock), "local": address(sock.getsockname()), "peer": address(sock.getpeername())}


def op_tcp_accept(args):
    listener = lookup(args)
    conn, _ = wait(listener, select.POLLIN, args, listener.accept)
    conn.setblocking(False)
    return {"handle": register(conn), "local": address(conn.getsockname()), "peer": address(conn.getpeername())}


def op_stream_send(args):
    sock = lookup(args)
    try:
        data = base64.b64decode(arg(args, "data", str), validate=True)
    except binascii.Error:
        raise Failure("BADREQUEST", "data is not base64") from None
    return {"sent": wait(sock, select.POLLOUT, args, lambda: sock.send(data)) if data else 0}


def op_stream_recv(args):
    sock = lookup(args)
    size = arg(args, "max", int)
    if size < 1:
        raise Failure("BADREQUEST", "max must be >= 1")  # zero bytes would read as end of stream
    return {"data": base64.b64encode(wait(sock, select.POLLIN, args, lambda: sock.recv(size))).decode()}


def op_addr_local(args):
    return address(lookup(args).getsockname())


def op_addr_peer(args):
    return address(lookup(args).getpeername())


OPERATIONS = {name[3:].replace("_", "."): function for name, function in globals().items() if name.startswith("op_")}


def answer(request):
    request_id = request.get("id") if isinstance(request, dict) else None
    try:
        if not isinstance(request, dict) or not isinstance(request.get("op"), str):
            raise Failure("BADREQUEST", "not a request")
        operation = OPERATIONS.get(request["op"]) or fail("UNSUPPORTED", f"unknown operation {request['op']!r}")
        args = request.get("args") or {}
        return {"id": request_id, "ok": True, "result": operation(args)}
    except Failure as exc:
        code, message, supplied = exc.code, str(exc), exc.supplied
    except OSError as exc:  # the kernel's errno; an OSError without one gets a name we chose
        name = errno.errorcode.get(exc.errno)
        code, message, supplied = name or "EIO", str(exc), name is None
    error = {"code": code, "message": message}
    if supplied:  # protocol 1.3: say when the name is ours, not the library's
        error["supplied"] = True
    return {"id": request_id, "ok": False, "error": error}


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # a write to a reset connection is EPIPE
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except ValueError:
            request = None
        sys.stdout.write(json.dumps(answer(request)) + "\n")
        sys.stdout.flush()
    op_reset({})


if __name__ == "__main__":
    main()
