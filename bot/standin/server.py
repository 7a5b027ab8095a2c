"""A local stand-in for the Telegram Bot API, for tests, the console and benchmarks.

It listens on 127.0.0.1 (a random port by default), speaks the Bot API methods this bot
uses with Telegram-shaped JSON and Telegram's errors, queues updates from simulated users
for ``getUpdates`` and records every call the bot makes. It is deliberately small: enough
of Telegram to run the real ``python-telegram-bot`` stack over HTTP, not a full emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

log = logging.getLogger(__name__)

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Cramp Companion",
    "username": "cramp_companion_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

_INT_FIELDS = {
    "chat_id", "message_id", "offset", "limit", "timeout", "cache_time",
    "reply_to_message_id", "message_thread_id", "max_connections", "from_chat_id",
}
_BOOL_FIELDS = {
    "disable_notification", "show_alert", "protect_content", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply",
}
_JSON_FIELDS = {
    "reply_markup", "commands", "scope", "allowed_updates", "entities", "caption_entities",
    "link_preview_options", "reply_parameters",
}
_ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}


class BotApiError(Exception):
    """An error the stand-in answers with, shaped like Telegram's."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


class _TelegramHtml(HTMLParser):
    """Validate Telegram's HTML subset and return the plain text, as Telegram does."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            raise BotApiError(400, f"Bad Request: can't parse entities: unsupported start tag \"{tag}\"")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise BotApiError(400, f"Bad Request: can't parse entities: unexpected end tag \"{tag}\"")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(raw: str) -> str:
    """Plain text of a Telegram HTML message; raises BotApiError like Telegram on bad markup."""
    if re.search(r"&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)", raw):
        raise BotApiError(400, "Bad Request: can't parse entities: unsupported entity")
    parser = _TelegramHtml()
    parser.feed(raw)
    parser.close()
    if parser.stack:
        raise BotApiError(400, "Bad Request: can't parse entities: unclosed start tag")
    return "".join(parser.parts)


@dataclass
class Call:
    """One Bot API request the bot made, with the answer it got."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    result: Any = None
    error: str | None = None
    at: float = field(default_factory=time.monotonic)
    content_type: str = ""


@dataclass
class Fault:
    """An injected failure: the next matching call answers with this error."""

    method: str | None
    code: int
    description: str
    retry_after: int | None = None
    times: int = 1


