"""The composition root: build the Application and its services, start and stop them.

Nothing is built at import time. Services reach handlers through ``context.services``
(a typed ``CrampContext``); start-up work runs in ``post_init`` and clean-up in
``post_shutdown``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackContext,
    ContextTypes,
    ExtBot,
)

from bot import metrics, monitoring
from bot.config import Settings
from bot.db import Database
from bot.models.base import utcnow
from bot.models.user import User
from bot.telegram_request import RetryingRequest

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass
class Services:
    """Everything a handler may use, built once in ``build_application``."""

    settings: Settings
    db: Database
    clock: Clock = utcnow
    # Feature-owned singletons (graphs, content, dispatcher, metrics) by name.
    extras: dict[str, Any] = field(default_factory=dict)


class BotData:
    """``application.bot_data``: holds the services, nothing per user."""

    services: Services


class CrampContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The callback context every handler receives."""

    def __init__(self, application: Application, chat_id: int | None = None,
                 user_id: int | None = None) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        # The user's row, loaded once per update by the tracking handler (group -1).
        self.db_user: User | None = None

    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def db(self) -> Database:
        return self.bot_data.services.db

    def now(self) -> datetime:
        return self.bot_data.services.clock()


CrampApplication = Application[ExtBot[None], CrampContext, dict[Any, Any], dict[Any, Any], BotData, Any]


def build_application(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    token: str | None = None,
    base_url: str | None = None,
    base_file_url: str | None = None,
    start_background_jobs: bool = True,
    concurrent_updates: bool | int | BaseUpdateProcessor | None = None,
) -> CrampApplication:
    """Wire settings, database, handlers and jobs into a ready-to-start Application.

    Updates run concurrently across users and in order per user (``PerUserUpdateProcessor``)
    unless ``concurrent_updates`` says otherwise (``False``: one at a time).
    """
    from bot.handlers import register_handlers
    from bot.update_processor import PerUserUpdateProcessor

    if concurrent_updates is None:
        concurrent_updates = PerUserUpdateProcessor()

    secret = token or (settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None)
    if not secret:
        raise ValueError("a bot token is needed to build the Application")
    context_types = ContextTypes(context=CrampContext, bot_data=BotData)
    builder: ApplicationBuilder = (
        Application.builder()
        .token(secret)
        .context_types(context_types)
        .concurrent_updates(concurrent_updates)
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
        .get_updates_read_timeout(35)
        .request(RetryingRequest(connection_pool_size=256))
    )
    if base_url or settings.telegram_api_base_url:
        builder = builder.base_url(base_url or settings.telegram_api_base_url)
    if base_file_url or settings.telegram_file_base_url:
        builder = builder.base_file_url(base_file_url or settings.telegram_file_base_url)
    application = builder.build()
    services = Services(settings=settings, db=db or Database.from_url(settings.database_url),
                        clock=clock or utcnow)
    application.bot_data.services = services
    application.bot.request.on_retry = metrics.of(services).telegram_retry  # type: ignore[attr-defined]
    application.bot_data.start_background_jobs = start_background_jobs  # type: ignore[attr-defined]
    register_handlers(application)
    return application


async def on_startup(application: CrampApplication) -> None:
    """Register the command list, log who we are, start background jobs."""
    from bot.handlers import bot_commands, start_background_jobs

    try:
        await application.bot.set_my_commands(
            [BotCommand(name, text) for name, text in bot_commands()]
        )
    except TelegramError as error:  # the menu of commands is a nicety: start without it
        log.warning("could not register the command list (%s)", type(error).__name__)
    if getattr(application.bot_data, "start_background_jobs", True):
        start_background_jobs(application)
    await monitoring.start(application)
    log.info("ready as @%s", application.bot.username)


async def on_shutdown(application: CrampApplication) -> None:
    """Stop the monitoring server, release the database pool."""
    await monitoring.stop(application)
    await application.bot_data.services.db.dispose()
