"""Time handling shared by the engine, the renderer and the sandbox (stdlib only).

Kubelet timestamps are ``RFC3339NanoFixed``: ``2006-01-02T15:04:05.000000000Z07:00``,
always 9 fractional digits.  We keep them as integer nanoseconds since the epoch so
that ordering and resume arithmetic are exact (a float loses the last digits).
Go duration syntax (``1h30m``, ``1.5h``, ``300ms``) is what stern's ``--since`` takes.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

NS_PER_SECOND = 1_000_000_000

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9})\d*)?(Z|z|[+-]\d{2}:\d{2})\Z"
)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def go_local_zone(tz_env: str | None) -> tuple[dt.tzinfo, str]:
    """Go's ``time.Local`` for a ``$TZ`` value (``None``: unset) as (zone, name).

    Unset: /etc/localtime.  Empty, ``:`` or ``UTC``: UTC.  A leading ``:`` is dropped; an
    absolute path is read as a zone file (``TZ=:/etc/localtime`` is a common setting); anything
    else is an IANA name.  What cannot be loaded is UTC, as in Go.
    """
    if tz_env is None:
        return _zone_file("/etc/localtime", "Local")
    key = tz_env.removeprefix(":")
    if key in ("", "UTC"):
        return dt.UTC, "UTC"
    if key.startswith("/"):
        return _zone_file(key, "Local" if key == "/etc/localtime" else key)
    try:
        return zoneinfo.ZoneInfo(key), "Local"
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return dt.UTC, "UTC"


def _zone_file(path: str, name: str) -> tuple[dt.tzinfo, str]:
    try:
        with open(path, "rb") as fh:
            return zoneinfo.ZoneInfo.from_file(fh, key=name), name
    except (OSError, ValueError):
        return dt.UTC, "UTC"


def parse_rfc3339_ns(text: str | bytes) -> int:
    """Parse an RFC3339 timestamp (any fraction, ``Z`` or offset) to epoch nanoseconds.

    Raises ``ValueError`` for anything else.
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    m = _RFC3339.match(text)
    if m is None:
        raise ValueError(f"cannot parse {text!r} as RFC3339")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac = m.group(7) or ""
    try:
        days = dt.date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError as exc:
        raise ValueError(f"cannot parse {text!r} as RFC3339: {exc}") from None
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError(f"cannot parse {text!r} as RFC3339: time out of range")
    seconds = days * 86400 + hour * 3600 + minute * 60 + second
    zone = m.group(8)
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds * NS_PER_SECOND + int(frac.ljust(9, "0") or "0")


def ns_to_datetime(ns: int, tz: dt.tzinfo = dt.UTC) -> dt.datetime:
    """Epoch nanoseconds to an aware datetime (microsecond precision) in ``tz``."""
    seconds, rest = divmod(ns, NS_PER_SECOND)
    return dt.datetime.fromtimestamp(seconds, tz) + dt.timedelta(microseconds=rest // 1000)


def _offset_text(offset: dt.timedelta | None, *, zulu: bool) -> str:
    total = int(offset.total_seconds()) if offset is not None else 0
    if total == 0 and zulu:
        return "Z"
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def format_rfc3339_nano_fixed(ns: int, tz: dt.tzinfo = dt.UTC) -> str:
    """Format as the kubelet does: 9 fractional digits, ``Z`` for a zero offset."""
    seconds, rest = divmod(ns, NS_PER_SECOND)
    moment = dt.datetime.fromtimestamp(seconds, tz)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{rest:09d}{_offset_text(moment.utcoffset(), zulu=True)}"


def format_rfc3339_seconds(ns: int) -> str:
    """Whole-second RFC3339 in UTC, as the kubelet receives ``sinceTime``."""
    return dt.datetime.fromtimestamp(ns // NS_PER_SECOND, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Nanoseconds per unit, as Go's time.ParseDuration knows them (µ as U+00B5 or U+03BC).
_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": NS_PER_SECOND,
    "m": 60 * NS_PER_SECOND,
    "h": 3600 * NS_PER_SECOND,
}
_DIGITS = re.compile(r"[0-9]*")
_UNIT = re.compile(r"[^0-9.]*")
_INT64_LIMIT = 1 << 63


def _go_quote(text: str) -> str:
    """Go's ``time.quote``: ``"`` and ``\\`` escaped, control and non-ASCII characters as ``\\x`` bytes."""
    out = ['"']
    for char in text:
        if char < " " or char >= "\x80":
            raw = char.encode("utf-8", "surrogateescape")  # a surrogate is an undecodable argv byte
            out.extend(f"\\x{byte:02x}" for byte in raw)
        elif char in '"\\':
            out.append("\\" + char)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def parse_go_duration(text: str) -> float:
    """Parse Go's ``time.ParseDuration`` syntax to seconds (may be negative).

    Follows Go's rules: ASCII digits, a unit is every character up to the next digit or
    ``.``, and a total beyond int64 nanoseconds (about 2562047h) is refused.  Raises
    ``ValueError`` with Go's message, e.g. ``time: unknown unit "d" in duration "1d"``.
    """
    invalid = ValueError(f"time: invalid duration {_go_quote(text)}")
    rest = text
    negative = rest[:1] == "-"
    if rest[:1] in ("+", "-"):
        rest = rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        raise invalid
    total = 0  # nanoseconds, exact, as Go sums them
    pos = 0
    while pos < len(rest):
        if rest[pos] != "." and not "0" <= rest[pos] <= "9":
            raise invalid
        whole = _DIGITS.match(rest, pos)
        assert whole is not None  # [0-9]* always matches
        pos = whole.end()
        fraction = ""
        if rest[pos : pos + 1] == ".":
            digits = _DIGITS.match(rest, pos + 1)
            assert digits is not None
            fraction = digits.group()
            pos = digits.end()
        if not whole.group() and not fraction:
            raise invalid  # "." alone, as in ".h"
        unit_match = _UNIT.match(rest, pos)
        assert unit_match is not None
        unit = unit_match.group()
        pos = unit_match.end()
        if not unit:
            raise ValueError(f"time: missing unit in duration {_go_quote(text)}")
        scale = _DURATION_UNITS.get(unit)
        if scale is None:
            raise ValueError(f"time: unknown unit {_go_quote(unit)} in duration {_go_quote(text)}")
        value = int(whole.group() or "0") * scale
        if fraction:
            # Go drops fraction digits past what int64 can hold (18 keep every nanosecond) and
            # scales the rest in float64, truncating.
            kept = fraction[:18]
            value += int(float(int(kept)) * (scale / float(10 ** len(kept))))
        total += value
        if total > _INT64_LIMIT:
            raise invalid
    if total == _INT64_LIMIT and not negative:
        raise invalid
    seconds = total / NS_PER_SECOND
    return -seconds if negative else seconds


def format_go_duration(seconds: float) -> str:
    """Render seconds the way Go prints a ``time.Duration`` (``48h0m0s``, ``1.5s``, ``0s``)."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 1:
        ns = round(seconds * 1e9)
        for unit, size in (("ms", 1_000_000), ("µs", 1_000)):
            if ns >= size:
                return f"{sign}{_trim(ns / size)}{unit}"
        return f"{sign}{ns}ns"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{int(hours)}h{int(minutes)}m{_trim(secs)}s"
    if minutes:
        return f"{sign}{int(minutes)}m{_trim(secs)}s"
    return f"{sign}{_trim(secs)}s"


def _trim(value: float) -> str:
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return text or "0"
