"""--timezone loading and the timestamp formatter's cache."""

from __future__ import annotations

import datetime as dt

import pytest

from pystern.errors import UsageError
from pystern.options import TimestampFormat
from pystern.render import load_timezone
from pystern.render.timestamps import TimestampFormatter


def test_load_timezone_names() -> None:
    assert load_timezone("UTC") is dt.UTC
    assert str(load_timezone("Asia/Tokyo")) == "Asia/Tokyo"
    assert str(load_timezone("Local", {"TZ": ":Europe/Paris"})) == "Europe/Paris"
    assert load_timezone("Local", {"TZ": "No/Such"}) is dt.UTC  # like Go: an unusable $TZ is UTC
    assert load_timezone("Local", {}) is not None


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "Asia/"])
def test_unknown_zone(name: str) -> None:
    with pytest.raises(UsageError, match=f"unknown time zone {name}"):
        load_timezone(name)


def test_formatter_rejects_non_timestamps() -> None:
    fmt = TimestampFormatter(TimestampFormat.DEFAULT, dt.UTC)
    assert fmt.format(b"2023-01-27T13:20:48.12345678xZ") is None
    assert fmt.format(b"not-a-time") is None
    assert fmt.format(b"2023-01-27T13:20:48.123456789Z") == b"2023-01-27T13:20:48.123456789Z"


def test_formatter_cache_is_bounded() -> None:
    fmt = TimestampFormatter(TimestampFormat.SHORT, dt.UTC)
    for second in range(9000):
        stamp = dt.datetime(2023, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=second)
        assert (
            fmt.format(stamp.strftime("%Y-%m-%dT%H:%M:%S.000000000Z").encode())
            == stamp.strftime("%m-%d %H:%M:%S").encode()
        )
    assert len(fmt.seconds) <= 8192
