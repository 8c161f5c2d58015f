"""Write a run's JSON summary and HTML matrix into a directory."""

from __future__ import annotations

import json
from pathlib import Path

from . import compliance_html, summary


def write_reports(directory: str | Path, results: list[dict], targets: dict[str, dict]) -> list[Path]:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    data = summary.build(results, targets)
    json_path, html_path = out / "summary.json", out / "compliance.html"
    json_path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    html_path.write_text(compliance_html.render(data), encoding="utf-8")
    return [json_path, html_path]
