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
