"""Logging: one format, and no library logger that could print the token."""

from __future__ import annotations

import logging

# httpx logs every request URL at INFO, and Bot API URLs contain the token.
_QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "apscheduler": logging.WARNING,
          "telegram.ext.Updater": logging.INFO, "aiosqlite": logging.WARNING,
          "tornado.access": logging.WARNING, "alembic.runtime.plugins": logging.WARNING}


class RedactingFilter(logging.Filter):
    """Replace any occurrence of the given secrets in a log record with ***."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            if any(secret in message for secret in self.secrets):
                for secret in self.secrets:
                    message = message.replace(secret, "***")
                record.msg, record.args = message, None
        return True


def configure_logging(level: str = "INFO", *secrets: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    redactor = RedactingFilter(*secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    for name, minimum in _QUIET.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(minimum, logging.getLevelName(level)))
