"""Go time layouts (``2006-01-02T15:04:05Z07:00``): formatting, parsing, zones, ``time.Time.String``.

A layout is split into Go's "std chunks" (the reference time's parts) and literal text once; formatting
fills the chunks from civil fields computed here (not ``datetime``, so year 0 from ``Kitchen`` works),
parsing builds one regex per layout.  Zones come from ``zoneinfo`` (IANA names), ``Local`` from ``TZ``.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import zoneinfo
from collections.abc import Callable

from pystern.gotemplate.values import GoTime
from pystern.timefmt import go_local_zone

RFC3339 = "2006-01-02T15:04:05Z07:00"
RFC3339_NANO = "2006-01-02T15:04:05.999999999Z07:00"
TIME_STRING = "2006-01-02 15:04:05.999999999 -0700 MST"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]  # fmt: skip
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

# Longest first where one chunk is a prefix of another.
_STD = [
    "January", "Jan", "Monday", "Mon", "MST",
    "-07:00:00", "-070000", "-07:00", "-0700", "-07",
    "Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07",
    "2006", "002", "__2", "_2", "01", "02", "03", "04", "05", "06", "15", "1", "2", "3", "4", "5", "PM", "pm",
]  # fmt: skip
_FRAC = re.compile(r"[.,](0+|9+)(?!\d)")


@functools.lru_cache(maxsize=256)
def chunks(layout: str) -> tuple[tuple[bool, str], ...]:
    """Split a layout into ``(is_std, text)`` parts, following Go's ``nextStdChunk``."""
    out: list[tuple[bool, str]] = []
    lit: list[str] = []
    i = 0
    while i < len(layout):
        m = _FRAC.match(layout, i)
        if m is not None:
            out.append((False, "".join(lit)))
            lit = []
            out.append((True, m.group(0)))
            i = m.end()
            continue
        for std in _STD:
            if layout.startswith(std, i):
                # "Jan"/"Mon" only count when not followed by a lower-case letter ("Janet" is literal).
                if std in ("Jan", "Mon") and layout[i + 3 : i + 4].islower():
                    continue
                if std == "_2" and layout.startswith("_2006", i):
                    continue
                out.append((False, "".join(lit)))
                lit = []
                out.append((True, std))
                i += len(std)
                break
        else:
            lit.append(layout[i])
            i += 1
    out.append((False, "".join(lit)))
    return tuple(c for c in out if c[0] or c[1])


