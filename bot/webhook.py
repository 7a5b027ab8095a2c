"""Webhook mode: the library's webhook handler behind a secret token, plus /healthz and /metrics.

python-telegram-bot's ``TelegramHandler`` (its tornado webhook handler) parses each update
and puts it on ``application.update_queue``. We extend it in one place: the request check
compares the ``X-Telegram-Bot-Api-Secret-Token`` header in constant time and counts every
refused request (``cramp_webhook_refused_total{reason}``) before answering 403.

Several replicas may serve one webhook URL: every replica registers the same URL and secret
(``setWebhook`` is idempotent), keeps no per-user state in memory, and a stopping replica
does not delete the webhook. Updates already accepted are processed before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import secrets
import signal
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import tornado.web
from telegram import Update
from telegram.ext._utils.webhookhandler import TelegramHandler

from bot import metrics, monitoring
from bot.config import Settings

if TYPE_CHECKING:
    from bot.app import CrampApplication

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts
MAX_BODY_BYTES = 1024 * 1024  # an update is a few kilobytes; refuse anything absurd


class WebhookConfigError(ValueError):
    """Webhook settings that cannot work, explained in one line."""


@dataclass(frozen=True)
class WebhookConfig:
    """Where to listen, which path Telegram calls, and the secret it must send."""

    url: str
    path: str
    listen: str
    port: int
    secret: str
    serve_monitoring: bool


def webhook_config(settings: Settings) -> WebhookConfig:
    """Derive the webhook set-up from settings; raise WebhookConfigError if it cannot work."""
    if not settings.webhook_url:
        raise WebhookConfigError("WEBHOOK_URL: expected the public https URL Telegram should call")
    if settings.webhook_secret is not None:
        secret = settings.webhook_secret.get_secret_value()
        if not _SECRET_SHAPE.match(secret):
            raise WebhookConfigError(
                "WEBHOOK_SECRET: use 1-256 characters from A-Z, a-z, 0-9, _ and - "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
    elif settings.instance_count > 1:
        raise WebhookConfigError(
            "WEBHOOK_SECRET: set one secret shared by every replica (INSTANCE_COUNT > 1)"
        )
    else:
        secret = secrets.token_urlsafe(32)
        log.info("WEBHOOK_SECRET not set: using a random secret for this run")
    path = "/" + urlparse(settings.webhook_url).path.strip("/")
    serve_monitoring = settings.metrics_port in (None, settings.webhook_port)
    return WebhookConfig(settings.webhook_url, path, settings.webhook_listen,
                         settings.webhook_port, secret, serve_monitoring)


class SecretCheckingHandler(TelegramHandler):
    """The library's webhook handler; refused requests are counted, the secret checked safely."""

    def initialize(self, bot: Any, update_queue: asyncio.Queue, secret_token: str,
                   counters: metrics.Metrics | None = None) -> None:
        super().initialize(bot, update_queue, secret_token)
        self.counters = counters

    def _refuse(self, reason: str, message: str) -> None:
        if self.counters is not None:
            self.counters.webhook_refused(reason)
            refused = int(self.counters.value("cramp_webhook_refused_total", reason=reason))
            if refused == 1 or refused % 1000 == 0:  # a hint in the log, not a flood of lines
                log.warning("webhook request refused (%s); %d so far", message, refused)
        raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN, reason=message)

    def _validate_post(self) -> None:
        """Refuse (403, counted) requests that are not JSON or lack the right secret."""
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            self._refuse("bad_content_type", "not a JSON request")
        token = self.request.headers.get(SECRET_HEADER)
        if not token:
            self._refuse("missing_secret", "the secret token is missing")
        if not hmac.compare_digest(token.encode(), self.secret_token.encode()):
            self._refuse("wrong_secret", "the secret token is wrong")


def build_tornado_app(application: CrampApplication, config: WebhookConfig) -> tornado.web.Application:
    """The webhook route (and /healthz, /metrics unless METRICS_PORT moves them)."""
    services = application.bot_data.services
    path = re.escape(config.path.rstrip("/"))
    handlers: list[Any] = [(
        rf"{path}/?",
        SecretCheckingHandler,
        {"bot": application.bot, "update_queue": application.update_queue,
         "secret_token": config.secret, "counters": metrics.of(services)},
    )]
    if config.serve_monitoring:
        handlers = monitoring.routes(services) + handlers
    return tornado.web.Application(handlers, log_function=monitoring.quiet_log)


class WebhookServer:
    """Start and stop the Application with its webhook server, in the right order."""

    def __init__(self, application: CrampApplication, config: WebhookConfig) -> None:
        self.application = application
        self.config = config
        self.http = monitoring.HttpServer(build_tornado_app(application, config), config.listen,
                                          config.port, max_body_size=MAX_BODY_BYTES)

    @property
    def port(self) -> int:
        return self.http.port

    async def start(self, *, register: bool = True) -> None:
        """Initialise, listen, register the webhook with Telegram, start handling updates."""
        app = self.application
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        self.http.start()
        if register:
            await app.bot.set_webhook(self.config.url, secret_token=self.config.secret,
                                      allowed_updates=Update.ALL_TYPES)
        await app.start()
        log.info("webhook listening on %s:%s", self.config.listen, self.http.port)

    async def stop(self) -> None:
        """Stop accepting requests, finish the updates already accepted, release resources."""
        app = self.application
        await self.http.stop()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


async def serve(application: CrampApplication, config: WebhookConfig,
                stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT or SIGTERM (or ``stop`` is set), then stop cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not possible on Windows or outside the main thread: Ctrl-C still ends asyncio.run.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    server = WebhookServer(application, config)
    await server.start()
    try:
        await stop.wait()
        log.info("stopping the webhook server")
    finally:
        await server.stop()


def run_webhook(application: CrampApplication, settings: Settings) -> int:
    """Serve updates on ``WEBHOOK_URL``; requests without the secret token are refused."""
    try:
        config = webhook_config(settings)
    except WebhookConfigError as err:
        print(err, flush=True)
        return 2
    asyncio.run(serve(application, config))
    return 0
