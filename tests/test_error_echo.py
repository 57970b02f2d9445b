"""Error messages quote user input cut short: one error line stays one line on the screen."""

from __future__ import annotations

import pytest

from pystern.errors import (
    ECHO_LIMIT,
    MESSAGE_LIMIT,
    ApiError,
    PysternError,
    UsageError,
    shorten,
    shorten_words,
)
from pystern.fieldselectors import parse_field_selector
from pystern.selectors import SelectorError, parse_label_selector

LONG = "a" * 5000


def test_shorten() -> None:
    assert shorten("short") == "short"
    assert shorten("x" * ECHO_LIMIT) == "x" * ECHO_LIMIT
    assert shorten("x" * (ECHO_LIMIT + 1)) == "x" * ECHO_LIMIT + "..."
    assert shorten(LONG, 10) == "a" * 10 + "..."
    assert shorten(12345, 3) == "123..."


def test_shorten_words_cuts_only_long_runs() -> None:
    message = f'time: invalid duration "{LONG}" (see --help)'
    assert shorten_words(message) == f'time: invalid duration "{"a" * (ECHO_LIMIT - 1)}... (see --help)'
    assert shorten_words("a b c") == "a b c"


def test_every_error_message_is_bounded() -> None:
    # Words: a 5,000-character token is cut wherever a layer put it.
    message = str(UsageError(f"unknown flag: --{LONG} (did you mean --tail?)"))
    assert message == f"unknown flag: --{'a' * (ECHO_LIMIT - 2)}... (did you mean --tail?)"
    # The whole message: the start and the end survive.
    many = " ".join(f"w{i}" for i in range(2000))
    shown = str(ApiError(500, "InternalError", "start " + many + " end"))
    assert len(shown) <= MESSAGE_LIMIT
    assert shown.startswith("start w0 w1")
    assert shown.endswith("w1999 end")
    assert " ... " in shown
    # Short messages are untouched.
    assert str(PysternError("plain")) == "plain"


@pytest.mark.parametrize(
    "selector",
    [LONG + "=b", "app=" + LONG, f"{LONG} in (x)", "app in (x " + LONG, "!" + LONG + "/x"],
    ids=["key", "value", "key-in", "in-list", "prefix"],
)
def test_label_selector_errors_quote_the_input_cut_short(selector: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_label_selector(selector)
    message = str(info.value)
    assert len(message) < 400, message
    assert "a" * 80 + "..." in message, message


@pytest.mark.parametrize("selector", [LONG, "a=" + LONG + "\\x", "a=b," + LONG])
def test_field_selector_errors_quote_the_input_cut_short(selector: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_field_selector(selector)
    message = str(info.value)
    assert len(message) < 400, message
    assert "a" * 80 + "..." in message, message
