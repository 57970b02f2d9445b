"""Turning template values into Go times as stern does (its Unix-seconds helper, then spf13/cast).

A string or ``json.Number`` of the form ``<seconds>[.<fraction>]`` is a Unix time in the local zone
(fraction truncated to 9 digits); other strings are tried against cast's layout list; integers are Unix
seconds; ``nil`` is the zero time.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from pystern.gotemplate.gofmt import type_name
from pystern.gotemplate.sprintf import sprintf
from pystern.gotemplate.timelayout import MONTHS, chunks, civil_to_days, local_zone
from pystern.gotemplate.values import GoTime, JsonNumber

ZERO_TIME = GoTime(civil_to_days(1, 1, 1) * 86400 * 1_000_000_000, dt.UTC, "UTC")
_INT64 = re.compile(r"[+-]?\d+\Z")

# spf13/cast's list: (layout, zone handling) where "wall" means the wall clock is re-read in UTC.
_CAST_LAYOUTS = [
    ("2006-01-02T15:04:05Z07:00", "num"),
    ("2006-01-02T15:04:05", "wall"),
    ("Mon, 02 Jan 2006 15:04:05 -0700", "num"),
    ("Mon, 02 Jan 2006 15:04:05 MST", "wall"),
    ("02 Jan 06 15:04 -0700", "num"),
    ("02 Jan 06 15:04 MST", "wall"),
    ("Monday, 02-Jan-06 15:04:05 MST", "wall"),
    ("2006-01-02 15:04:05.999999999 -0700 MST", "num"),
    ("2006-01-02T15:04:05-0700", "num"),
    ("2006-01-02 15:04:05Z0700", "num"),
    ("2006-01-02 15:04:05", "wall"),
    ("Mon Jan _2 15:04:05 2006", "wall"),
    ("Mon Jan _2 15:04:05 MST 2006", "wall"),
    ("Mon Jan 02 15:04:05 -0700 2006", "num"),
    ("2006-01-02 15:04:05Z07:00", "num"),
    ("2006-01-02", "wall"),
    ("02 Jan 2006", "wall"),
    ("2006-01-02 15:04:05 -07:00", "num"),
    ("2006-01-02 15:04:05 -0700", "num"),
    ("3:04PM", "wall"),
    ("Jan _2 15:04:05", "wall"),
    ("Jan _2 15:04:05.000", "wall"),
    ("Jan _2 15:04:05.000000", "wall"),
    ("Jan _2 15:04:05.000000000", "wall"),
]

_STD_RE = {
    "2006": r"(?P<year>\d{4})", "06": r"(?P<yy>\d{2})", "01": r"(?P<month>\d{2})", "1": r"(?P<month>\d{1,2})",
    "January": r"(?P<monthname>[A-Za-z]{3,9})", "Jan": r"(?P<mon>[A-Za-z]{3})",
    # time.Parse looks weekday names up (any case), though it does not check them against the date.
    "Monday": r"(?i:sunday|monday|tuesday|wednesday|thursday|friday|saturday)",
    "Mon": r"(?i:sun|mon|tue|wed|thu|fri|sat)",
    "02": r"(?P<day>\d{2})", "2": r"(?P<day>\d{1,2})", "_2": r" ?(?P<day>\d{1,2})",
    "15": r"(?P<hour>\d{1,2})", "03": r"(?P<hour12>\d{2})", "3": r"(?P<hour12>\d{1,2})",
    "04": r"(?P<minute>\d{2})", "4": r"(?P<minute>\d{1,2})",
    "05": r"(?P<second>\d{2})(?:[.,](?P<frac>\d+))?", "5": r"(?P<second>\d{1,2})(?:[.,](?P<frac>\d+))?",
    "PM": r"(?P<pm>AM|PM)", "pm": r"(?P<pm>am|pm)",
    # time.Parse's zone names: UTC, ChST/MeST, GMT+h, +hh, three capitals, four or five ending in T.
    "MST": r"(?P<zname>UTC|ChST|MeST|GMT(?:[+-]\d+)?|[+-]\d+|WITA|[A-Z]{4}T|[A-Z]{3}T?)",
    "Z07:00": r"(?P<zone>Z|[+-]\d{2}:\d{2})", "Z0700": r"(?P<zone>Z|[+-]\d{4})",
    "-07:00": r"(?P<zone>[+-]\d{2}:\d{2})", "-0700": r"(?P<zone>[+-]\d{4})",
}  # fmt: skip


@functools.lru_cache(maxsize=64)
def _layout_re(layout: str) -> re.Pattern[str]:
    parts = []
    items = chunks(layout)
    for i, (is_std, text) in enumerate(items):
        if not is_std:
            parts.append(re.escape(text))
        elif text[0] in ".,":
            parts.append(r"[.,](?P<frac>\d+)" if text[1] == "0" else r"(?:[.,](?P<frac>\d+))?")
        elif text in ("05", "5") and i + 1 < len(items) and items[i + 1][0] and items[i + 1][1][0] in ".,":
            # An explicit fraction follows: the seconds field must not also take one.
            parts.append(_STD_RE[text].split("(?:")[0])
        else:
            parts.append(_STD_RE[text])
    pattern = "".join(parts)
    return re.compile(pattern + r"\Z")


def _parse_layout(text: str, layout: str, mode: str) -> GoTime | None:
    m = _layout_re(layout).match(text)
    if m is None:
        return None
    g = m.groupdict()
    year = int(g["year"]) if g.get("year") else 0
    if g.get("yy"):
        yy = int(g["yy"])
        year = yy + (1900 if yy >= 69 else 2000)
    if g.get("mon") or g.get("monthname"):
        name = (g.get("mon") or g.get("monthname") or "").lower()
        names = [n.lower() for n in MONTHS] if g.get("monthname") else [n[:3].lower() for n in MONTHS]
        if name not in names:
            return None
        month = names.index(name) + 1
    else:
        month = int(g["month"]) if g.get("month") else 1
    day = int(g["day"]) if g.get("day") else 1
    hour = int(g["hour"]) if g.get("hour") else 0
    if g.get("hour12"):
        hour = int(g["hour12"])
        if hour > 12:
            return None
        if g.get("pm") in ("PM", "pm"):
            hour = hour % 12 + 12
        elif g.get("pm"):
            hour %= 12
    minute = int(g["minute"]) if g.get("minute") else 0
    second = int(g["second"]) if g.get("second") else 0
    if not (1 <= month <= 12 and hour < 24 and minute < 60 and second < 60):
        return None
    try:
        if year >= 1:
            dt.date(year, month, day)
        elif not 1 <= day <= 31:
            return None
    except ValueError:
        return None
    frac = (g.get("frac") or "")[:9].ljust(9, "0")
    days = civil_to_days(year, month, day)
    ns = ((days * 86400 + hour * 3600 + minute * 60 + second) * 1_000_000_000) + int(frac)
    zname = g.get("zname") or ""
    signed = zname[3:] if zname.startswith("GMT") else zname
    if signed[:1] in ("+", "-") and int(signed[1:]) > 23:
        return None  # time.Parse takes "+hh" (or GMT+hh) as a zone name only up to 23 hours
    zone = g.get("zone")
    if mode == "num" and zone and zone != "Z":
        digits = zone.replace(":", "")
        hours, minutes = int(digits[1:3]), int(digits[3:5])
        # time.Parse allows up to 24 hours and 60 minutes; Python's zones stop short of 24 hours.
        if hours > 24 or minutes > 60 or hours * 60 + minutes >= 24 * 60:
            return None
        offset = hours * 3600 + minutes * 60
        offset = -offset if digits[0] == "-" else offset
        ns -= offset * 1_000_000_000
        return GoTime(ns, dt.timezone(dt.timedelta(seconds=offset)), "")
    return GoTime(ns, dt.UTC, "UTC")


def _unix_string(text: str) -> GoTime | None:
    parts = text.split(".")
    if len(parts) > 2 or not _INT64.match(parts[0]):
        return None
    sec = int(parts[0])
    nsec = 0
    if len(parts) == 2:
        frac = parts[1][:9].ljust(9, "0")
        if not _INT64.match(frac):
            return None
        nsec = int(frac)
    tz, loc = local_zone()
    return GoTime(sec * 1_000_000_000 + nsec, tz, loc)


def to_time(value: object) -> GoTime:
    """stern's ``toTimeE``; ``ValueError`` with cast's message when it cannot convert."""
    if isinstance(value, GoTime):
        return value
    if value is None:
        return ZERO_TIME
    if isinstance(value, str):
        unix = _unix_string(str(value))
        if unix is not None:
            return unix
        if isinstance(value, JsonNumber):
            text = re.sub(r"\.0*\Z", "", str(value))
            if _INT64.match(text):
                tz, loc = local_zone()
                return GoTime(int(text) * 1_000_000_000, tz, loc)
            raise ValueError(f"unable to cast {sprintf('%#v', str(value))} of type json.Number to time.Time")
        for layout, mode in _CAST_LAYOUTS:
            parsed = _parse_layout(str(value), layout, mode)
            if parsed is not None:
                return parsed
        raise ValueError(f"unable to parse date: {value}")
    if isinstance(value, int) and not isinstance(value, bool):
        tz, loc = local_zone()
        return GoTime(int(value) * 1_000_000_000, tz, loc)
    raise ValueError(f"unable to cast {sprintf('%#v', value)} of type {type_name(value)} to time.Time")


__all__ = ["ZERO_TIME", "to_time"]