class BotApiStandIn:
    """The stand-in's state and the simulated users' side of it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.token: str | None = None
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.blocked_chats: set[int] = set()
        self.faults: list[Fault] = []
        self.commands: list[dict[str, Any]] = []
        self.webhook_url: str | None = None
        self.on_call: list[Callable[[Call], None]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._callback_ids = itertools.count(1)
        self._new_update = asyncio.Condition()
        self._new_call = asyncio.Condition()
        self._server: tornado.httpserver.HTTPServer | None = None

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> BotApiStandIn:
        app = tornado.web.Application(
            [
                (r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)", _MethodHandler, {"standin": self}),
                (r"/file/bot(?P<token>[^/]+)/(?P<path>.+)", _FileHandler, {"standin": self}),
            ],
            log_function=lambda _handler: None,
        )
        sockets = tornado.netutil.bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=60 * 1024 * 1024)
        self._server.add_sockets(sockets)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
        async with self._new_update:
            self._new_update.notify_all()

    async def __aenter__(self) -> BotApiStandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # ----------------------------------------------------------------- users' side
    @staticmethod
    def make_user(user_id: int, first_name: str = "Test", language_code: str | None = "en") -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    @staticmethod
    def private_chat(user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "type": "private", "first_name": user["first_name"]}

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def build_text_update(self, user: dict[str, Any], text: str) -> dict[str, Any]:
        """A Telegram update for ``text`` typed by ``user`` in their private chat."""
        message: dict[str, Any] = {
            "message_id": self._next_message_id(user["id"]),
            "from": user,
            "chat": self.private_chat(user),
            "date": int(time.time()),
            "text": text,
        }
        command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        return {"update_id": next(self._update_ids), "message": message}

    def build_location_update(self, user: dict[str, Any], latitude: float, longitude: float) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": self._next_message_id(user["id"]),
                "from": user,
                "chat": self.private_chat(user),
                "date": int(time.time()),
                "location": {"latitude": latitude, "longitude": longitude},
            },
        }

    def build_callback_update(self, user: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
        """A button press by ``user`` on a bot ``message`` carrying ``data``."""
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._callback_ids)),
                "from": user,
                "message": message,
                "chat_instance": f"ci{message['chat']['id']}",
                "data": data,
            },
        }

    async def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for the bot's next getUpdates."""
        async with self._new_update:
            self._updates.append(update)
            self._new_update.notify_all()

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: further sends to that chat answer 403."""
        self.blocked_chats.add(chat_id)

    def inject_fault(self, method: str | None, code: int, description: str,
                     retry_after: int | None = None, times: int = 1) -> None:
        self.faults.append(Fault(method, code, description, retry_after, times))

    # ----------------------------------------------------------------- inspection
    def calls_to(self, *methods: str, since: int = 0) -> list[Call]:
        return [c for c in self.calls[since:] if c.method in methods]

    async def wait_for_call(self, predicate: Callable[[Call], bool], *, since: int = 0,
                            timeout: float = 10.0) -> Call:
        """Wait until a recorded call (from index ``since``) matches ``predicate``."""
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._new_call:
            while True:
                for call in self.calls[since:]:
                    if predicate(call):
                        return call
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    raise TimeoutError("no matching Bot API call arrived in time")
                try:
                    await asyncio.wait_for(self._new_call.wait(), remaining)
                except TimeoutError:
                    continue

    # ----------------------------------------------------------------- server side
    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        for hook in self.on_call:
            hook(call)
        async with self._new_call:
            self._new_call.notify_all()

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (None, method):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def handle(self, token: str, method: str, params: dict[str, Any],
                     files: dict[str, tuple[str, bytes]],
                     content_type: str = "") -> tuple[int, dict[str, Any]]:
        if self.token is None:
            self.token = token
        call = Call(method, params, files, content_type=content_type)
        try:
            fault = self._take_fault(method) if method != "getUpdates" else None
            if fault is not None:
                raise BotApiError(
                    fault.code, fault.description,
                    {"retry_after": fault.retry_after} if fault.retry_after else None,
                )
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise BotApiError(404, "Not Found: method not found")
            if method != "getUpdates" and "chat_id" in params and params["chat_id"] in self.blocked_chats:
                raise BotApiError(403, "Forbidden: bot was blocked by the user")
            result = await handler(params, files)
        except BotApiError as err:
            call.error = err.description
            if method != "getUpdates":
                await self._record(call)
            body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
            if err.parameters:
                body["parameters"] = err.parameters
            return err.code, body
        call.result = result
        if method != "getUpdates":
            await self._record(call)
        return 200, {"ok": True, "result": result}

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "type": "private", "first_name": "Test"}

    def _check_markup(self, markup: dict[str, Any] | None) -> None:
        if not markup:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise BotApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")

    def _render_text(self, params: dict[str, Any], key: str, limit: int) -> str:
        raw = str(params.get(key, ""))
        text = html_to_text(raw) if params.get("parse_mode") == "HTML" else raw
        if key == "text" and not text.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if len(text) > limit:
            raise BotApiError(400, f"Bad Request: {'message' if key == 'text' else 'message caption'} is too long")
        return text

    def _store(self, chat_id: int, body: dict[str, Any], markup: dict[str, Any] | None) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": BOT_USER,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **body,
        }
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _api_getMe(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return BOT_USER

    async def _api_getUpdates(self, params: dict[str, Any], files: Any) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        async with self._new_update:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), timeout)
            return list(self._updates[:limit])

    async def _api_sendMessage(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        text = self._render_text(params, "text", MAX_TEXT)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        return self._store(params["chat_id"], {"text": text}, markup)

    def _existing(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (params.get("chat_id"), params.get("message_id"))
        if key not in self.messages:
            raise BotApiError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    async def _api_editMessageText(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = self._existing(params)
        text = self._render_text(params, "text", MAX_TEXT)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise BotApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = text
        message["edit_date"] = int(time.time())
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        message = self._existing(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if message.get("reply_markup") == markup or (not markup and "reply_markup" not in message):
            raise BotApiError(400, "Bad Request: message is not modified")
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def _api_deleteMessage(self, params: dict[str, Any], files: Any) -> bool:
        if self.messages.pop((params.get("chat_id"), params.get("message_id")), None) is None:
            raise BotApiError(400, "Bad Request: message to delete not found")
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> bool:
        if len(str(params.get("text", ""))) > 200:
            raise BotApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _api_setMyCommands(self, params: dict[str, Any], files: Any) -> bool:
        self.commands = list(params.get("commands") or [])
        return True

    async def _api_getMyCommands(self, params: dict[str, Any], files: Any) -> list[dict[str, Any]]:
        return self.commands

    async def _api_sendChatAction(self, params: dict[str, Any], files: Any) -> bool:
        return True

    async def _api_setWebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook_url = params.get("url") or None
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook_url = None
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {"url": self.webhook_url or "", "has_custom_certificate": False, "pending_update_count": 0}

    def _file_meta(self, params: dict[str, Any], files: dict[str, tuple[str, bytes]], key: str) -> tuple[str, int]:
        if key in files:
            name, content = files[key]
            return name, len(content)
        value = str(params.get(key, ""))
        if value.startswith("attach://") and value[9:] in files:
            name, content = files[value[9:]]
            return name, len(content)
        if not value:
            raise BotApiError(400, f"Bad Request: there is no {key} in the request")
        return value, 0

    async def _api_sendPhoto(self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        name, size = self._file_meta(params, files, "photo")
        caption = self._render_text(params, "caption", MAX_CAPTION) if params.get("caption") else None
        self._check_markup(params.get("reply_markup"))
        body: dict[str, Any] = {
            "photo": [{"file_id": f"photo-{name}", "file_unique_id": f"u-{name}", "width": 800,
                       "height": 600, "file_size": size}],
        }
        if caption:
            body["caption"] = caption
        return self._store(params["chat_id"], body, params.get("reply_markup"))

    async def _api_sendDocument(self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        name, size = self._file_meta(params, files, "document")
        caption = self._render_text(params, "caption", MAX_CAPTION) if params.get("caption") else None
        body: dict[str, Any] = {
            "document": {"file_id": f"doc-{name}", "file_unique_id": f"u-{name}", "file_name": name,
                         "file_size": size},
        }
        if caption:
            body["caption"] = caption
        return self._store(params["chat_id"], body, params.get("reply_markup"))


def _coerce(name: str, value: str) -> Any:
    if name in _JSON_FIELDS:
        return json.loads(value)
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


class _MethodHandler(tornado.web.RequestHandler):
    def initialize(self, standin: BotApiStandIn) -> None:
        self.standin = standin

    def check_xsrf_cookie(self) -> None:  # an API, not a form
        return None

    async def _dispatch(self, token: str, method: str) -> None:
        params: dict[str, Any] = {}
        try:
            if self.request.headers.get("Content-Type", "").startswith("application/json") and self.request.body:
                params = json.loads(self.request.body)
            else:
                for name, values in self.request.arguments.items():
                    params[name] = _coerce(name, values[-1].decode())
        except (ValueError, UnicodeDecodeError):
            self.set_status(400)
            self.finish({"ok": False, "error_code": 400, "description": "Bad Request: can't parse request"})
            return
        files = {
            name: (items[0]["filename"], items[0]["body"]) for name, items in self.request.files.items()
        }
        status, body = await self.standin.handle(
            token, method, params, files, self.request.headers.get("Content-Type", "")
        )
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    async def post(self, token: str, method: str) -> None:
        await self._dispatch(token, method)

    async def get(self, token: str, method: str) -> None:
        await self._dispatch(token, method)


class _FileHandler(tornado.web.RequestHandler):
    def initialize(self, standin: BotApiStandIn) -> None:
        self.standin = standin

    async def get(self, token: str, path: str) -> None:
        self.set_status(404)
        self.finish(html.escape(path))
