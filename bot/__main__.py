"""Command line: ``python -m bot [run|migrate|console|webhook]`` (also ``cramp-bot``)."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.config import Settings, SettingsError, load_settings
from bot.logging_setup import configure_logging

log = logging.getLogger("bot")


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _migrate(settings: Settings) -> None:
    from bot.migrate import upgrade

    log.info("applying migrations")
    upgrade(settings.database_url)
    log.info("database is up to date")


def run(settings: Settings, *, webhook: bool = False) -> int:
    """Start the bot: long polling, or the webhook server when asked or configured."""
    from telegram import Update

    from bot.app import build_application

    if settings.is_sqlite:
        _migrate(settings)  # single machine: keep the schema current automatically
    else:
        from bot.migrate import check_schema

        problem = check_schema(settings.database_url)  # PostgreSQL: migrating is a deploy step
        if problem:
            return _fail(problem)
    application = build_application(settings)
    if webhook or settings.webhook_url:
        from bot.webhook import run_webhook

        return run_webhook(application, settings)
    log.info("starting long polling")
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False,
                            stop_signals=None if sys.platform == "win32" else _stop_signals())
    return 0


def _stop_signals() -> tuple[int, ...]:
    import signal

    return (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cramp-bot", description="Cramp Companion Telegram bot")
    parser.add_argument(
        "command", nargs="?", default="run", choices=["run", "migrate", "console", "webhook"],
        help="run (default): long polling; migrate: apply database migrations; "
        "console: chat with the bot in this terminal, no token needed; webhook: webhook server",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings(require_token=args.command in ("run", "webhook"))
    except SettingsError as err:
        return _fail(str(err))
    secret = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    # The console is for a person reading the chat: only warnings and errors interleave.
    level = "WARNING" if args.command == "console" and settings.log_level in ("DEBUG", "INFO") else settings.log_level
    configure_logging(level, secret)
    try:
        if args.command == "migrate":
            _migrate(settings)
            return 0
        if args.command == "console":
            from bot.console import run_console

            return run_console(settings)
        return run(settings, webhook=args.command == "webhook")
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
