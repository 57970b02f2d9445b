"""Go's ``time.Parse(time.RFC3339, s)``: what it accepts and, word for word, why it refuses.

The API server reads ``sinceTime`` (``metav1.Time.UnmarshalQueryParameter``) with it and answers a
refusal with Go's text, e.g. ``parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x"
as "2006"``.
"""

from __future__ import annotations

import calendar

__all__ = ["parse_rfc3339"]

_LAYOUT = "2006-01-02T15:04:05Z07:00"


def _quote(s: str) -> str:
    """time's own quote: non-ASCII and control bytes as \\x.., quote and backslash escaped."""
    out = ['"']
    for ch in s:
        if ord(ch) >= 0x80 or ch < " ":
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogateescape"))
        else:
            out.append("\\" + ch if ch in '"\\' else ch)
    out.append('"')
    return "".join(out)


class _Refused(ValueError):
    pass


def _cannot(value: str, rest: str, elem: str) -> _Refused:
    return _Refused(
        f"parsing time {_quote(value)} as {_quote(_LAYOUT)}: cannot parse {_quote(rest)} as {_quote(elem)}"
    )


def _digits(s: str, n: int) -> bool:
    return len(s) >= n and all("0" <= c <= "9" for c in s[:n])


def _num(value: str, rest: str, elem: str, fixed: bool = True) -> tuple[int, str]:
    """getnum: two digits (or one, when not ``fixed``)."""
    if not _digits(rest, 1):
        raise _cannot(value, rest, elem)
    if not _digits(rest, 2):
        if fixed:
            raise _cannot(value, rest, elem)
        return int(rest[0]), rest[1:]
    return int(rest[:2]), rest[2:]


def _literal(value: str, rest: str, text: str) -> str:
    if not rest.startswith(text):
        raise _cannot(value, rest, text)
    return rest[len(text) :]


def parse_rfc3339(value: str) -> int:
    """Epoch nanoseconds of ``value``; raises ValueError with Go's message when Go refuses it."""
    rest = value
    if not _digits(rest, 4):
        raise _cannot(value, rest, "2006")
    year, rest = int(rest[:4]), _literal(value, rest[4:], "-")
    month, rest = _num(value, rest, "01")
    if not 1 <= month <= 12:
        raise _Refused(f"parsing time {_quote(value)}: month out of range")
    day, rest = _num(value, _literal(value, rest, "-"), "02")
    hour, rest = _num(value, _literal(value, rest, "T"), "15", fixed=False)
    if hour >= 24:
        raise _Refused(f"parsing time {_quote(value)}: hour out of range")
    minute, rest = _num(value, _literal(value, rest, ":"), "04")
    if minute >= 60:
        raise _Refused(f"parsing time {_quote(value)}: minute out of range")
    second, rest = _num(value, _literal(value, rest, ":"), "05")
    if second >= 60:
        raise _Refused(f"parsing time {_quote(value)}: second out of range")
    nanos = 0
    if len(rest) >= 2 and rest[0] in ".," and _digits(rest[1:], 1):
        n = 1
        while n < len(rest) and "0" <= rest[n] <= "9":
            n += 1
        nanos = int(rest[1:n][:9].ljust(9, "0"))
        rest = rest[n:]
    offset = 0
    if rest.startswith("Z"):
        rest = rest[1:]
    else:
        hold = rest
        if (
            len(rest) < 6
            or rest[3] != ":"
            or rest[0] not in "+-"
            or not _digits(rest[1:], 2)
            or not _digits(rest[4:], 2)
        ):
            raise _cannot(value, hold, "Z07:00")
        hours, minutes = int(rest[1:3]), int(rest[4:6])
        if hours > 24:
            raise _Refused(f"parsing time {_quote(value)}: time zone offset hour out of range")
        if minutes > 60:
            raise _Refused(f"parsing time {_quote(value)}: time zone offset minute out of range")
        offset = (hours * 3600 + minutes * 60) * (1 if rest[0] == "+" else -1)
        rest = rest[6:]
    if rest:
        raise _Refused(f"parsing time {_quote(value)}: extra text: {_quote(rest)}")
    # Go's year 0 is a leap year; Python's calendar starts at year 1 (2000 has the same February).
    if not 1 <= day <= calendar.monthrange(year or 2000, month)[1]:
        raise _Refused(f"parsing time {_quote(value)}: day out of range")
    seconds = calendar.timegm((max(year, 1), month, day, hour, minute, second)) - offset
    return seconds * 1_000_000_000 + nanos
