"""Drive the real Application as a Telegram user would, through the Bot API stand-in.

``UserDriver.send`` and ``UserDriver.press`` build Telegram-shaped updates, hand them to the
Application (``process_update``, so each call returns once the handlers are done), and
return the Bot API calls the bot made in reply, as ``BotMessage`` views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.standin.server import BotApiStandIn, Call

if TYPE_CHECKING:
    from telegram.ext import Application

MESSAGE_METHODS = (
    "sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument",
)


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass
class BotMessage:
    """A message the bot sent or edited, as recorded by the stand-in."""

    call: Call

    @property
    def method(self) -> str:
        return self.call.method

    @property
    def result(self) -> dict[str, Any]:
        return self.call.result if isinstance(self.call.result, dict) else {}

    @property
    def chat_id(self) -> int:
        return int(self.call.params.get("chat_id", 0))

    @property
    def message_id(self) -> int:
        return int(self.result.get("message_id") or self.call.params.get("message_id") or 0)

    @property
    def raw_text(self) -> str:
        return str(self.call.params.get("text") or self.call.params.get("caption") or "")

    @property
    def text(self) -> str:
        """The text as the user sees it (HTML tags removed)."""
        return str(self.result.get("text") or self.result.get("caption") or "")

    @property
    def first_line(self) -> str:
        return self.text.strip().splitlines()[0] if self.text.strip() else ""

    @property
    def silent(self) -> bool:
        return bool(self.call.params.get("disable_notification"))

    @property
    def markup(self) -> dict[str, Any]:
        return self.call.params.get("reply_markup") or {}

    @property
    def buttons(self) -> list[list[Button]]:
        return [
            [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row]
            for row in self.markup.get("inline_keyboard", [])
        ]

    @property
    def button_labels(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    @property
    def reply_keyboard(self) -> list[str]:
        return [
            (b["text"] if isinstance(b, dict) else str(b))
            for row in self.markup.get("keyboard", [])
            for b in row
        ]

    @property
    def document(self) -> tuple[str, bytes] | None:
        return next(iter(self.call.files.values()), None) if self.method == "sendDocument" else None

    @property
    def photo(self) -> bytes | None:
        return next(iter(self.call.files.values()), ("", b""))[1] if self.method == "sendPhoto" else None


class Reply(list[BotMessage]):
    """The messages one user action produced, in order."""

    @property
    def text(self) -> str:
        return "\n\n".join(m.text for m in self if m.text)

    @property
    def last(self) -> BotMessage:
        if not self:
            raise AssertionError("the bot sent nothing")
        return self[-1]

    @property
    def button_labels(self) -> list[str]:
        return [label for m in self for label in m.button_labels]


class UserDriver:
    """One simulated Telegram user in a private chat with the bot."""

    def __init__(self, standin: BotApiStandIn, application: Application, user_id: int = 1001,
                 first_name: str = "Alex", language_code: str | None = "en") -> None:
        self.standin = standin
        self.application = application
        self.user = standin.make_user(user_id, first_name, language_code)
        self.last_with_buttons: BotMessage | None = None

    @property
    def id(self) -> int:
        return int(self.user["id"])

    async def _process(self, update: dict[str, Any]) -> Reply:
        from telegram import Update

        start = len(self.standin.calls)
        await self.application.process_update(Update.de_json(update, self.application.bot))
        reply = Reply(
            BotMessage(c) for c in self.standin.calls[start:]
            if c.method in MESSAGE_METHODS and c.error is None
            and int(c.params.get("chat_id", 0)) == self.id
        )
        for message in reply:
            if message.buttons:
                self.last_with_buttons = message
        return reply

    def calls_since(self, index: int) -> list[Call]:
        return self.standin.calls[index:]

    async def send(self, text: str) -> Reply:
        """Type ``text`` (a command or free text) and send it."""
        return await self._process(self.standin.build_text_update(self.user, text))

    async def share_location(self, latitude: float, longitude: float) -> Reply:
        return await self._process(self.standin.build_location_update(self.user, latitude, longitude))

    def find_button(self, label: str, message: BotMessage | None = None) -> tuple[dict[str, Any], str]:
        """The current stored message and the callback data of its button ``label``."""
        source = message or self.last_with_buttons
        if source is None:
            raise AssertionError("no message with buttons yet")
        stored = self.standin.messages.get((source.chat_id, source.message_id))
        if stored is None:
            raise AssertionError("that message no longer exists")
        rows = stored.get("reply_markup", {}).get("inline_keyboard", [])
        labels = []
        for row in rows:
            for button in row:
                labels.append(button["text"])
                if button["text"] == label or button["text"].startswith(label):
                    return stored, button["callback_data"]
        raise AssertionError(f"no button {label!r}; buttons are {labels}")

    async def press(self, label: str, message: BotMessage | None = None) -> Reply:
        """Press the inline button whose text is (or starts with) ``label``."""
        stored, data = self.find_button(label, message)
        return await self._process(self.standin.build_callback_update(self.user, stored, data))

    async def press_data(self, data: str, message: BotMessage) -> Reply:
        """Press a button with arbitrary callback data (forged, stale or foreign)."""
        stored = self.standin.messages.get((message.chat_id, message.message_id)) or message.result
        return await self._process(self.standin.build_callback_update(self.user, stored, data))

    def answers_since(self, index: int) -> list[Call]:
        return [c for c in self.standin.calls[index:] if c.method == "answerCallbackQuery"]
