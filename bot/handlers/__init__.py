"""Telegram adapters, one module per feature, registered here in order.

Each feature module exposes ``handlers()`` and may expose ``COMMANDS`` (for the command
list and /help), ``TEXT_INPUTS`` (typed answers it waits for, keyed by the prefix it stores
in ``users.awaiting``), ``AFTER_CONSENT`` (what to resume after the user accepts data
storage) and ``start_jobs(application)`` (background jobs).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from telegram.ext import Application

from bot.handlers import (
    admin,
    causes,
    diary,
    errors,
    export,
    fallback,
    guidance,
    privacy,
    relief,
    reminders,
    settings,
    start,
    stats,
    tracking,
    triage,
)
from bot.metrics import instrument

# Order matters: the first matching handler in a group wins; fallback comes last.
FEATURES: tuple[ModuleType, ...] = (
    start,
    triage,
    relief,
    causes,
    guidance,
    diary,
    stats,
    export,
    reminders,
    settings,
    privacy,
    admin,
)

TextInput = Callable[[Any, Any, str], Awaitable[None]]


def register_handlers(application: Application) -> None:
    """Add every feature's handlers, the fallback and the error handler."""
    # Every callback is wrapped to be counted and timed by handler (bot.metrics).
    for handler in tracking.handlers():
        application.add_handler(instrument(handler, tracking.__name__), group=-1)
    for feature in FEATURES:
        for handler in feature.handlers():
            application.add_handler(instrument(handler, feature.__name__))
    for handler in fallback.handlers():
        application.add_handler(instrument(handler, fallback.__name__))
    application.add_error_handler(errors.on_error)


def bot_commands() -> list[tuple[str, str]]:
    """The command list, in menu order, for setMyCommands and /help."""
    commands: list[tuple[str, str]] = []
    for feature in FEATURES:
        commands.extend(getattr(feature, "COMMANDS", []))
    return commands


def text_input_handlers() -> dict[str, TextInput]:
    merged: dict[str, TextInput] = {}
    for feature in FEATURES:
        merged.update(getattr(feature, "TEXT_INPUTS", {}))
    return merged


def after_consent_handlers() -> dict[str, Callable[[Any, Any], Awaitable[None]]]:
    merged: dict[str, Callable[[Any, Any], Awaitable[None]]] = {}
    for feature in FEATURES:
        merged.update(getattr(feature, "AFTER_CONSENT", {}))
    return merged


def start_background_jobs(application: Application) -> None:
    for feature in FEATURES:
        starter = getattr(feature, "start_jobs", None)
        if starter is not None:
            starter(application)
