#!/usr/bin/env python3
"""Set-up and run in one step, on a fresh machine with only Python 3.11+.

    python3 dev.py            start the bot (SQLite by default; explains what to do without a token)
    python3 dev.py test       run the whole test suite
    python3 dev.py console    chat with the bot in this terminal, no token needed
    python3 dev.py migrate    apply database migrations (the deploy step on PostgreSQL)
    python3 dev.py lint       ruff on everything, mypy (strict) on the pure core

The first run creates a project-local virtual environment in .venv and installs the
project with its pinned dependencies; later runs reinstall only when pyproject.toml changes.
Any other arguments are passed on (to pytest for ``test``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-pyproject-sha256"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (dev.py may be started by any python3)
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    print("Installing Cramp Companion and its dependencies into .venv ...", flush=True)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-e", f"{ROOT}[dev]"],
        check=True, cwd=ROOT,
    )
    STAMP.write_text(digest)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("run", [])
    _ensure_environment()
    os.chdir(ROOT)
    if command == "test":
        # pytest exits 5 when it collected no tests: that is a failure here too.
        code = subprocess.call([str(PYTHON), "-m", "pytest", *rest])
        if code == 5:
            print("No tests ran: treating that as a failure.", file=sys.stderr)
        return code
    if command == "lint":
        ruff = subprocess.call([str(BIN / "ruff"), "check", ".", *rest])
        mypy = subprocess.call([str(PYTHON), "-m", "mypy"])  # the pure core, see pyproject
        return ruff or mypy
    if command in ("run", "console", "migrate", "webhook"):
        return subprocess.call([str(PYTHON), "-m", "bot", command, *rest])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
