"""The guide's smallest complete adapter (docs/examples/minimal_adapter.py) keeps its word:
every behaviour it declares features for passes, the rest is not applicable."""

import sys
from pathlib import Path

from tests.test_harness_end_to_end import run_suite

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "minimal_adapter.py"


def test_minimal_adapter_passes_what_it_declares(pytester):
    result = run_suite(pytester, "-n", "2", "--target", f"mini=cmd:{sys.executable} {EXAMPLE}",
                       "--behaviour", "ADAPTER", "--behaviour", "TCP-STREAM", "--behaviour", "TCP-PASSIVE")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 40 and outcomes.get("inapplicable", 0) > 0, outcomes
    assert "failed" not in outcomes and "errors" not in outcomes, result.stdout.str()[-3000:]


def test_minimal_adapter_checks_types_and_ranges():
    """Protocol 1.3 §2.1: the wrong JSON type is BADREQUEST, a value no socket takes is EINVAL."""
    import json
    import subprocess

    requests = [
        ("hello", {"protocol": "1.4"}, "ok"),
        ("tcp.listen", {"family": "ipv4", "host": "127.0.0.1", "port": 5.0}, "BADREQUEST"),
        ("tcp.listen", {"family": "ipv4", "host": "127.0.0.1", "port": "5"}, "BADREQUEST"),
        ("tcp.listen", {"family": "ipv4", "host": "127.0.0.1", "port": 70000}, "EINVAL"),
        ("tcp.listen", {"family": "ipv4", "host": "127.0.0.1", "port": -1}, "EINVAL"),
        ("tcp.listen", {"family": "ipv4", "host": "localhost", "port": 0}, "EINVAL"),
        ("tcp.listen", {"family": "ipv4", "host": "::1", "port": 0}, "EINVAL"),
        ("tcp.connect", {"family": "ipv4", "host": "127.0.0.1", "port": 9, "timeout": -1}, "BADREQUEST"),
        ("tcp.listen", {"family": "ipv4", "host": "127.0.0.1", "port": 0}, "ok"),
        ("stream.recv", {"handle": 1, "max": 0}, "BADREQUEST"),  # never zero bytes: those mean end of stream
    ]
    lines = "".join(json.dumps({"id": i, "op": op, "args": args}) + "\n" for i, (op, args, _) in enumerate(requests))
    done = subprocess.run([sys.executable, str(EXAMPLE)], input=lines, capture_output=True, text=True, timeout=30)
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    codes = ["ok" if a["ok"] else a["error"]["code"] for a in answers]
    hello = answers[0]["result"]
    assert hello["protocol"] == "1.4"
    assert codes == [expected for _, _, expected in requests], codes
