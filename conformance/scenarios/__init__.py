"""Scenario tests, one folder per area. Each test is the scenario of one catalogue behaviour."""

import importlib
import pkgutil


def load_all() -> None:
    """Import every scenario module, filling conformance.scenario.SCENARIOS."""
    for module in pkgutil.walk_packages(__path__, prefix=__name__ + "."):
        if module.name.rsplit(".", 1)[-1].startswith("test_"):
            importlib.import_module(module.name)
