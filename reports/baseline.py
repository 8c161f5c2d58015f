"""Baselines: per target, the divergences its maintainers know about and accept for now.

One TOML file per target label (``baselines/<label>.toml``)::

    [[known]]
    behaviour = "TCP-PASSIVE-004"
    reason = "Go's net.Listen sets SO_REUSEADDR on every listener"
    link = "https://…"          # optional: an http(s) URL, e.g. the upstream issue; shown in every report
    flaky = true                # optional: the behaviour is known to be flaky; the gate accepts a flaky verdict
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
from urllib.parse import urlsplit

import tomlkit
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from tomlkit.items import Comment, Whitespace

from conformance import catalogue

_FIELDS = ("behaviour", "reason", "link", "os", "kernel", "version", "flaky")
_FLAGS = ("flaky",)  # booleans; every other field is a string
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
    flaky: bool = False

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
        kind, name = (bool, "true or false") if field in _FLAGS else (str, "a string")
        if field in raw and not isinstance(raw[field], kind):
            raise BaselineError(f"{where}: {field} must be {name}")
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
    if raw.get("link") and not is_web_url(raw["link"]):
        raise BaselineError(f"{where}: link {raw['link']!r} is not an http(s) URL")
    return KnownDivergence(**raw)


def is_web_url(text: str) -> bool:
    """An absolute http or https URL with a host, nothing that would break out of an href."""
    if any(c.isspace() or c in "<>\"'`" or ord(c) < 0x20 for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def load_for(directory: str | Path, labels: list[str]) -> dict[str, list[KnownDivergence]]:
    return {label: load(path_for(directory, label)) for label in labels}


HEADER = ("Known divergences of target {label!r}: the CI gate accepts these failures, and only these.",
          "Each needs a reason; an entry that passes again fails the gate until it is removed.")


def render(label: str, entries: list[KnownDivergence], existing: str | None = None) -> str:
    """The baseline file holding ``entries``. Given the file's current text, entries still
    listed stay exactly as written (comments, order, formatting), entries dropped go with the
    comment lines just above them, and new entries are appended."""
    document = tomlkit.parse(existing) if existing and existing.strip() else _new_document(label)
    wanted = {entry.behaviour: entry for entry in entries}
    if "known" not in document:
        document.append("known", tomlkit.aot())
    known = document["known"]
    tables = list(known)
    preambles = [[]] + [_take_trailing_trivia(table) for table in tables[:-1]]  # comments above each entry
    for n in reversed(range(len(tables))):
        if tables[n].get("behaviour") not in wanted:
            del known[n]
    kept = [preamble for table, preamble in zip(tables, preambles) if table.get("behaviour") in wanted]
    for n, preamble in enumerate(kept[1:]):  # the comments that stood above an entry go back above it
        known[n].value.body.extend(preamble)
    present = {table["behaviour"] for table in known}
    if not len(known):
        del document["known"]
    text = tomlkit.dumps(document)
    for behaviour, entry in sorted(wanted.items()):  # new entries, one blank line apart
        if behaviour not in present:
            text = text.rstrip("\n") + "\n\n" + tomlkit.dumps({"known": [_fields(entry)]})
    return text


def _new_document(label: str) -> tomlkit.TOMLDocument:
    document = tomlkit.document()
    for line in HEADER:
        document.add(tomlkit.comment(line.format(label=label)))
    document.add(tomlkit.nl())
    return document


def _fields(entry: KnownDivergence) -> dict:
    """The fields an entry sets, in the documented order (tomlkit escapes quotes, backslashes
    and control characters when it writes them)."""
    return {field: getattr(entry, field) for field in _FIELDS if getattr(entry, field)}


def _take_trailing_trivia(table) -> list:
    """Remove and return the comment and blank lines at the end of a table: in the file they
    stand above the next [[known]] header, so they belong to the next entry."""
    body = table.value.body
    cut = len(body)
    while cut and body[cut - 1][0] is None and isinstance(body[cut - 1][1], (Comment, Whitespace)):
        cut -= 1
    trivia = body[cut:]
    del body[cut:]
    return trivia


def updated(existing: list[KnownDivergence], failing: dict[str, str], passing: set[str],
            where: Platform, target_version: str = "") -> list[KnownDivergence]:
    """The baseline after a run: entries still failing keep their reasons, new failures are added
    with what was observed (for a human to explain), entries that hold here and now pass are
    dropped; entries the run did not check, or for other platforms, are kept as they are."""
    # A flaky behaviour that passed once proves nothing: its entry stays.
    kept = [e for e in existing if e.flaky or not (e.holds_on(where, target_version) and e.behaviour in passing)]
    listed = {e.behaviour for e in kept}
    added = [KnownDivergence(b, f"observed: {detail}", flaky=detail.startswith("flaky"))
             for b, detail in sorted(failing.items()) if b not in listed]
    return kept + added
