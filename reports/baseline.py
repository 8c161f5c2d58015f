"""Baselines: per target, the divergences its maintainers know about and accept for now.

One TOML file per target label (``baselines/<label>.toml``)::

    [[known]]
    behaviour = "TCP-PASSIVE-004"
    reason = "Go's net.Listen sets SO_REUSEADDR on every listener"
    link = "https://…"          # optional: the library's documentation or source
    os = "linux"                # optional: holds only on this OS (platform.system(), lower case)
    kernel = ">=5.10,<6.2"      # optional: holds only on kernel releases in this range (PEP 440)
    version = "<3.13"           # optional: holds only for these versions of the target (from hello)

An entry that does not hold on this platform, or for this version of the target, is
ignored there, so one file serves every CI machine and every runtime a project tests on.
"""

from __future__ import annotations

import platform
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from conformance import catalogue

_FIELDS = ("behaviour", "reason", "link", "os", "kernel", "version")
_RANGES = ("kernel", "version")


class BaselineError(ValueError):
    """A baseline file that cannot be read as one."""


def numeric_version(text: str) -> str:
    """The first dotted number in a version string: "6.1.0" of "6.1.0-18-amd64", "1.26.8" of
    "go1.26.8", "3.11.7" of "asyncio (CPython 3.11.7)"; "" if there is none."""
    match = re.search(r"\d+(\.\d+)*", text or "")
    return match.group(0) if match else ""


@dataclass(frozen=True)
class Platform:
    os: str
    kernel: str  # the numeric part of the release, e.g. "6.1.0" of "6.1.0-18-amd64"

    @classmethod
    def here(cls) -> "Platform":
        return cls(platform.system().lower(), numeric_version(platform.release()) or "0")


@dataclass(frozen=True)
class KnownDivergence:
    behaviour: str
    reason: str
    link: str = ""
    os: str = ""
    kernel: str = ""
    version: str = ""

    def holds_on(self, where: Platform, target_version: str = "") -> bool:
        """Whether the entry applies on this platform, to a target reporting ``target_version``
        in its hello (an entry with a version range never holds for an unknown version)."""
        if self.os and self.os.lower() != where.os:
            return False
        if self.kernel and not SpecifierSet(self.kernel).contains(where.kernel, prereleases=True):
            return False
        if self.version:
            version = numeric_version(target_version)
            return bool(version) and SpecifierSet(self.version).contains(version, prereleases=True)
        return True


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
    for field in _RANGES:
        if raw.get(field):
            try:
                SpecifierSet(raw[field])
            except InvalidSpecifier:
                raise BaselineError(f"{where}: {field} {raw[field]!r} is not a version range such as '>=5.10'") from None
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
            where: Platform, target_version: str = "") -> list[KnownDivergence]:
    """The baseline after a run: entries still failing keep their reasons, new failures are added
    with what was observed (for a human to explain), entries that hold here and now pass are
    dropped; entries the run did not check, or for other platforms, are kept as they are."""
    kept = [e for e in existing if not (e.holds_on(where, target_version) and e.behaviour in passing)]
    listed = {e.behaviour for e in kept}
    added = [KnownDivergence(b, f"observed: {detail}") for b, detail in sorted(failing.items()) if b not in listed]
    return kept + added
