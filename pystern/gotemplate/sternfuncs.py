"""stern's template functions (``json``, ``parseJSON``, ``toTimestamp``, ``levelColor``...).

Behaviour follows stern's cmd.go: which Go types each accepts, what a failure returns (nil, the input,
or a template error), and fatih/color's escape format.  ``stern_funcs(color)`` builds the table; colour
off makes every colour helper return plain text, as fatih/color does with ``NoColor``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from pystern.gotemplate.builtins import BUILTINS
from pystern.gotemplate.jsondec import GoJsonError, decode_first_number_object, decode_object, is_valid
from pystern.gotemplate.jsonenc import go_json_dumps, go_json_indent
from pystern.gotemplate.signatures import FuncError, GoFunc, gofunc
from pystern.gotemplate.sprintf import sprintf
from pystern.gotemplate.timelayout import RFC3339_NANO, format_layout, load_location
from pystern.gotemplate.timeparse import ZERO_TIME, to_time
from pystern.gotemplate.values import Color, GoTime, JsonNumber, NilMap, StringMap, Struct

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_FG = {"Black": 30, "Red": 31, "Green": 32, "Yellow": 33, "Blue": 34, "Magenta": 35, "Cyan": 36, "White": 37}
_LEVELS = {
    "debug": 35, "info": 34, "warn": 33, "warning": 33, "error": 31, "dpanic": 31, "panic": 31,
    "fatal": 36, "critical": 36,
}  # fmt: skip


@gofunc("any")
def _json(value: Any) -> str:
    return go_json_dumps(value)


@gofunc("string")
def _parse_json(text: str) -> dict[str, Any]:
    try:
        return decode_object(text)
    except GoJsonError as exc:
        raise FuncError(str(exc)) from None


@gofunc("string")
def _try_parse_json(text: str) -> dict[str, Any]:
    obj = decode_first_number_object(text)
    return NilMap() if obj is None else obj


def _parts(obj: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    return ", ".join(sprintf("%v", obj.get(k)) for k in keys)


@gofunc("string", variadic="string")
def _extract_json_parts(text: str, *keys: str) -> str:
    try:
        return _parts(decode_object(text), keys)
    except GoJsonError as exc:
        raise FuncError(str(exc)) from None


@gofunc("string", variadic="string")
def _try_extract_json_parts(text: str, *keys: str) -> str:
    try:
        return _parts(decode_object(text), keys)
    except GoJsonError:
        return text


@gofunc("string")
def _extjson(text: str) -> str:
    if is_valid(text):
        return text.removesuffix("\n")
    return go_json_dumps(text)


@gofunc("any")
def _pretty_json(value: Any) -> str:
    if isinstance(value, str) and not isinstance(value, JsonNumber):
        try:
            data: Any = decode_object(value)
        except GoJsonError:
            return str(value)
        if value.strip() == "null":
            return "null"
    elif isinstance(value, Mapping) and not isinstance(value, StringMap | Struct):
        data = value
    else:
        return sprintf("%v", value)
    if isinstance(data, NilMap):
        return "null"
    return go_json_indent(data)


@gofunc("any")
def _to_rfc3339_nano(value: Any) -> str:
    try:
        t = to_time(value)
    except ValueError:
        t = ZERO_TIME
    return format_layout(t, RFC3339_NANO)


@gofunc("any")
def _to_utc(value: Any) -> GoTime:
    try:
        t = to_time(value)
    except ValueError:
        t = ZERO_TIME
    return GoTime(t.ns, ZERO_TIME.tz, "UTC")


@gofunc("any", "string", variadic="string")
def _to_timestamp(value: Any, layout: str, *zone: str) -> str:
    try:
        t = to_time(value)
        tz, loc = load_location(zone[0] if zone else "")
    except ValueError as exc:
        raise FuncError(str(exc)) from None
    return format_layout(GoTime(t.ns, tz, loc), layout)


def stern_funcs(color: bool) -> Mapping[str, Callable[..., Any]]:
    """The builtins plus stern's functions; ``color=False`` makes every colour helper return plain text."""

    def paint(attrs: tuple[int, ...], text: str) -> str:
        return Color(attrs, enabled=color).wrap(text)

    @gofunc("color", "string")
    def _color(c: Color, text: str) -> str:
        return c.wrap(text) if color else text

    @gofunc("string", variadic="attr")
    def _color_custom(text: str, *attrs: int) -> str:
        return paint(tuple(attrs), text)

    def fixed(code: int) -> GoFunc:
        @gofunc("string", variadic="any")
        def _paint(fmt: str, *args: Any) -> str:
            # fatih/color: with no arguments the text is used as-is, otherwise as a printf format.
            return paint((code,), sprintf(fmt, *args) if args else fmt)

        return _paint

    @gofunc("any")
    def _level_color(value: Any) -> str:
        if not isinstance(value, str) or isinstance(value, JsonNumber):
            return ""
        # Go's strings.ToLower maps rune by rune: U+0130 becomes a plain "i" (Python gives "i" + U+0307).
        code = _LEVELS.get(value.replace("\u0130", "i").lower())
        return str(value) if code is None else paint((code,), str(value))

    @gofunc("any")
    def _bunyan_level_color(value: Any) -> str:
        if isinstance(value, JsonNumber):
            # json.Number.Int64 is strconv.ParseInt: an optional sign, ASCII digits, within int64.
            text = str(value)
            digits = text[1:] if text[:1] in ("+", "-") else text
            if not (digits.isascii() and digits.isdigit()):
                return ""
            level = int(text)
            if not _INT64_MIN <= level <= _INT64_MAX:
                return ""
        elif isinstance(value, float):
            # Go's int64(f) truncates; out of range (or NaN) it gives the minimum int64 on amd64.
            level = int(value) if math.isfinite(value) and _INT64_MIN <= value < 2.0**63 else _INT64_MIN
        else:
            return ""
        for limit, code in ((30, 35), (40, 34), (50, 33), (60, 31), (100, 36)):
            if level < limit:
                return paint((code,), str(level))
        return str(level)

    table: dict[str, Callable[..., Any]] = dict(BUILTINS)
    table.update(
        {
            "json": _json,
            "parseJSON": _parse_json,
            "tryParseJSON": _try_parse_json,
            "extractJSONParts": _extract_json_parts,
            "tryExtractJSONParts": _try_extract_json_parts,
            "extjson": _extjson,
            "prettyJSON": _pretty_json,
            "toRFC3339Nano": _to_rfc3339_nano,
            "toUTC": _to_utc,
            "toTimestamp": _to_timestamp,
            "color": _color,
            "colorCustom": _color_custom,
            "levelColor": _level_color,
            "bunyanLevelColor": _bunyan_level_color,
        }
    )
    for name, code in _FG.items():
        table["color" + name] = fixed(code)
    return table


STERN_FUNCS: Mapping[str, Callable[..., Any]] = stern_funcs(color=True)
