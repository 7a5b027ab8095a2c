"""End to end through the real Application and the Bot API stand-in: the basics."""

from __future__ import annotations

from bot.handlers.common import MENU_LABELS
from bot.standin import UserDriver
from bot.storage import users


async def test_start_greets_shows_menu_and_asks_consent(user: UserDriver, app) -> None:
    reply = await user.send("/start")
    greeting = reply[0]
    assert greeting.first_line.startswith("Hi Alex!")
    assert "not a doctor" in greeting.text
    assert greeting.reply_keyboard == list(MENU_LABELS)
    assert greeting.markup.get("is_persistent") is True
    consent = reply[1]
    assert "health data" in consent.text
    assert consent.button_labels == ["Accept", "Decline"]
    async with app.bot_data.services.db.session() as session:
        row = await users.get(session, user.id)
    assert row is not None and row.chat_id == user.id and row.first_name == "Alex"
