"""Unix-domain names: socket files, their lifetime, abstract names, autobind, unnamed sockets."""

from __future__ import annotations

import os

from conformance.scenario import NotApplicable, behaviour
from conformance.scenarios.common import delivered
from fixtures.endpoint import AUTOBIND, UNNAMED

from .steps import FAMILIES, NOTHING, autobind_form, file_type, host_listing, stream_connection

SUN_PATH = 108  # Linux's sun_path: 107 bytes and the terminating NUL


@behaviour("UNIX-NAME-001", seats=("server",), families=FAMILIES)
def test_bind_creates_a_socket_file(run):
    path = run.unix_path("s")
    listener = run.server.unix_listen("stream", path)
    run.check("what stat reports at the path", file_type(path), equals="socket")
    run.check("the address unix.listen reported", run.unix_name(listener.local), equals="s")
    run.check("the listener's own address (addr.local)", run.unix_name(run.server.local_address(listener)),
              equals="s")


@behaviour("UNIX-NAME-002", seats=("server",), families=FAMILIES)
def test_a_path_in_use_cannot_be_bound_until_unlinked(run):
    path = run.unix_path("s")
    first = run.client.unix_listen("stream", path)
    run.check("binding the path of a listening socket", run.outcome(run.server.unix_listen, "stream", path),
              equals="EADDRINUSE")
    run.client.close(first)
    run.check("binding the path of a closed socket", run.outcome(run.server.unix_listen, "stream", path),
              equals="EADDRINUSE")
    run.server.unix_unlink(path)
    run.check("binding it after unix.unlink", run.outcome(run.server.unix_listen, "stream", path), equals="ok")


@behaviour("UNIX-NAME-003", seats=("server",), families=FAMILIES)
def test_close_leaves_the_file(run):
    path = run.unix_path("s")
    listener = run.server.unix_listen("stream", path)
    run.server.close(listener)
    run.check("what stat reports at the path after close", file_type(path), equals="socket")


@behaviour("UNIX-NAME-004", seats=("client",), families=FAMILIES)
def test_connect_to_a_stale_or_missing_path(run):
    stale = run.unix_path("stale")
    run.server.close(run.server.unix_listen("stream", stale))
    run.check("connect to the path of a closed socket", run.outcome(run.client.unix_connect, "stream", stale),
              equals="ECONNREFUSED")
    run.check("connect to a path where nothing is", run.outcome(run.client.unix_connect, "stream",
                                                                run.unix_path("missing")), equals="ENOENT")
    plain = run.unix_path("file")
    with open(plain.path, "w"):
        pass
    run.check("connect to a regular file", run.outcome(run.client.unix_connect, "stream", plain),
              equals="ECONNREFUSED")


@behaviour("UNIX-NAME-005", seats=("server",), families=FAMILIES)
def test_the_sun_path_length_limit(run):
    room = SUN_PATH - 1 - len(os.fsencode(run.unix_dir)) - 1  # the directory, "/", the name
    outcomes = {}
    for length in (SUN_PATH - 1, SUN_PATH, SUN_PATH + 1):
        path = run.unix_path("n" * (room + length - (SUN_PATH - 1)))
        outcomes[length] = run.outcome(run.server.unix_listen, "stream", path)
    run.check(f"binding a {SUN_PATH - 1}-byte path", outcomes[SUN_PATH - 1], equals="ok")
    run.check(f"binding a {SUN_PATH}-byte path (no room for the NUL)", outcomes[SUN_PATH],
              allowed={"ok", "EINVAL", "ENAMETOOLONG"})
    run.check(f"binding a {SUN_PATH + 1}-byte path", outcomes[SUN_PATH + 1], allowed={"EINVAL", "ENAMETOOLONG"})


@behaviour("UNIX-NAME-006", seats=("server",), families=FAMILIES)
def test_an_abstract_name_makes_no_file_and_vanishes(run):
    name = run.unix_abstract("a")
    listener = run.server.unix_listen("stream", name)
    run.check("how the host lists the socket (/proc/net/unix)", host_listing(run, name), equals="@a")
    run.check("the listener's own address (addr.local)", run.unix_name(run.server.local_address(listener)),
              equals="@a")
    run.server.close(listener)
    run.check("a connect to the name after the socket closed", run.outcome(run.client.unix_connect, "stream", name),
              equals="ECONNREFUSED")
    run.check("binding the name again", run.outcome(run.server.unix_listen, "stream", name), equals="ok")


