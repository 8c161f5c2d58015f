"""Write a run's reports into a directory: summary.json, compliance.html, junit.xml, and the
single-file Allure HTML when Allure results are at hand."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import compliance_html, junit, summary

SUMMARY, HTML, JUNIT, ALLURE_DIR = "summary.json", "compliance.html", "junit.xml", "allure"


@dataclass
class Written:
    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line each: what could not be made, and why


def write_reports(directory: str | Path, results: list[dict], targets: dict[str, dict],
                  alluredir: str | Path | None = None) -> Written:
    return write_from_summary(directory, summary.build(results, targets), alluredir)


def write_from_summary(directory: str | Path, data: dict, alluredir: str | Path | None = None) -> Written:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = Written()
    for name, text in ((SUMMARY, json.dumps(data, indent=1)), (HTML, compliance_html.render(data)),
                       (JUNIT, junit.render(data))):
        (out / name).write_text(text, encoding="utf-8")
        written.paths.append(out / name)
    if alluredir:
        from .allure_html import AllureUnavailable, generate
        try:
            written.paths.append(generate(alluredir, out / ALLURE_DIR))
        except AllureUnavailable as exc:
            written.notes.append(str(exc))
    return written


def load_summary(path: str | Path) -> dict:
    """A summary.json, given itself or its directory."""
    path = Path(path)
    if path.is_dir():
        path = path / SUMMARY
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file (a report directory holds {SUMMARY})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a sockspec summary: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != summary.SCHEMA or "matrix" not in data:
        raise ValueError(f"{path}: not a sockspec summary of schema {summary.SCHEMA}")
    return data

