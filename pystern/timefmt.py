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


_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_UNIT_NS = {unit: round(size * NS_PER_SECOND) for unit, size in _DURATION_UNITS.items()}
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Parse Go's ``time.ParseDuration`` syntax to seconds (may be negative).

    Raises ``ValueError`` with Go's message, e.g. ``time: invalid duration "1d"``.
    """
    raw = text
    sign = 1.0
    if text[:1] in ("+", "-"):
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise ValueError(f'time: invalid duration "{raw}"')
    total = 0.0
    exact_ns = 0  # Go adds up int64 nanoseconds and refuses a sum past the int64 range
    pos = 0
    while pos < len(text):
        m = _DURATION_PART.match(text, pos)
        if m is None:
            if re.match(r"(\d+\.?\d*|\.\d+)\Z", text[pos:]):
                raise ValueError(f'time: missing unit in duration "{raw}"')
            unit = re.match(r"(?:\d+\.?\d*|\.\d+)([^\d.]+)", text[pos:])
            if unit is not None:
                raise ValueError(f'time: unknown unit "{unit.group(1)}" in duration "{raw}"')
            raise ValueError(f'time: invalid duration "{raw}"')
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        whole, _, frac = m.group(1).partition(".")
        unit_ns = _UNIT_NS[m.group(2)]
        exact_ns += int(whole or 0) * unit_ns + (int(frac) * unit_ns // 10 ** len(frac) if frac else 0)
        if exact_ns > (1 << 63) - (sign > 0):
            raise ValueError(f'time: invalid duration "{raw}"')
        pos = m.end()
    return sign * total


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
