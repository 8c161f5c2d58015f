"""Without privilege the suite still runs: checks that need it are reported not applicable."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.privilege import DROP_ALL_CAPABILITIES, can_drop_privilege
from tests.requirements import SHIPPED_ADAPTER_PACKAGES, needs_debian_package, require_debian_packages

ROOT = Path(__file__).resolve().parent.parent

# setpriv drops the capabilities; ss reads the socket table TCP-TEARDOWN-012 checks.
pytestmark = needs_debian_package("util-linux", "iproute2")


@pytest.mark.parametrize("target", ["reference", "c"])
def test_suite_without_capabilities_reports_skips_not_failures(tmp_path, target):
    require_debian_packages(*SHIPPED_ADAPTER_PACKAGES.get(target, ()))
    if not can_drop_privilege():
        pytest.skip("setpriv cannot drop capabilities here (a container without CAP_SETPCAP)")
    # uid 0 kept (the interpreter may live in root's home), every capability dropped for good.
    result = subprocess.run(
        [*DROP_ALL_CAPABILITIES, sys.executable, "-m", "pytest", str(ROOT / "conformance"), "-p", "no:cacheprovider",
         "--behaviour", "TCP-TEARDOWN-01", "--behaviour", "ICMP", "--target", target,
         "--sockspec-report", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(tmp_path),
             "SOCKSPEC_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "packet capture on lo (AF_PACKET, needs CAP_NET_RAW)" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["targets"][target]["status"] == "ran"
    for behaviour in ("TCP-TEARDOWN-018", "TCP-TEARDOWN-019", *(f"ICMP-ECHO-{n:03d}" for n in range(1, 17))):
        assert summary["matrix"][behaviour] == {target: "not-applicable"}, behaviour
    assert summary["matrix"]["TCP-TEARDOWN-012"] == {target: "pass"}
    assert not any(r["grade"] in ("fail", "error") for r in summary["results"])