@behaviour("UNIX-NAME-007", seats=("client",), families=FAMILIES)
def test_an_abstract_name_in_use(run):
    name = run.unix_abstract("a")
    listener = run.server.unix_listen("stream", name)
    run.check("binding the abstract name another socket holds", run.outcome(run.client.unix_listen, "stream", name),
              equals="EADDRINUSE")
    outgoing = run.client.unix_connect("stream", name)
    incoming = run.server.unix_accept(listener)
    run.check("bytes sent on the connection to the name reach the holder",
              delivered(run.client, outgoing, run.server, incoming, b"hello, holder"), equals=b"hello, holder")


@behaviour("UNIX-NAME-008", seats=("server",), families=FAMILIES)
def test_autobind_gives_an_abstract_name(run):
    sock = run.server.unix_bind("dgram", AUTOBIND)
    run.check("the autobound address", autobind_form(sock.local), equals="abstract, 5 characters of [0-9a-f]")
    run.check("addr.local against the address unix.bind reported",
              "the same" if run.server.local_address(sock) == sock.local else "another", equals="the same")
    sender = run.client.unix_bind("dgram", UNNAMED)
    run.client.unix_sendto(sender, b"to the autobound name", sock.local)
    got = run.server.unix_recvfrom(sock, timeout=1.0)
    run.check("a datagram sent to the autobound name", got.data, equals=b"to the autobound name")


@behaviour("UNIX-NAME-009", seats=("client", "server"), families=FAMILIES)
def test_unnamed_client_and_what_each_end_reports(run):
    _, outgoing, incoming = stream_connection(run)
    run.check("the client's own address", run.unix_name(run.client.local_address(outgoing)), equals="(unnamed)")
    run.check("the client's peer", run.unix_name(run.client.peer_address(outgoing)), equals="s")
    run.check("the accepted socket's own address", run.unix_name(run.server.local_address(incoming)), equals="s")
    run.check("the accepted socket's peer", run.unix_name(run.server.peer_address(incoming)), equals="(unnamed)")


@behaviour("UNIX-NAME-010", seats=("client", "server"), families=FAMILIES)
def test_a_client_bound_to_a_path(run):
    path = run.unix_path("s")
    listener = run.server.unix_listen("stream", path)
    outgoing = run.client.unix_connect("stream", path, bind=run.unix_path("c"))
    incoming = run.server.unix_accept(listener)
    run.check("the client's own address", run.unix_name(run.client.local_address(outgoing)), equals="c")
    run.check("the accepted socket's peer", run.unix_name(run.server.peer_address(incoming)), equals="c")


@behaviour("UNIX-NAME-011", seats=("server",), families=FAMILIES)
def test_unlinking_a_listeners_path(run):
    _, outgoing, incoming = stream_connection(run)
    run.server.unix_unlink(run.unix_path("s"))
    run.check("what stat reports at the path after unix.unlink", file_type(run.unix_path("s")), equals=NOTHING)
    run.check("the connection made before still carries data",
              delivered(run.client, outgoing, run.server, incoming, b"still here"), equals=b"still here")


@behaviour("UNIX-NAME-012", seats=("client",), families=FAMILIES, isolation="unprivileged")
def test_connecting_needs_write_permission(run):
    path = run.unix_path("s")
    run.server.unix_listen("stream", path)
    os.chmod(path.path, 0o500)  # the owner may read and search, not write
    run.check("connect without write permission on the socket file (mode 0500)",
              run.outcome(run.client.unix_connect, "stream", path), equals="EACCES")
    os.chmod(path.path, 0o700)
    os.chmod(run.unix_dir, 0o600)  # no search permission on the directory
    try:
        run.check("connect without search permission on its directory",
                  run.outcome(run.client.unix_connect, "stream", path), equals="EACCES")
    finally:
        os.chmod(run.unix_dir, 0o700)
    run.check("connect with write permission (mode 0700)", run.outcome(run.client.unix_connect, "stream", path),
              equals="ok")


@behaviour("UNIX-NAME-013", seats=("client",), families=FAMILIES)
def test_unlinking_what_is_no_file(run):
    run.check("unix.unlink of a path where nothing is", run.outcome(run.client.unix_unlink, run.unix_path("missing")),
              equals="ENOENT")
    run.check("unix.unlink of an abstract name", run.outcome(run.client.unix_unlink, run.unix_abstract("a")),
              equals="EINVAL")


@behaviour("UNIX-NAME-014", echo="tcp", families=("unix",))
def test_a_stopped_server_removes_its_socket_file(run):
    address = run.echo.address
    if address.path is None:
        raise NotApplicable("the echo program serves an abstract name: it has no socket file")
    run.check("what stat reports at the server's path while it serves", file_type(address), equals="socket")
    run.echo.shut_down()
    run.check("what is at the server's path once it has stopped", file_type(address), equals="nothing")
