"""Allure's environment and categories files, written beside the results."""

from __future__ import annotations

import json
import platform
from pathlib import Path

# Allure files a test into the first category that matches; "broken" is our error channel.
CATEGORIES = [
    # Before the mismatch category: a flaky case fails too, with "flaky over N repeats" in its message.
    {"name": "Flaky (grades differ across repeats, --sockspec-repeat)", "matchedStatuses": ["failed"],
     "messageRegex": "(?s).*flaky over \\d+ repeats.*"},
    {"name": "Behaviour mismatch (the target diverges from the reference)", "matchedStatuses": ["failed"]},
    {"name": "Adapter timeout (no answer within the operation's timeout + grace)", "matchedStatuses": ["broken"],
     "messageRegex": "(?s).*(did not answer|took over).*"},
    {"name": "Adapter crash (exited, killed, closed its output)", "matchedStatuses": ["broken"],
     "messageRegex": "(?s).*(exited with status|was killed by signal|closed its stdout|no longer usable).*"},
    {"name": "Adapter or harness fault (garbage, protocol error, build failure)", "matchedStatuses": ["broken"]},
    {"name": "Not applicable (feature missing on the target or host)", "matchedStatuses": ["skipped"],
     "messageRegex": "(?s).*not applicable.*"},
    {"name": "Skipped (toolchain or privilege missing)", "matchedStatuses": ["skipped"]},
]


def environment(targets: dict[str, dict]) -> dict[str, str]:
    env = {"os": f"{platform.system()} {platform.release()}", "kernel": platform.release(),
           "python": f"{platform.python_implementation()} {platform.python_version()}"}
    for label, info in targets.items():
        env[f"target.{label}"] = info.get("spec", "")
        env[f"target.{label}.implementation"] = info.get("adapter") or "not started"
    return env


def write(results_dir: str | Path, targets: dict[str, dict]) -> None:
    directory = Path(results_dir)
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={_escape(value)}" for key, value in environment(targets).items()]
    (directory / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / "categories.json").write_text(json.dumps(CATEGORIES, indent=2), encoding="utf-8")


def _escape(value: str) -> str:
    """A .properties value: backslashes and line breaks escaped, the rest as it is (UTF-8)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n")