def days_to_civil(days: int) -> tuple[int, int, int]:
    """The proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (any year)."""
    # Howard Hinnant's civil_from_days: exact for any year, including 0 and negatives.
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def civil_to_days(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def zone_at(t: GoTime) -> tuple[int, str]:
    """UTC offset in seconds and the zone abbreviation of ``t`` in its location."""
    tz = t.tz
    if tz is dt.UTC:
        return 0, t.loc or "UTC"
    sec = t.ns // 1_000_000_000
    clamped = min(max(sec, -62135596800 + 86400), 253402300799 - 86400)
    moment = dt.datetime.fromtimestamp(0, dt.UTC) + dt.timedelta(seconds=clamped)
    local = moment.astimezone(tz)
    offset = local.utcoffset()
    total = int(offset.total_seconds()) if offset is not None else 0
    name = t.loc if isinstance(tz, dt.timezone) and t.loc else (local.tzname() or "")
    if isinstance(tz, dt.timezone) and not t.loc:
        name = ""
    return total, name


def format_layout(t: GoTime, layout: str) -> str:
    """``t.Format(layout)``."""
    offset, zname = zone_at(t)
    sec, nsec = divmod(t.ns, 1_000_000_000)
    local = sec + offset
    days, rem = divmod(local, 86400)
    year, month, day = days_to_civil(days)
    hour, rem = divmod(rem, 3600)
    minute, second = divmod(rem, 60)
    out: list[str] = []
    for is_std, text in chunks(layout):
        if not is_std:
            out.append(text)
            continue
        out.append(_fmt_std(text, year, month, day, days, hour, minute, second, nsec, offset, zname))
    return "".join(out)


def _fmt_std(std: str, year: int, month: int, day: int, days: int, hour: int, minute: int, second: int,
             nsec: int, offset: int, zname: str) -> str:  # fmt: skip
    c = std[0]
    if std in ("January", "Jan"):
        return MONTHS[month - 1] if std == "January" else MONTHS[month - 1][:3]
    if std in ("Monday", "Mon"):
        name = DAYS[(days + 4) % 7]
        return name if std == "Monday" else name[:3]
    simple: dict[str, Callable[[], str]] = {
        "2006": lambda: f"{year:04d}" if year >= 0 else f"-{-year:04d}",
        "06": lambda: f"{year % 100:02d}",
        "01": lambda: f"{month:02d}",
        "1": lambda: str(month),
        "02": lambda: f"{day:02d}",
        "2": lambda: str(day),
        "_2": lambda: f"{day:2d}",
        "002": lambda: f"{days - civil_to_days(year, 1, 1) + 1:03d}",
        "__2": lambda: f"{days - civil_to_days(year, 1, 1) + 1:3d}",
        "15": lambda: f"{hour:02d}",
        "3": lambda: str(hour % 12 or 12),
        "03": lambda: f"{hour % 12 or 12:02d}",
        "04": lambda: f"{minute:02d}",
        "4": lambda: str(minute),
        "05": lambda: f"{second:02d}",
        "5": lambda: str(second),
        "PM": lambda: "PM" if hour >= 12 else "AM",
        "pm": lambda: "pm" if hour >= 12 else "am",
    }
    if std in simple:
        return simple[std]()
    if c in ".,":
        digits = f"{nsec:09d}"[: len(std) - 1]
        if std[1] == "9":
            digits = digits.rstrip("0")
            return std[0] + digits if digits else ""
        return std[0] + digits
    if std == "MST":
        if zname:
            return zname
        mins = offset // 60
        sign = "-" if mins < 0 else "+"
        mins = abs(mins)
        return f"{sign}{mins // 60:02d}{mins % 60:02d}"
    # Numeric zones; the "Z" forms print Z for UTC.
    if c == "Z" and offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    a = abs(offset)
    body = std[1:]
    text = f"{sign}{a // 3600:02d}"
    if body in ("07:00", "07:00:00"):
        text += f":{a % 3600 // 60:02d}"
    elif body in ("0700", "070000"):
        text += f"{a % 3600 // 60:02d}"
    if body == "07:00:00":
        text += f":{a % 60:02d}"
    elif body == "070000":
        text += f"{a % 60:02d}"
    return text


def go_time_string(t: GoTime) -> str:
    """``time.Time.String()``."""
    return format_layout(t, TIME_STRING)


def go_time_gostring(t: GoTime) -> str:
    """``time.Time.GoString()`` (what ``%#v`` prints): ``time.Date(2024, time.March, 5, ...)``."""
    year, month, day, hour, minute, sec = (int(x) for x in format_layout(t, "2006 1 2 15 4 5").split())
    zone = {"UTC": "time.UTC", "Local": "time.Local"}.get(t.loc) or f'time.Location("{t.loc}")'
    nsec = t.ns % 1_000_000_000
    return f"time.Date({year}, time.{MONTHS[month - 1]}, {day}, {hour}, {minute}, {sec}, {nsec}, {zone})"


@functools.lru_cache(maxsize=1)
def local_zone() -> tuple[dt.tzinfo, str]:
    """Go's ``time.Local``: ``$TZ`` if set (empty = UTC), else /etc/localtime, else UTC."""
    return go_local_zone(os.environ.get("TZ"))


def load_location(name: str) -> tuple[dt.tzinfo, str]:
    """``time.LoadLocation``: ``""``/``UTC``, ``Local`` or an IANA name; ``ValueError`` in Go's words."""
    if name in ("", "UTC"):
        return dt.UTC, "UTC"
    if name == "Local":
        return local_zone()
    if ".." in name or name.startswith("/") or "\\" in name:
        raise ValueError("time: invalid location name")
    try:
        return zoneinfo.ZoneInfo(name), name
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name}") from None
