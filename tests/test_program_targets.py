"""Program targets: echo servers started, checked, stopped; bad programs give one clear error."""

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from fixtures.endpoint import Addr
from fixtures.host import connection_states, listening
from tests.requirements import needs_debian_package
from tests.test_harness_end_to_end import leftover_processes, run_suite

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
REFERENCE_TCP = f"ref-tcp=tcp-echo:{PY} -m reference_impl.echo_server tcp --host {{host}} --port {{port}}"
REFERENCE_UDP = f"ref-udp=udp-echo:{PY} -m reference_impl.echo_server udp --host {{host}} --port {{port}}"
# Unix-domain echo programs (protocol 1.4): a socket file the suite places, or an abstract name.
REFERENCE_UNIX = [f"ref-unix=unix-echo:{PY} -m reference_impl.echo_server unix --path {{path}}",
                  f"ref-abstract=unix-echo:{PY} -m reference_impl.echo_server unix --name {{name}}",
                  f"ref-unixgram=unixgram-echo:{PY} -m reference_impl.echo_server unixgram --path {{path}}"]
# The README's socat examples for Unix-domain sockets.
SOCAT_UNIX = ["socat-unix=unix-echo:socat UNIX-LISTEN:{path},backlog=1024,fork PIPE",
              "socat-abstract=unix-echo:socat ABSTRACT-LISTEN:{name},backlog=1024,fork PIPE",
              "socat-unixgram=unixgram-echo:socat UNIX-RECVFROM:{path},fork PIPE"]
# The socat commands the README gives (socat needs TCP6-LISTEN and a bracketed bind for ::1).
SOCAT = [
    "socat=tcp-echo[ipv4]:socat TCP4-LISTEN:{port},bind={host},backlog=1024,reuseaddr,fork PIPE",
    "socat=tcp-echo[ipv6]:socat TCP6-LISTEN:{port},bind=[{host}],backlog=1024,reuseaddr,fork PIPE",
]

# A server from Debian on the IPv6 wildcard in dual stack, given as an IPv4 target: the host's
# socket table names its IPv4 connections in IPv4-mapped form ([::ffff:127.0.0.1]:P). The
# wildcard listener is acceptable here: the suite connects to it only over loopback (127.0.0.1),
# and it lives only as long as the test.
DUAL_STACK_SOCAT = "socat-dual=tcp-echo[ipv4]:socat TCP6-LISTEN:{port},ipv6only=0,backlog=1024,reuseaddr,fork PIPE"
FRAGILE = f"{PY} {ROOT / 'tests/faulty/programs/fragile_echo.py'}"
# Programs are seen listening, and their sessions checked, in the host's socket table (ss).
pytestmark = needs_debian_package("iproute2")


def program_behaviours(result):
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and "errors" not in outcomes, outcomes
    return outcomes.get("passed", 0)


def test_reference_echo_servers_pass_every_program_behaviour_and_leave_nothing(pytester):
    result = run_suite(pytester, "-n", "2", "--target", REFERENCE_TCP, "--target", REFERENCE_UDP)
    assert program_behaviours(result) >= 2 * 15
    assert leftover_processes("reference_impl.echo_server") == []


@needs_debian_package("socat")
def test_socat_from_the_readme_passes_all_but_the_large_owed_echo(pytester):
    """As the README says: every session and stream behaviour but TCP-SESSION-013, where
    socat often (not always: it depends on timing) stops short of the 8 MiB echo owed at the
    client's half-close; that one is left out here, since its verdict varies from run to run."""
    socat = [arg for spec in SOCAT for arg in ("--target", spec)]
    result = run_suite(pytester, *socat, "--exclude", "TCP-SESSION-013")
    assert program_behaviours(result) >= 2 * 12


@needs_debian_package("socat")
def test_dual_stack_server_passes_over_ipv4(pytester):
    """Its IPv4 sessions are recognised in the socket table in IPv4-mapped form: the behaviours
    that read the table (TCP-SESSION-008 found none of its sessions, so nothing kept; 012 failed
    with "8 none") and one that does not."""
    result = run_suite(pytester, "--target", DUAL_STACK_SOCAT,
                       *[arg for b in ("TCP-SESSION-001", "TCP-SESSION-008", "TCP-SESSION-012")
                         for arg in ("--behaviour", b)])
    assert program_behaviours(result) == 3


