"""Settings: defaults, validation messages, and the token staying secret."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, Settings, SettingsError, load_settings
from bot.logging_setup import RedactingFilter

TOKEN = "123456789:AAEsecretsecretsecretsecretsecret"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "LOG_LEVEL", "TELEGRAM_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_use_a_sqlite_file_under_data() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert "/data/" in settings.database_url
    assert settings.telegram_bot_token is None


def test_token_never_appears_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    settings = load_settings(require_token=True)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert settings.telegram_bot_token.get_secret_value() == TOKEN


def test_missing_token_explains_botfather_and_console() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(require_token=True)
    assert "@BotFather" in str(info.value)
    assert "console" in str(info.value)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN: expected the token"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: expected sqlite+aiosqlite"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL:"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL: expected a URL"),
    ],
)
def test_malformed_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str,
                                            value: str, expected: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(expected)
    assert "Traceback" not in str(info.value)


def test_plain_postgres_url_gets_the_async_driver() -> None:
    settings = Settings(_env_file=None, database_url="postgresql://postgres@localhost/db")
    assert settings.database_url == "postgresql+asyncpg://postgres@localhost/db"


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nLOG_LEVEL=DEBUG\n")
    settings = load_settings()
    assert settings.log_level == "DEBUG"
    assert settings.telegram_bot_token is not None


def test_redacting_filter_removes_the_token_from_log_lines() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1,
                               "POST https://api.telegram.org/bot%s/getMe", (TOKEN,), None)
    RedactingFilter(TOKEN).filter(record)
    assert TOKEN not in record.getMessage()


def test_start_without_token_prints_one_helpful_message(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "@BotFather" in result.stderr
    assert "Traceback" not in result.stderr
