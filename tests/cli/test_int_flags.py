"""Integer flags parse like pflag's ints: Go's ``strconv.ParseInt(s, 0, 64)``.

Base prefixes (``0x``, ``0o``, ``0b``, and a bare leading ``0`` for octal), underscores between digits
(only where Go's integer-literal syntax puts them), one optional sign, and nothing else: no spaces, no
non-ASCII digits.  The expected values are those of Go's own strconv tests and the Go spec.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystern.config.flags import BY_NAME, FLAGS, Flag, FlagValueError, Kind, parse_scalar
from pystern.options import Config

INT_FLAGS = [flag for flag in FLAGS if flag.kind is Kind.INT]
TAIL = BY_NAME["tail"]

GOOD = [
    ("10", 10),
    ("+10", 10),
    ("-1", -1),
    ("0", 0),
    ("-0", 0),
    ("0x10", 16),
    ("0X1f", 31),
    ("-0x10", -16),
    ("010", 8),
    ("00", 0),
    ("0o17", 15),
    ("0O17", 15),
    ("0b101", 5),
    ("0B11", 3),
    ("1_000", 1000),
    ("1_2_3_4_5", 12345),
    ("-1_2_3_4_5", -12345),
    ("0x_1_2", 0x12),
    ("0b_1", 1),
    ("0_7", 7),
    ("9223372036854775807", 2**63 - 1),
    ("-9223372036854775808", -(2**63)),
    ("0x7fffffffffffffff", 2**63 - 1),
]

SYNTAX = [
    " 5",
    "5 ",
    "\t5",
    "5\n",
    "",
    "-",
    "+",
    "--5",
    "+-5",
    "08",
    "09",
    "0x",
    "0b",
    "0o",
    "0b2",
    "0o8",
    "0xg",
    "1.0",
    "1e3",
    "ten",
    "_1",
    "1_",
    "1__0",
    "0x_",
    "0_",
    "-_1",
    "0x__1",
    "\uff15",  # FULLWIDTH DIGIT FIVE: Python's int() takes it, Go does not
    "\u0665",  # ARABIC-INDIC DIGIT FIVE
]

RANGE = ["9223372036854775808", "-9223372036854775809", "0x8000000000000000", "99999999999999999999"]


@pytest.mark.parametrize(("text", "expected"), GOOD, ids=[t for t, _ in GOOD])
def test_go_spellings_parse(text: str, expected: int) -> None:
    assert parse_scalar(TAIL, text) == expected


@pytest.mark.parametrize("text", SYNTAX, ids=[repr(t) for t in SYNTAX])
def test_go_rejects_these(text: str) -> None:
    with pytest.raises(FlagValueError, match="not an integer"):
        parse_scalar(TAIL, text)


@pytest.mark.parametrize("text", RANGE)
def test_out_of_int64_range(text: str) -> None:
    with pytest.raises(FlagValueError, match="out of range"):
        parse_scalar(TAIL, text)


def test_leading_zero_with_8_or_9_says_octal() -> None:
    with pytest.raises(FlagValueError) as info:
        parse_scalar(TAIL, "08")
    assert (
        str(info.value) == 'invalid value "08" for --tail: not an integer (a leading 0 means octal, as in Go)'
    )


@pytest.mark.parametrize("flag", INT_FLAGS, ids=[f.name for f in INT_FLAGS])
@pytest.mark.parametrize(("text", "expected"), [("0x10", 16), ("010", 8), ("0b101", 5)])
def test_every_int_flag_takes_a_base_prefix(flag: Flag, text: str, expected: int) -> None:
    assert parse_scalar(flag, text) == expected


@pytest.mark.parametrize("flag", INT_FLAGS, ids=[f.name for f in INT_FLAGS])
def test_every_int_flag_rejects_spaces(flag: Flag) -> None:
    with pytest.raises(FlagValueError, match="not an integer"):
        parse_scalar(flag, " 5")


@pytest.mark.parametrize(
    ("argv", "check"),
    [
        (["--tail", "0x10", "."], lambda c: c.follow.tail_lines == 16),
        (["--max-log-requests=010", "."], lambda c: c.follow.max_log_requests == 8),
        (["--burst", "0b101", "."], lambda c: c.connection.burst == 5),
        (["--verbosity", "0o7", "."], lambda c: c.connection.verbosity == 7),
    ],
)
def test_command_line(cfg: Callable[..., Config], argv: list[str], check: Callable[[Config], bool]) -> None:
    assert check(cfg(*argv))


def test_command_line_rejects_a_padded_value(cfg: Callable[..., Config]) -> None:
    with pytest.raises(FlagValueError, match=r'invalid value " 5" for --tail: not an integer'):
        cfg("--tail", " 5", ".")


@given(st.integers(-(2**63), 2**63 - 1), st.sampled_from(["d", "x", "X", "o", "b"]))
def test_round_trip(number: int, style: str) -> None:
    sign, magnitude = ("-" if number < 0 else ""), abs(number)
    prefix = {"d": "", "x": "0x", "X": "0X", "o": "0o", "b": "0b"}[style]
    text = sign + prefix + format(magnitude, style.lower() if style != "X" else "X")
    assert parse_scalar(TAIL, text) == number
