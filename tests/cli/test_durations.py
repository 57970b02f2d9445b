"""Durations (--since, --sort-window, --request-timeout) read as Go's time.ParseDuration reads them.

Expected values and messages follow Go's algorithm: digits are ASCII only, a unit is every
character up to the next digit or '.', and a total past int64 nanoseconds is invalid.
"""

from __future__ import annotations

import pytest

from pystern.timefmt import parse_go_duration

GOOD = [
    ("0", 0.0),
    ("-0", 0.0),
    ("5s", 5.0),
    ("+5s", 5.0),
    ("-5s", -5.0),
    ("1h30m", 5400.0),
    ("1.5h", 5400.0),
    ("1.h", 3600.0),
    (".5m", 30.0),
    ("300ms", 0.3),
    ("1us", 1e-6),
    ("1µs", 1e-6),
    ("1μs", 1e-6),
    ("1ns", 1e-9),
    ("1h0.5m", 3630.0),
    ("0005s", 5.0),
    # The largest Go duration, 2562047h47m16.854775807s, and the most negative one.
    ("9223372036854775807ns", 9223372036.854775807),
    ("2562047h47m16.854775807s", 9223372036.854775807),
    ("-9223372036854775808ns", -9223372036.854775808),
]  # fmt: skip


@pytest.mark.parametrize(("text", "seconds"), GOOD, ids=[t for t, _ in GOOD])
def test_go_accepts(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds, rel=1e-12, abs=1e-12)


BAD = [
    ("", 'time: invalid duration ""'),
    ("abc", 'time: invalid duration "abc"'),
    ("5", 'time: missing unit in duration "5"'),
    ("1h30", 'time: missing unit in duration "1h30"'),
    ("1.5.h", 'time: missing unit in duration "1.5.h"'),
    (".h", 'time: invalid duration ".h"'),
    ("-", 'time: invalid duration "-"'),
    ("1h-5m", 'time: unknown unit "h-" in duration "1h-5m"'),
    (" 5m", 'time: invalid duration " 5m"'),
    # A unit is everything up to the next digit or '.': the common slips are named as Go names them.
    ("10min", 'time: unknown unit "min" in duration "10min"'),
    ("5mins", 'time: unknown unit "mins" in duration "5mins"'),
    ("2hours", 'time: unknown unit "hours" in duration "2hours"'),
    ("1sec", 'time: unknown unit "sec" in duration "1sec"'),
    ("1hr", 'time: unknown unit "hr" in duration "1hr"'),
    ("1h30min", 'time: unknown unit "min" in duration "1h30min"'),
    ("1H", 'time: unknown unit "H" in duration "1H"'),
    ("1e3s", 'time: unknown unit "e" in duration "1e3s"'),
    ("2d", 'time: unknown unit "d" in duration "2d"'),
    # Go's digits are ASCII: other scripts' digits are not numbers.
    ("\u0663h", 'time: invalid duration "\\xd9\\xa3h"'),
    ("1\u0663h", 'time: unknown unit "\\xd9\\xa3h" in duration "1\\xd9\\xa3h"'),
    # Go's time.quote: non-ASCII and control characters as \x bytes of their UTF-8, '"' escaped;
    # an undecodable byte from the command line (read by Python as a surrogate) is that byte.
    ("5µsx", 'time: unknown unit "\\xc2\\xb5sx" in duration "5\\xc2\\xb5sx"'),
    ('1"\t', 'time: unknown unit "\\"\\x09" in duration "1\\"\\x09"'),
    ("1\udcff", 'time: unknown unit "\\xff" in duration "1\\xff"'),
    # Past int64 nanoseconds (about 2562047h) Go refuses the value; the kubelet's arithmetic would
    # overflow on it and show nothing.
    ("2562048h", 'time: invalid duration "2562048h"'),
    ("10000000000h", 'time: invalid duration "10000000000h"'),
    ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
    ("99999999999999999999s", 'time: invalid duration "99999999999999999999s"'),
    ("2562047h47m16.854775808s", 'time: invalid duration "2562047h47m16.854775808s"'),
    ("-9223372036854775809ns", 'time: invalid duration "-9223372036854775809ns"'),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD, ids=[repr(t) for t, _ in BAD])
def test_go_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"^time: ") as caught:
        parse_go_duration(text)
    assert str(caught.value) == message
