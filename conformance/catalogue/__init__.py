"""The behaviour catalogue: every check's stable ID, rule, source, level and needs.

The catalogue is data (one TOML file per area, beside this module). Allure labels, the
docs table, ``sockspec list`` and the HTML matrix are all generated from it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEVELS = ("MUST", "SHOULD", "MAY")
_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Area:
    name: str  # e.g. "stream"
    prefix: str  # ID prefix, e.g. "TCP-STREAM"
    title: str  # human title of the area
    kind: str  # the socket kind it belongs to, e.g. "Stream sockets (TCP)"


@dataclass(frozen=True)
class Behaviour:
    id: str
    title: str
    rule: str
    source: str
    level: str
    area: Area
    needs: tuple[str, ...] = ()
    link: str = ""


class CatalogueError(ValueError):
    pass


@lru_cache(maxsize=None)
def load() -> dict[str, Behaviour]:
    """All behaviours by ID, in catalogue order."""
    behaviours: dict[str, Behaviour] = {}
    for path in sorted(_HERE.glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        area = Area(**data["area"])
        for raw in data.get("behaviour", []):
            behaviour = _behaviour(raw, area, path)
            if behaviour.id in behaviours:
                raise CatalogueError(f"{path.name}: duplicate behaviour ID {behaviour.id}")
            behaviours[behaviour.id] = behaviour
    return behaviours


def _behaviour(raw: dict, area: Area, path: Path) -> Behaviour:
    try:
        behaviour = Behaviour(
            id=raw["id"], title=raw["title"], rule=raw["rule"], source=raw["source"], level=raw["level"],
            area=area, needs=tuple(raw.get("needs", ())), link=raw.get("link", ""),
        )
    except KeyError as exc:
        raise CatalogueError(f"{path.name}: behaviour {raw.get('id', '?')} lacks {exc}") from None
    if behaviour.level not in LEVELS:
        raise CatalogueError(f"{path.name}: {behaviour.id} has level {behaviour.level!r}, not one of {LEVELS}")
    if not behaviour.id.startswith(area.prefix + "-"):
        raise CatalogueError(f"{path.name}: {behaviour.id} does not start with the area prefix {area.prefix}")
    return behaviour


def get(behaviour_id: str) -> Behaviour:
    try:
        return load()[behaviour_id]
    except KeyError:
        raise CatalogueError(f"unknown behaviour ID {behaviour_id!r}; see `sockspec list`") from None


def select(prefixes: list[str] | tuple[str, ...]) -> list[Behaviour]:
    """Behaviours whose ID starts with any of ``prefixes`` (all of them if none given)."""
    wanted = [p.upper() for p in prefixes]
    return [b for b in load().values() if not wanted or any(b.id.startswith(p) for p in wanted)]
