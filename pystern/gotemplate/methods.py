"""The ``time.Time`` methods a template may call on a time value (``{{(toUTC .ts).Format "15:04"}}``).

Go templates can call exported methods; the only non-map values stern's functions return are times,
so this is the whole method surface.  Methods needing ``time.Duration`` or ``*time.Location`` values
(``Add``, ``Round``, ``In``) are left out: templates have no way to build those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pystern.gotemplate.gofmt import Named, type_name
from pystern.gotemplate.signatures import ArgError
from pystern.gotemplate.timelayout import (
    DAYS,
    MONTHS,
    civil_to_days,
    days_to_civil,
    format_layout,
    go_time_string,
    local_zone,
    zone_at,
)
from pystern.gotemplate.values import GoTime

_NS = 1_000_000_000


def _fields(t: GoTime) -> tuple[int, int, int, int, int, int, int]:
    offset, _ = zone_at(t)
    days, rem = divmod(t.ns // _NS + offset, 86400)
    year, month, day = days_to_civil(days)
    return year, month, day, rem // 3600, rem % 3600 // 60, rem % 60, days


def _need_time(u: Any) -> GoTime:
    if not isinstance(u, GoTime):
        raise ArgError(f"wrong type for value; expected time.Time; got {type_name(u)}", 0)
    return u


def _need_string(s: Any) -> str:
    if type(s) is not str:
        raise ArgError(f"wrong type for value; expected string; got {type_name(s)}", 0)
    return str(s)


_ZERO_NS = civil_to_days(1, 1, 1) * 86400 * _NS

METHODS: dict[str, tuple[int, Callable[..., Any]]] = {
    "Format": (1, lambda t, layout: format_layout(t, _need_string(layout))),
    "String": (0, go_time_string),
    "Unix": (0, lambda t: t.ns // _NS),
    "UnixMilli": (0, lambda t: t.ns // 1_000_000),
    "UnixMicro": (0, lambda t: t.ns // 1_000),
    "UnixNano": (0, lambda t: t.ns),
    "Year": (0, lambda t: _fields(t)[0]),
    "Month": (0, lambda t: Named(_fields(t)[1], MONTHS[_fields(t)[1] - 1], "time.Month")),
    "Day": (0, lambda t: _fields(t)[2]),
    "Hour": (0, lambda t: _fields(t)[3]),
    "Minute": (0, lambda t: _fields(t)[4]),
    "Second": (0, lambda t: _fields(t)[5]),
    "Nanosecond": (0, lambda t: t.ns % _NS),
    "YearDay": (0, lambda t: _fields(t)[6] - civil_to_days(_fields(t)[0], 1, 1) + 1),
    "Weekday": (0, lambda t: Named((_fields(t)[6] + 4) % 7, DAYS[(_fields(t)[6] + 4) % 7], "time.Weekday")),
    "UTC": (0, lambda t: GoTime(t.ns, dt.UTC, "UTC")),
    "Local": (0, lambda t: GoTime(t.ns, *local_zone())),
    "IsZero": (0, lambda t: t.ns == _ZERO_NS),
    "Before": (1, lambda t, u: t.ns < _need_time(u).ns),
    "After": (1, lambda t, u: t.ns > _need_time(u).ns),
    "Equal": (1, lambda t, u: t.ns == _need_time(u).ns),
    "Compare": (1, lambda t, u: (t.ns > _need_time(u).ns) - (t.ns < u.ns)),
}


def call_time_method(t: GoTime, name: str, args: list[Any]) -> Any:
    """Call ``t.<name>(args...)``; ``KeyError`` if there is no such method, ``ArgError`` for bad args."""
    want, fn = METHODS[name]
    if len(args) != want:
        raise ArgError(f"wrong number of args for {name}: want {want} got {len(args)}")
    return fn(t, *args)
