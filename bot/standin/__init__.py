"""A local Bot API stand-in and a driver that plays a Telegram user against it."""

from bot.standin.driver import BotMessage, Button, Reply, UserDriver
from bot.standin.server import BOT_USER, BotApiError, BotApiStandIn, Call, html_to_text

__all__ = [
    "BOT_USER",
    "BotApiError",
    "BotApiStandIn",
    "BotMessage",
    "Button",
    "Call",
    "Reply",
    "UserDriver",
    "html_to_text",
]
