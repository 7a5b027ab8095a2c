"""Layering rules: the pure core never imports Telegram or the ORM."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "bot"
FORBIDDEN = ("telegram", "sqlmodel", "sqlalchemy", "bot.handlers", "bot.storage", "bot.app",
             "bot.models", "bot.db")
CORE = [
    *sorted((ROOT / "triage").glob("*.py")),
    ROOT / "emergency.py",
    ROOT / "callback_data.py",
    *[p for p in (ROOT / "reminders" / "timemath.py", ROOT / "diary" / "parser.py",
                  ROOT / "diary" / "stats.py", ROOT / "content" / "__init__.py") if p.exists()],
]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_has_no_telegram_or_orm_import(path: Path) -> None:
    bad = {name for name in _imports(path) if name.split(".")[0] in FORBIDDEN or name.startswith(FORBIDDEN)}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_every_handler_module_is_registered() -> None:
    from bot import handlers

    modules = {p.stem for p in (ROOT / "handlers").glob("*.py")} - {"__init__", "common"}
    registered = {m.__name__.rsplit(".", 1)[1] for m in handlers.FEATURES}
    registered |= {"tracking", "fallback", "errors"}
    assert modules <= registered, f"not registered: {sorted(modules - registered)}"


def test_every_module_has_a_docstring() -> None:
    missing = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py") if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing, f"modules without a docstring: {missing}"
