"""Allure's environment and categories files, written beside the results."""

from __future__ import annotations

import json
import platform
from pathlib import Path

CATEGORIES = [
    {"name": "Behaviour violations (the target diverges from the rule)", "matchedStatuses": ["failed"]},
    {"name": "Adapter or harness faults (crash, hang, garbage, protocol error)", "matchedStatuses": ["broken"]},
    {"name": "Not applicable (feature missing on the target or host)", "matchedStatuses": ["skipped"],
     "messageRegex": ".*not applicable.*"},
    {"name": "Skipped (toolchain or privilege missing)", "matchedStatuses": ["skipped"]},
]


def write(results_dir: str | Path, targets: dict[str, dict]) -> None:
    directory = Path(results_dir)
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"host={platform.platform()}", f"python={platform.python_version()}"]
    for label, info in targets.items():
        lines.append(f"target.{label}={info.get('spec', '')} — {info.get('adapter') or 'not started'}")
    (directory / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / "categories.json").write_text(json.dumps(CATEGORIES, indent=2), encoding="utf-8")