def test_socket_table_addresses_are_compared_in_one_spelling():
    """A dual-stack listener's IPv4 connection, read from ss, is the 127.0.0.1 connection."""
    import socket
    with socket.socket(socket.AF_INET6) as listener:
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(("::", 0))  # the wildcard, for this test only; only loopback connects
        listener.listen()
        port = listener.getsockname()[1]
        assert listening("tcp", Addr("127.0.0.1", port)) and listening("tcp", Addr("::1", port))
        with socket.create_connection(("127.0.0.1", port)) as client:
            served, _ = listener.accept()
            with served:
                local, peer = Addr("127.0.0.1", port), Addr("127.0.0.1", client.getsockname()[1])
                assert connection_states(local, peer) == ["ESTAB"]
                assert connection_states(Addr("::ffff:127.0.0.1", port), peer) == ["ESTAB"]
    with socket.socket(socket.AF_INET6) as v6only:
        v6only.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        v6only.bind(("::1", 0))
        v6only.listen()
        port = v6only.getsockname()[1]
        assert listening("tcp", Addr("::1", port)) and not listening("tcp", Addr("127.0.0.1", port))


@pytest.mark.parametrize("mode, state", [
    ("stops-listening", "*it was no longer listening on tcp 127.0.0.1:P*"),
    ("exits", "*it had exited with status 1; its output:*fragile echo: giving up after 60 sessions*"),
    ("hangs", "*it was listening on tcp 127.0.0.1:P* but did not answer a new client within 2 s*"),
])
def test_program_a_case_leaves_broken_fails_that_case_and_is_restarted(pytester, mode, state):
    """One divergence, one failure: the program breaks during its 60th session (in
    TCP-SESSION-011's 100); that case fails with the broken state in its evidence, and the
    cases after it meet a restarted program and pass."""
    spec = f"fragile=tcp-echo[ipv4]:{FRAGILE} {mode} 60 --host {{host}} --port {{port}}"
    result = run_suite(pytester, "--behaviour", "TCP-SESSION-010", "--behaviour", "TCP-SESSION-011",
                       "--behaviour", "TCP-SESSION-012", "--target", spec)
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("failed"), outcomes.get("errors")) == (2, 1, None), outcomes
    result.stdout.fnmatch_lines(["*TCP-SESSION-011*", f"violated: the program after this case: got *{state}"])
    result.stdout.fnmatch_lines(["FAILED *test_sessions_one_after_another[[]fragile-ipv4-server[]]*"])
    assert leftover_processes("fragile_echo.py") == []


def test_program_that_exits_early_is_one_clear_error(pytester):
    result = run_suite(pytester, "--behaviour", "TCP-SESSION-001",
                       "--target", f"dies=tcp-echo:{PY} -c \"print('no such option'); raise SystemExit(2)\" {{port}}")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*program 'dies'*exited with status 2 before listening on*", "no such option"])


def test_program_that_never_listens_is_one_clear_error(pytester):
    result = run_suite(pytester, "--behaviour", "TCP-SESSION-001", "--program-start-timeout", "0.5",
                       "--target", f"mute=tcp-echo:{PY} -c \"import time; time.sleep(60)\" {{port}}")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*program 'mute'*did not listen on tcp*within 0.5 s*"])
    assert leftover_processes("time.sleep(60)") == []


def test_families_a_program_does_not_serve_are_not_applicable(pytester):
    result = run_suite(pytester, "--behaviour", "TCP-SESSION-001",
                       "--target", REFERENCE_TCP.replace("tcp-echo:", "tcp-echo[ipv4]:", 1))
    assert result.parseoutcomes() | {"deselected": 0} == {"passed": 1, "inapplicable": 1, "deselected": 0}
    result.stdout.fnmatch_lines(["*serves only ipv4*"])


def test_faulty_echo_program_fails_with_evidence(pytester):
    bad = f"bad=tcp-echo:{PY} {ROOT / 'tests/faulty/programs/bad_echo.py'} crosstalk --host {{host}} --port {{port}}"
    result = run_suite(pytester, "--behaviour", "TCP-SESSION-001", "--target", bad)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*TCP-SESSION-001*", "*first difference*"])


def test_a_slow_but_correct_echo_program_passes(pytester):
    """Slowness alone is not a divergence: 64 clients' echoes, 50 ms each, take 3.2 s, longer
    than one operation's timeout (3 s); each echo that comes whole gives the next its own."""
    slow = f"slow=tcp-echo[ipv4]:{PY} {ROOT / 'tests/faulty/programs/bad_echo.py'} slow --host {{host}} --port {{port}}"
    result = run_suite(pytester, "--behaviour", "TCP-SESSION-002", "--target", slow)
    assert result.parseoutcomes().get("passed") == 1, result.stdout.str()[-3000:]


