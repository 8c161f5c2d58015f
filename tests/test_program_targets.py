"""Program targets: echo servers started, checked, stopped; bad programs give one clear error."""

import sys
from pathlib import Path

import pytest

from tests.requirements import needs_debian_package
from tests.test_harness_end_to_end import leftover_processes, run_suite

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
REFERENCE_TCP = f"ref-tcp=tcp-echo:{PY} -m reference_impl.echo_server tcp --host {{host}} --port {{port}}"
REFERENCE_UDP = f"ref-udp=udp-echo:{PY} -m reference_impl.echo_server udp --host {{host}} --port {{port}}"
# The socat commands the README gives (socat needs TCP6-LISTEN and a bracketed bind for ::1).
SOCAT = [
    "socat=tcp-echo[ipv4]:socat TCP4-LISTEN:{port},bind={host},backlog=1024,reuseaddr,fork PIPE",
    "socat=tcp-echo[ipv6]:socat TCP6-LISTEN:{port},bind=[{host}],backlog=1024,reuseaddr,fork PIPE",
]
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
def test_socat_from_the_readme_passes(pytester):
    result = run_suite(pytester, *[arg for spec in SOCAT for arg in ("--target", spec)])
    assert program_behaviours(result) >= 2 * 12


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
