"""Baselines: per target, the divergences its maintainers know about and accept for now.

One TOML file per target label (``baselines/<label>.toml``)::

    [[known]]
    behaviour = "TCP-PASSIVE-004"
    reason = "Go's net.Listen sets SO_REUSEADDR on every listener"
    link = "https://…"          # optional: the library's documentation or source
    os = "linux"                # optional: holds only on this OS (platform.system(), lower case)
    kernel = ">=5.10,<6.2"      # optional: holds only on kernel releases in this range (PEP 440)

An entry that does not hold on this platform is ignored here, so one file serves every CI
machine of a project.
"""

from __future__ import annotations

import platform
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from conformance import catalogue

_FIELDS = ("behaviour", "reason", "link", "os", "kernel")


class BaselineError(ValueError):
    """A baseline file that cannot be read as one."""


@dataclass(frozen=True)
class Platform:
    os: str
    kernel: str  # the numeric part of the release, e.g. "6.1.0" of "6.1.0-18-amd64"

    @classmethod
    def here(cls) -> "Platform":
        match = re.match(r"\d+(\.\d+)*", platform.release())
        return cls(platform.system().lower(), match.group(0) if match else "0")


@dataclass(frozen=True)
class KnownDivergence:
    behaviour: str
    reason: str
    link: str = ""
    os: str = ""
    kernel: str = ""

    def holds_on(self, where: Platform) -> bool:
        if self.os and self.os.lower() != where.os:
            return False
        return not self.kernel or SpecifierSet(self.kernel).contains(where.kernel, prereleases=True)

    def condition(self) -> str:
        parts = [f"os {self.os}" if self.os else "", f"kernel {self.kernel}" if self.kernel else ""]
        return " and ".join(p for p in parts if p)


def path_for(directory: str | Path, label: str) -> Path:
    return Path(directory) / f"{label}.toml"


def load(path: str | Path) -> list[KnownDivergence]:
    """The entries of one baseline file; a missing file is an empty baseline."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not valid TOML: {exc}") from None
    unknown_tables = set(data) - {"known"}
    if unknown_tables:
        raise BaselineError(f"{path}: unknown key(s) {', '.join(sorted(unknown_tables))}; entries go in [[known]]")
    entries = [_entry(raw, path, n) for n, raw in enumerate(data.get("known", []), start=1)]
    seen: set[str] = set()
    for entry in entries:
        if entry.behaviour in seen:
            raise BaselineError(f"{path}: {entry.behaviour} is listed twice")
        seen.add(entry.behaviour)
    return entries


def _entry(raw: object, path: Path, n: int) -> KnownDivergence:
    where = f"{path}: entry {n}"
    if not isinstance(raw, dict):
        raise BaselineError(f"{where}: expected a table")
    unknown = set(raw) - set(_FIELDS)
    if unknown:
        raise BaselineError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(_FIELDS)}")
    for field in _FIELDS:
        if field in raw and not isinstance(raw[field], str):
            raise BaselineError(f"{where}: {field} must be a string")
    if not raw.get("behaviour") or not raw.get("reason", "").strip():
        raise BaselineError(f"{where}: behaviour and a non-empty reason are required")
    if raw["behaviour"] not in catalogue.load():
        raise BaselineError(f"{where}: {raw['behaviour']} is not in the catalogue (see `sockspec list`)")
    if raw.get("kernel"):
        try:
            SpecifierSet(raw["kernel"])
        except InvalidSpecifier:
            raise BaselineError(f"{where}: kernel {raw['kernel']!r} is not a version range such as '>=5.10'") from None
    return KnownDivergence(**raw)


def load_for(directory: str | Path, labels: list[str]) -> dict[str, list[KnownDivergence]]:
    return {label: load(path_for(directory, label)) for label in labels}


def render(label: str, entries: list[KnownDivergence]) -> str:
    lines = [f"# Known divergences of target {label!r}: the CI gate accepts these failures, and only these.",
             "# Each needs a reason; an entry that passes again fails the gate until it is removed.", ""]
    for entry in sorted(entries, key=lambda e: e.behaviour):
        lines.append("[[known]]")
        for field in _FIELDS:
            value = getattr(entry, field)
            if value:
                lines.append(f"{field} = {_toml_string(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def updated(existing: list[KnownDivergence], failing: dict[str, str], passing: set[str],
            where: Platform) -> list[KnownDivergence]:
    """The baseline after a run: entries still failing keep their reasons, new failures are added
    with what was observed (for a human to explain), entries that hold here and now pass are
    dropped; entries the run did not check, or for other platforms, are kept as they are."""
    kept = [e for e in existing if not (e.holds_on(where) and e.behaviour in passing)]
    listed = {e.behaviour for e in kept}
    added = [KnownDivergence(b, f"observed: {detail}") for b, detail in sorted(failing.items()) if b not in listed]
    return kept + added
