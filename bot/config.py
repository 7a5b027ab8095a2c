"""Settings: one class, read from the environment and an optional ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("data") / "cramp.db"
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///./{DEFAULT_SQLITE_PATH.as_posix()}"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """Every knob the operator can turn, with its environment variable name."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False,
        env_ignore_empty=True,  # `METRICS_PORT=` (as in .env.example) means "not set"
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather (a secret)."
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///... or postgresql+asyncpg://...",
    )
    telegram_api_base_url: str | None = Field(
        default=None, description="Bot API base URL, e.g. http://127.0.0.1:8081/bot"
    )
    telegram_file_base_url: str | None = Field(
        default=None, description="Bot API file base URL, e.g. http://127.0.0.1:8081/file/bot"
    )
    log_level: LogLevel = Field(default="INFO", description="Logging level.")

    # Webhook mode (issue 5).
    webhook_url: str | None = Field(default=None, description="Public HTTPS URL of the webhook.")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret token Telegram sends with every webhook request."
    )
    webhook_listen: str = Field(default="127.0.0.1", description="Address the webhook binds.")
    webhook_port: int = Field(default=8443, ge=1, le=65535, description="Webhook port.")
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="Port for /healthz and /metrics."
    )
    metrics_listen: str = Field(
        default="127.0.0.1", description="Address the /healthz and /metrics server binds."
    )

    # Reminders (issue 3).
    reminder_tick_seconds: float = Field(default=5.0, gt=0, le=60)
    reminder_grace_minutes: int = Field(default=30, ge=1, le=24 * 60)
    reminder_history_days: int = Field(
        default=180, ge=91, le=3650,
        description="Delivery rows older than this are deleted (statistics look back 90 days).",
    )
    send_budget_per_second: float = Field(default=25.0, gt=0, le=1000)
    instance_count: int = Field(default=1, ge=1, le=1000)

    # NoDecode: ADMIN_IDS is "1,2", not JSON (the validator below splits it).
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram ids of admins, comma-separated."
    )

    # Per-user flood guard (per instance): more than FLOOD_MAX_UPDATES updates within
    # FLOOD_WINDOW_SECONDS pauses the user for FLOOD_PAUSE_SECONDS. 0 switches it off.
    flood_max_updates: int = Field(default=20, ge=0, le=10_000)
    flood_window_seconds: float = Field(default=10.0, gt=0, le=3600)
    flood_pause_seconds: float = Field(default=30.0, ge=0, le=3600)

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        bot_id, _, secret = value.get_secret_value().partition(":")
        if not bot_id.isdigit() or len(secret) < 20:
            raise ValueError("expected the token from @BotFather, like 123456789:AAE...")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        if value.startswith(("postgres://", "postgresql://")):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "expected sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host/db"
            )
        return value

    @field_validator("telegram_api_base_url", "telegram_file_base_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected a URL starting with http:// or https://")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            parts = [part for part in value.replace(" ", "").split(",") if part]
            if not all(part.isdigit() for part in parts):
                raise ValueError("expected Telegram user ids separated by commas, like 12345,67890")
            return [int(part) for part in parts]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def send_budget_per_instance(self) -> float:
        return self.send_budget_per_second / self.instance_count


class SettingsError(Exception):
    """Start-up configuration problem, explained in one line per variable."""


NO_TOKEN_HELP = (
    "TELEGRAM_BOT_TOKEN is not set: the bot needs a token to talk to Telegram.\n"
    "  Get one: open Telegram, message @BotFather, send /newbot and follow the steps;\n"
    "  then put TELEGRAM_BOT_TOKEN=123456789:AAE... in a .env file here (or the environment).\n"
    "  No token yet? Try the bot in your terminal: python3 dev.py console"
)


def load_settings(*, require_token: bool = False, **overrides: object) -> Settings:
    """Read settings; raise SettingsError with one line per bad variable, no traceback."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise SettingsError("\n".join(lines)) from None
    if require_token and settings.telegram_bot_token is None:
        raise SettingsError(NO_TOKEN_HELP)
    return settings
