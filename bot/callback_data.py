"""Callback data for inline buttons: ``feature:verb:arg…``, encoded and decoded here only.

Telegram limits callback data to 64 bytes. Every handler pattern is anchored on its feature
prefix (``^triage:``); anything that does not decode is treated as a stale or forged button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
SEPARATOR = ":"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
_ARG = re.compile(r"^[A-Za-z0-9_.+\-]{0,40}$")


class CallbackDataError(ValueError):
    """Callback data that is not ours, malformed or too long."""


@dataclass(frozen=True)
class CallbackData:
    """A decoded button payload."""

    feature: str
    verb: str
    args: tuple[str, ...] = ()

    def encode(self) -> str:
        return encode(self.feature, self.verb, *self.args)

    def arg(self, index: int) -> str:
        try:
            return self.args[index]
        except IndexError:
            raise CallbackDataError(f"missing argument {index}") from None

    def int_arg(self, index: int) -> int:
        value = self.arg(index)
        if not re.fullmatch(r"-?\d{1,19}", value):
            raise CallbackDataError(f"argument {index} is not a number")
        return int(value)


def encode(feature: str, verb: str, *args: object) -> str:
    """Build callback data; raises ValueError if a part is invalid or the result too long."""
    if not _NAME.match(feature) or not _NAME.match(verb):
        raise CallbackDataError(f"bad feature or verb: {feature!r} {verb!r}")
    parts = [feature, verb]
    for arg in args:
        text = str(arg)
        if not _ARG.match(text):
            raise CallbackDataError(f"bad argument {text!r}")
        parts.append(text)
    data = SEPARATOR.join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise CallbackDataError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None, feature: str | None = None) -> CallbackData:
    """Parse callback data; raises CallbackDataError for anything we did not make."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise CallbackDataError("empty or oversized callback data")
    parts = data.split(SEPARATOR)
    if len(parts) < 2 or not _NAME.match(parts[0]) or not _NAME.match(parts[1]):
        raise CallbackDataError("malformed callback data")
    if any(not _ARG.match(arg) for arg in parts[2:]):
        raise CallbackDataError("malformed callback argument")
    if feature is not None and parts[0] != feature:
        raise CallbackDataError(f"callback data for {parts[0]!r}, expected {feature!r}")
    return CallbackData(parts[0], parts[1], tuple(parts[2:]))


def pattern(feature: str) -> str:
    """The anchored regex a CallbackQueryHandler uses for ``feature``."""
    if not _NAME.match(feature):
        raise CallbackDataError(f"bad feature {feature!r}")
    return rf"^{feature}{SEPARATOR}"
