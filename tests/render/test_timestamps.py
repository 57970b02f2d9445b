"""--timezone loading and the timestamp formatter's cache."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import zoneinfo
from pathlib import Path

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


def _zone_file(tmp_path: Path, key: str) -> Path:
    """A copy of the TZif file of ``key`` (system zoneinfo or the tzdata package)."""
    for root in zoneinfo.TZPATH:
        if (Path(root) / key).is_file():
            data = (Path(root) / key).read_bytes()
            break
    else:
        package, _, name = f"tzdata.zoneinfo.{key}".replace("/", ".").rpartition(".")
        data = importlib.resources.files(package).joinpath(name).read_bytes()
    target = tmp_path / "my-zone"
    target.write_bytes(data)
    return target


@pytest.mark.parametrize("prefix", [":", ""])
def test_tz_env_may_name_a_zone_file(tmp_path: Path, prefix: str) -> None:
    # Go's time.Local reads an absolute $TZ as a file: `TZ=:/etc/localtime` is a common setting.
    path = _zone_file(tmp_path, "Asia/Tokyo")
    zone = load_timezone("Local", {"TZ": prefix + str(path)})
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.UTC).astimezone(zone)
    assert moment.utcoffset() == dt.timedelta(hours=9)
    assert load_timezone("Local", {"TZ": prefix + str(tmp_path / "missing")}) is dt.UTC


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