# -- Unix-domain echo programs (unix-echo:, unixgram-echo:) --------------------------------------

@pytest.fixture
def private_tmp(pytester):
    """A temporary area of the nested run's own (TMPDIR), where its Unix-domain programs'
    directories are made: what is left there is that run's, whatever runs beside it. Short,
    as socket paths must be (fixtures.endpoint.unix_base_dir)."""
    area = Path(tempfile.mkdtemp(prefix="sockspec-t-", dir="/tmp"))
    pytester._monkeypatch.setenv("TMPDIR", str(area))
    yield area
    shutil.rmtree(area, ignore_errors=True)


def left_in(area) -> list[str]:
    return sorted(path.name for path in area.iterdir())


def test_reference_unix_echo_programs_pass_every_behaviour_and_leave_nothing(pytester, private_tmp):
    """Pathname and abstract stream servers and a datagram server, over the family "unix":
    every session, stream and datagram echo behaviour that holds for Unix-domain sockets, and
    UNIX-NAME-014 (the server removes its socket file when stopped; not applicable to an
    abstract name). No process, socket file or directory is left."""
    result = run_suite(pytester, "-n", "2", *[arg for spec in REFERENCE_UNIX for arg in ("--target", spec)])
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and "errors" not in outcomes, outcomes
    assert (outcomes.get("passed"), outcomes.get("inapplicable")) == (2 * 17 + 6, 1), outcomes
    result.stdout.fnmatch_lines(["*abstract name: it has no socket file*"])
    assert leftover_processes("reference_impl.echo_server") == []
    assert left_in(private_tmp) == []


@needs_debian_package("socat")
def test_socat_unix_from_the_readme(pytester):
    """As the README says: socat's Unix-domain stream servers (pathname and abstract) pass
    every behaviour; its datagram server never answers an empty datagram and answers only
    some of each client's interleaved datagrams (UDP-DGRAM-024, 025), as over UDP."""
    result = run_suite(pytester, *[arg for spec in SOCAT_UNIX for arg in ("--target", spec)])
    failed = {line.split(" ")[1] for line in result.stdout.lines if line.startswith("FAILED ")}
    assert {test.split("[")[1] for test in failed} == {"socat-unixgram-unix-server]"}, result.stdout.str()[-3000:]
    tests = {test.split("::")[1].split("[")[0] for test in failed}
    always = {"test_many_clients_at_once_each_get_their_own", "test_an_empty_datagram_does_not_end_the_service"}
    # Under load its fork-per-datagram server now and then misses one of UDP-DGRAM-026's 300
    # clients too (in one CI run of several at -n 4): socat's, not a fault of this test.
    assert always <= tests <= always | {"test_clients_one_after_another_are_each_answered"}, tests


def test_faulty_unix_echo_program_fails_with_evidence(pytester):
    bad = f"bad=unix-echo:{PY} {ROOT / 'tests/faulty/programs/bad_echo.py'} crosstalk --path {{path}}"
    result = run_suite(pytester, "--behaviour", "TCP-SESSION-001", "--target", bad)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*TCP-SESSION-001*", "*first difference*", "*got client 0's bytes*"])


def test_unix_program_that_never_listens_is_one_clear_error(pytester, private_tmp):
    result = run_suite(pytester, "--behaviour", "TCP-SESSION-001", "--program-start-timeout", "0.5",
                       "--target", f"mute=unix-echo:{PY} -c \"import time; time.sleep(60)\" {{path}}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*program 'mute'*did not listen on unix stream*within 0.5 s*"])
    assert leftover_processes("time.sleep(60)") == []
    assert left_in(private_tmp) == []


@needs_debian_package("iputils-ping", "util-linux")  # util-linux: unshare, for the namespace
def test_iputils_ping_from_the_readme_passes(pytester):
    result = run_suite(pytester, "--behaviour", "ICMP-PING", "--target", "ping:ping -c {count} {host}")
    outcomes = result.parseoutcomes()
    if outcomes.get("inapplicable"):
        pytest.skip("this host cannot make network namespaces")
    assert outcomes == {"passed": 10, "deselected": outcomes.get("deselected", 0)}, outcomes


def test_faulty_pinger_fails_with_evidence(pytester):
    bad = f"bad=ping:{PY} {ROOT / 'tests/faulty/programs/bad_ping.py'} skips {{host}} {{count}}"
    result = run_suite(pytester, "--behaviour", "ICMP-PING-003", "--target", bad)
    if result.parseoutcomes().get("inapplicable"):
        pytest.skip("this host cannot make network namespaces")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*ICMP-PING-003*steps between consecutive sequence numbers*"])
