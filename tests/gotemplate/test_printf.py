"""Go fmt verbs, flags and error markers (table plus hypothesis round trips)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystern.gotemplate import StringMap
from pystern.gotemplate.gofmt import quote
from pystern.gotemplate.literals import parse_string
from pystern.gotemplate.sprintf import sprintf

PRINTF = [
    ("verbs", "%d %s %v %q %t %%", (42, "s", [1, "a"], "q\n", True), '42 s [1 a] "q\\n" true %'),
    (
        "float",
        "%5.2f|%e|%g|%v|%.3g",
        (3.14159, 1e6, 1e21, 1234567.0, 1234.5),
        " 3.14|1.000000e+06|1e+21|1.234567e+06|1.23e+03",
    ),
    ("width-flags", "|%-5s|%05d|%+d|% d|%5s|", ("ab", 42, 3, 4, "x"), "|ab   |00042|+3| 4|    x|"),
    ("star", "%*d|%-*d|%.*f", (4, 7, 3, 1, 2, 3.14159), "   7|1  |3.14"),
    (
        "bases",
        "%x %X %o %b %#x %#o %c %U",
        (255, 255, 8, 5, 255, 8, 65, 0x1F600),
        "ff FF 10 101 0xff 010 A U+1F600",
    ),
    ("string-hex", "%x % x %X", ("hi", "hi", "hi"), "6869 68 69 6869"),
    ("precision-string", "%.2s|%.0d", ("héllo", 0), "hé|"),
    (
        "type",
        "%T %T %T %T %T",
        ({"a": 1}, [1], 1.5, None, StringMap()),
        "map[string]interface {} []interface {} float64 <nil> map[string]string",
    ),
    ("bad-verb", "%d %s", ("hi", 1), "%!d(string=hi) %!s(int=1)"),
    ("missing", "%s %d", ("a",), "a %!d(MISSING)"),
    ("extra", "%s", ("a", 1, "b"), "a%!(EXTRA int=1, string=b)"),
    ("noverb", "%", (), "%!(NOVERB)"),
    ("quote-char", "%q %q", (97, 0x263A), "'a' '☺'"),
    ("quote-ascii", "%+q", ("☺\x01",), '"\\u263a\\x01"'),
    ("nil", "%v %s %d", (None, None, None), "<nil> %!s(<nil>) %!d(<nil>)"),
    ("map-verb-inside", "%s", ({"a": 1},), "map[a:%!s(int=1)]"),
    ("zero-pad-text", "%08s|%05t|%06s", ("ab", True, "héllo"), "000000ab|0true|0héllo"),
    (
        "zero-pad-numbers",
        "%#08x|%08.3f|%-08d|%+05d|%05d|%8.3d",
        (255, -3.14159, 5, 3, -42, 7),
        "0x000000ff|-003.142|5       |+0003|-0042|     007",
    ),
    ("inf-never-zero-padded", "%06.2f|%v", (float("inf"), float("-inf")), "  +Inf|-Inf"),
    ("explicit-index", "%[2]d %[1]d|%[3]d", (1, 2), "2 1|%!d(BADINDEX)"),
]


@pytest.mark.parametrize(("fmt", "args", "want"), [c[1:] for c in PRINTF], ids=[c[0] for c in PRINTF])
def test_printf(fmt: str, args: tuple[Any, ...], want: str) -> None:
    assert sprintf(fmt, *args) == want


@given(st.text())
def test_quote_round_trip(s: str) -> None:
    assert parse_string(quote(s)) == s
    assert parse_string(sprintf("%q", s)) == s


@given(st.integers(-(2**63), 2**63 - 1), st.integers(0, 20))
def test_printf_ints_like_python(n: int, width: int) -> None:
    assert sprintf("%*d", width, n) == f"{n:{width}d}"
    assert sprintf("%x", n) == (f"-{-n:x}" if n < 0 else f"{n:x}")
