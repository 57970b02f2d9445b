"""``-t/--timestamps`` and ``--timezone``: kubelet RFC3339Nano to stern's two layouts.

Kubelet records start with ``2006-01-02T15:04:05.000000000Z`` (UTC, always 9 digits).
Converting a zone per line with ``datetime`` costs microseconds, so the whole-second part
is converted once per distinct second and cached; the fraction is copied as bytes.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping

from pystern.errors import UsageError
from pystern.options import TimestampFormat
from pystern.timefmt import format_rfc3339_nano_fixed, go_local_zone, ns_to_datetime, parse_rfc3339_ns

_CACHE_LIMIT = 8192
_DIGITS = frozenset(b"0123456789")


def load_timezone(name: str, env: Mapping[str, str] | None = None) -> dt.tzinfo:
    """``--timezone`` value to a tzinfo: an IANA name, ``UTC`` or ``Local`` (``$TZ``, else /etc/localtime).

    Raises ``UsageError("unknown time zone X")`` like Go's ``time.LoadLocation``.
    """
    if name in ("UTC", ""):
        return dt.UTC
    if name == "Local":
        return go_local_zone((env or {}).get("TZ"))[0]
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(f"unknown time zone {name}", flag="timezone") from None


def _offset(moment: dt.datetime) -> bytes:
    delta = moment.utcoffset()
    total = int(delta.total_seconds()) if delta is not None else 0
    if total == 0:
        return b"Z"  # Go's Z07:00 writes Z for any zero offset
    sign = "+" if total > 0 else "-"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}".encode()


class TimestampFormatter:
    """Formats kubelet timestamps in one layout and zone; ``None`` for text that is not a timestamp."""

    def __init__(self, kind: TimestampFormat, tz: dt.tzinfo) -> None:
        self.short = kind is TimestampFormat.SHORT
        self.tz = tz
        self.seconds: dict[bytes, tuple[bytes, bytes]] = {}
        """Cache: ``YYYY-MM-DDTHH:MM:SS`` -> (formatted whole seconds, zone suffix)."""

    def format(self, ts: bytes) -> bytes | None:
        """``2006-01-02T15:04:05.000000000Z07:00`` (default) or ``01-02 15:04:05`` (short)."""
        if len(ts) == 30 and ts[19] == 0x2E and ts[29] == 0x5A:
            head = self.seconds.get(ts[:19])
            if head is None:
                head = self.cache_second(ts[:19])
            if head is not None:
                if self.short:
                    return head[0]
                frac = ts[20:29]
                if _DIGITS.issuperset(frac):
                    return head[0] + b"." + frac + head[1]
        return self._slow(ts)

    def cache_second(self, key: bytes) -> tuple[bytes, bytes] | None:
        """Convert and cache one ``YYYY-MM-DDTHH:MM:SS`` (UTC) second; None if it is not a time."""
        try:
            ns = parse_rfc3339_ns(key + b"Z")
        except ValueError:
            return None
        moment = ns_to_datetime(ns, self.tz)
        layout = "%m-%d %H:%M:%S" if self.short else "%Y-%m-%dT%H:%M:%S"
        head = (moment.strftime(layout).encode(), _offset(moment))
        if len(self.seconds) >= _CACHE_LIMIT:
            self.seconds.clear()
        self.seconds[key] = head
        return head

    def _slow(self, ts: bytes) -> bytes | None:
        try:
            ns = parse_rfc3339_ns(ts)
        except ValueError:
            return None
        if self.short:
            return ns_to_datetime(ns, self.tz).strftime("%m-%d %H:%M:%S").encode()
        return format_rfc3339_nano_fixed(ns, self.tz).encode()
