"""``LineFilter.keep_lines`` (whole batches, word fast path) decides exactly like ``keep`` per line."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.render import literals
from pystern.render.linefilter import LineFilter
from pystern.render.literals import Words, hits, words_of

RX = regex.compile


def _per_line(flt: LineFilter, messages: list[bytes]) -> list[bytes]:
    return [m for m in messages if flt.keep(m.decode("utf-8", "surrogateescape"))]


def _filter(includes: tuple[str, ...], excludes: tuple[str, ...]) -> LineFilter:
    return LineFilter(tuple(map(RX, includes)), tuple(map(RX, excludes)), (), lambda text: None)


# Pattern sets: words (fast path), (?i) words, mixed case rules, and real regexes (regex route).
PATTERNS = [
    (),
    ("error",),
    ("error|warn",),
    ("err", "warn|fail"),
    ("(?i)error",),
    ("(?i)Kelvin|s",),  # non-ASCII case partners: U+212A KELVIN SIGN, U+017F LONG S
    ("(?i)warn", "error"),  # mixed case rules: the combined regex decides
    ("a b=c",),
    ('"level":"error"',),
    ("^err",),
    ("error$",),
    ("e.r",),
    (r"\d{3}",),
    ("",),
]
PIECES = [
    b"error",
    b"ERROR",
    b"Err",
    b"warn",
    b"fail",
    b" ",
    b"a b=c",
    b'"level":"error"',
    b"x",
    b"123",
    "\u212a".encode(),
    "\u017f".encode(),
    "\u00e9".encode(),
    b"\xff",
    b"\xe2\x80",
    b"\x00",
    b"\x01",
    b"\t",
]
messages = st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map(b"".join), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATTERNS), st.sampled_from(PATTERNS), messages)
def test_keep_lines_matches_keep(
    includes: tuple[str, ...], excludes: tuple[str, ...], batch: list[bytes]
) -> None:
    flt = _filter(includes, excludes)
    if flt.filters:
        assert flt.keep_lines(batch) == _per_line(flt, batch)


@pytest.mark.parametrize(
    ("patterns", "words"),
    [
        (("error",), Words((b"error",), False)),
        (("error|warn", "warn|x"), Words((b"error", b"warn", b"x"), False)),
        (("(?i)Error|WARN",), Words((b"error", b"warn"), True)),
        (('"level":"error"',), Words((b'"level":"error"',), False)),
        (("e.r",), None),
        (("a||b",), None),  # an empty alternative matches everywhere
        (("(?i)a", "b"), None),
        (("caf\u00e9",), None),
        (("a(?i)b",), None),
    ],
    ids=[
        "word",
        "alternations",
        "ignore-case",
        "json-ish",
        "dot",
        "empty",
        "mixed",
        "non-ascii",
        "inline-flag",
    ],
)
def test_words_of(patterns: tuple[str, ...], words: Words | None) -> None:
    assert words_of(tuple(map(RX, patterns))) == words


def test_hits_counts_occurrences_per_line() -> None:
    words = Words((b"error", b"warn"), False)
    found = hits(words, [b"error and warn", b"ok", b"errors", b""])
    assert found is not None
    assert list(map(len, found)) == [2, 0, 1, 0]
    assert hits(words, [b"ok", b"fine"]) == [b"", b""]


# Words that overlap themselves or each other, and pieces that build such occurrences.
OVERLAPPING = [b"aa", b"aba", b"ab", b"ba", b"b", b"aaa"]
FOLD_PIECES = [b"a", b"B", b"Ab", b" ", b"\x01", b"\xff"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(OVERLAPPING), min_size=1, max_size=3, unique=True),
    st.booleans(),
    st.lists(
        st.lists(st.sampled_from([b"a", b"B", b"Ab", b" ", b"\x01", b"\xff"]), max_size=8).map(b"".join)
    ),
)
def test_hits_are_the_same_with_and_without_stringzilla(
    words: list[bytes], fold: bool, batch: list[bytes]
) -> None:
    if literals._stringzilla() is None:
        pytest.skip("stringzilla (the fast extra) is not installed")
    marked = hits(Words(tuple(words), fold), batch)
    cached = literals._stringzilla
    literals._stringzilla = lambda: None  # type: ignore[assignment]  # CPython's bytes methods
    try:
        assert hits(Words(tuple(words), fold), batch) == marked
    finally:
        literals._stringzilla = cached


def test_hits_leave_batches_they_cannot_mark() -> None:
    folded = Words((b"k",), True)
    assert hits(folded, ["\u212a".encode()]) is None  # non-ASCII under (?i): the regex decides
    every_control = bytes(b for b in range(0x20) if b != 0x0A)
    assert hits(Words((b"a",), False), [every_control + b"a"]) is None  # no free marker byte
    assert hits(Words((b"a",), False), [every_control[1:] + b"a"]) is None  # a marker but no filler
    assert hits(Words((b"ab",), False), [every_control[2:] + b"ab"]) == [b"\x00"]
    assert hits(Words((b"a",), False), [b"a\na"]) is None  # a newline inside a line


def test_a_newline_inside_a_message_is_still_one_message() -> None:
    flt = _filter(("b",), ("x",))
    assert flt.keep_lines([b"a\nb", b"c", b"x\nb"]) == [b"a\nb"]
