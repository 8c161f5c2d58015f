"""The Allure HTML report, as one file that opens from file://.

Allure Report 3 (the npm package ``allure``, pinned with its lock file in ``reports/allure/``)
is installed once into sockspec's cache with ``npm ci`` and run on the results directory.
Without Node.js the report is not made, and the caller says so in one line: the
compliance report does not depend on it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from fixtures.builtin_adapters import cache_root

PACKAGE = Path(__file__).resolve().parent / "allure"
INSTALL_TIMEOUT = 600.0
GENERATE_TIMEOUT = 300.0


class AllureUnavailable(Exception):
    """Allure HTML cannot be made here; the message says why, in one line."""


def generate(results_dir: str | Path, output_dir: str | Path, name: str = "sockspec conformance") -> Path:
    """Render ``results_dir`` into ``output_dir/index.html``; returns that path."""
    results = Path(results_dir)
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise AllureUnavailable(f"Allure HTML not made: no Allure results in {results}")
    cli = _installed_cli()
    out = Path(output_dir)
    config = json.loads((PACKAGE / "allurerc.json").read_text(encoding="utf-8"))
    config["name"] = name
    config["plugins"]["awesome"]["options"]["reportName"] = name
    with tempfile.TemporaryDirectory(prefix="sockspec-allure-") as scratch:
        rc = Path(scratch) / "allurerc.json"
        rc.write_text(json.dumps(config), encoding="utf-8")
        staged = Path(scratch) / "report"
        _run([*cli, "generate", str(results.resolve()), "--config", str(rc), "--output", str(staged)],
             GENERATE_TIMEOUT, "generating the Allure report", cwd=scratch)
        if not (staged / "index.html").exists():
            raise AllureUnavailable("Allure HTML not made: allure generate left no index.html")
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(staged, out)
    return out / "index.html"


def _installed_cli() -> list[str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise AllureUnavailable("Allure HTML not made: Node.js and npm are needed for Allure Report 3 "
                                "(Debian: apt-get install nodejs npm)")
    lock = (PACKAGE / "package-lock.json").read_bytes()
    home = cache_root() / f"allure-{hashlib.sha256(lock).hexdigest()[:16]}"
    entry = home / "node_modules" / "allure" / "cli.js"
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f"{home.name}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # xdist workers and parallel runs install once
        if not entry.exists():
            home.mkdir(parents=True, exist_ok=True)
            for name in ("package.json", "package-lock.json"):
                shutil.copy2(PACKAGE / name, home / name)
            _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], INSTALL_TIMEOUT,
                 "installing Allure Report with npm ci", cwd=home)
    if not entry.exists():
        raise AllureUnavailable(f"Allure HTML not made: npm ci left no {entry}")
    return [node, str(entry)]


def _run(argv: list[str], timeout: float, doing: str, cwd: str | Path) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, env=_quiet_env())
    except subprocess.TimeoutExpired:
        raise AllureUnavailable(f"Allure HTML not made: {doing} took over {timeout:g} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise AllureUnavailable(f"Allure HTML not made: {doing} failed (status {done.returncode}): {last}")


def _quiet_env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1"}
