"""Callback data: one codec, 64 bytes at most, anything else refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callback_data import MAX_BYTES, CallbackDataError, decode, encode, pattern


def test_round_trip() -> None:
    data = encode("triage", "ans", 42, "yes")
    assert data == "triage:ans:42:yes"
    decoded = decode(data, "triage")
    assert (decoded.feature, decoded.verb, decoded.args) == ("triage", "ans", ("42", "yes"))
    assert decoded.int_arg(0) == 42


def test_too_long_is_refused_when_encoding() -> None:
    with pytest.raises(CallbackDataError):
        encode("diary", "edit", "x" * 40, "y" * 40)


@pytest.mark.parametrize("data", ["", "triage", "TRIAGE:x", "triage:ans:<script>", "a" * 65, None])
def test_malformed_data_is_refused(data: str | None) -> None:
    with pytest.raises(CallbackDataError):
        decode(data)


def test_wrong_feature_is_refused() -> None:
    with pytest.raises(CallbackDataError):
        decode("diary:open:1", "triage")


def test_int_arg_refuses_text() -> None:
    with pytest.raises(CallbackDataError):
        decode("diary:open:abc").int_arg(0)


def test_pattern_is_anchored() -> None:
    assert pattern("triage") == "^triage:"


@given(st.text(max_size=100))
def test_decode_never_raises_anything_but_callback_data_error(data: str) -> None:
    try:
        decoded = decode(data)
    except CallbackDataError:
        return
    assert len(decoded.encode().encode()) <= MAX_BYTES
