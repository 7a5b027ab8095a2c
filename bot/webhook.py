"""Webhook mode: the library's webhook server with a secret token."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlparse

from telegram import Update

from bot.config import Settings

log = logging.getLogger(__name__)


def run_webhook(application, settings: Settings) -> int:
    """Serve updates on ``WEBHOOK_URL``; requests without the secret token are refused."""
    if not settings.webhook_url:
        print("WEBHOOK_URL: expected the public https URL Telegram should call", flush=True)
        return 2
    secret = (
        settings.webhook_secret.get_secret_value() if settings.webhook_secret else secrets.token_urlsafe(32)
    )
    path = urlparse(settings.webhook_url).path.lstrip("/") or "telegram"
    log.info("starting webhook on %s:%s/%s", settings.webhook_listen, settings.webhook_port, path)
    application.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=path,
        webhook_url=settings.webhook_url,
        secret_token=secret,
        allowed_updates=Update.ALL_TYPES,
    )
    return 0
