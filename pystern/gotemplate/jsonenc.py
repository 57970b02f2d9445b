"""Go ``encoding/json`` output: ``json.Marshal`` and ``json.MarshalIndent`` byte for byte.

Go differs from Python's ``json.dumps`` in a few places: it escapes ``<``, ``>`` and ``&`` (HTML-safe) and
U+2028/U+2029, writes each invalid UTF-8 byte as the escape ``\\ufffd``, prints float64 without a
trailing ``.0`` (``3``, ``1e+21``, ``1e-7``), and sorts map keys.  The common case (strings, ints,
nested dicts/lists of them) goes through the C encoder plus one ``translate`` pass.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from pystern.errors import TemplateExecError
from pystern.gotemplate.gofloat import format_json_float
from pystern.gotemplate.timelayout import RFC3339_NANO, format_layout
from pystern.gotemplate.values import JSON_TAGS, MISSING, Color, GoTime, JsonNumber, NilMap, StringMap, Struct

_FIXUP = re.compile("[<>&\u2028\u2029\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?\Z")


# Built once: json.dumps with non-default options constructs a new encoder on every call.
_SORTED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)
_ORDERED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _fixup(text: str) -> str:
    if _FIXUP.search(text) is None:
        return text
    # str.replace runs in C; a translate() table would cost a dict lookup per character.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    # An undecodable byte (a surrogateescape surrogate): Go writes the six characters \ufffd per byte.
    return _SURROGATES.sub(r"\\ufffd", text)


def _is_plain(value: Any, depth: int = 0) -> bool:
    """True when the C encoder's output is already Go's (modulo the escape fix-up)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if depth > 2 or kind is NilMap or kind is Struct or (kind is StringMap and not value):
        return False
    if isinstance(value, dict) and not isinstance(value, Color):
        for key, item in value.items():
            if type(key) is not str:
                return False
            if type(item) is str or item is None:
                continue
            if not _is_plain(item, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        return all(_is_plain(item, depth + 1) for item in value)
    return False


def go_json_dumps(value: Any, *, sort_keys: bool = True) -> str:
    """Encode ``value`` as Go's ``json.Marshal`` would (compact, HTML-escaped).

    ``sort_keys=True`` treats every dict as a Go map (keys sorted); ``False`` keeps insertion order at
    every level, as a Go struct would (sort nested maps yourself then).  ``bytes`` are decoded as UTF-8
    with each invalid byte written as ``\\ufffd``, like Go's string handling.  Raises
    ``TemplateExecError`` for values Go cannot encode (NaN, infinities).
    """
    if _is_plain(value):
        text = (_SORTED if sort_keys else _ORDERED).encode(value)
        return _fixup(text)
    if type(value) is Struct:
        flat = _plain_struct(value)
        if flat is not None:
            return _fixup(_ORDERED.encode(flat))
    parts: list[str] = []
    _encode(value, parts, sort_keys, None, "")
    return _fixup("".join(parts))


def _plain_struct(value: Struct) -> dict[str, Any] | None:
    """A struct of strings and string maps (stern's Log) as an ordered dict for the C encoder, or None."""
    tags = JSON_TAGS.get(value.go_type)
    fields = tags if tags is not None else tuple((k, k, False) for k in value)
    flat: dict[str, Any] = {}
    for field, name, omitempty in fields:
        item = value.get(field, "")
        kind = type(item)
        if kind is str or item is None:
            if omitempty and not item:
                continue
            flat[name] = item
        elif kind is StringMap:
            # Go sorts map keys; an empty label map is a nil map in Go (null).
            flat[name] = dict(sorted(item.items())) if item else None
        else:
            return None
    return flat


def go_json_indent(value: Any, indent: str = "  ") -> str:
    """``json.MarshalIndent(value, "", indent)`` (map keys sorted)."""
    parts: list[str] = []
    _encode(value, parts, True, indent, "\n")
    return _fixup("".join(parts))


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _encode(value: Any, out: list[str], sort_keys: bool, indent: str | None, nl: str) -> None:
    if value is None or value is MISSING:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, JsonNumber):
        text = str(value) or "0"
        if _NUMBER.match(text) is None:
            raise TemplateExecError(f"json: invalid number literal {_string(text)}")
        out.append(text)
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, bytes):
        out.append(_string(value.decode("utf-8", "surrogateescape")))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise TemplateExecError(f"json: unsupported value: {_go_special(value)}")
        out.append(format_json_float(value))
    elif isinstance(value, GoTime):
        out.append('"' + format_layout(value, RFC3339_NANO) + '"')
    elif isinstance(value, NilMap) or (isinstance(value, StringMap) and not value):
        # Pod labels/annotations are nil maps in Go when there are none: stern prints null.
        out.append("null")
    elif isinstance(value, Struct):
        tags = JSON_TAGS.get(value.go_type)
        fields: Any = (
            [(k, value[k]) for k in value]
            if tags is None
            else [(name, value.get(f, "")) for f, name, omit in tags if not (omit and not value.get(f))]
        )
        # Struct fields keep their declared order; maps inside them are Go maps (sorted).
        _encode_object(fields, out, True, indent, nl)
    elif isinstance(value, Color):
        # fatih/color's Color has only unexported fields.
        out.append("{}")
    elif isinstance(value, Mapping):
        items = list(zip([str(k) for k in value], value.values(), strict=True))
        if sort_keys:
            items.sort(key=lambda kv: kv[0])
        _encode_object(items, out, sort_keys, indent, nl)
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = nl + (indent or "") if indent is not None else ""
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            out.append(inner)
            _encode(item, out, sort_keys, indent, inner)
        out.append(nl if indent is not None else "")
        out.append("]")
    else:
        raise TemplateExecError(f"json: unsupported type: {type(value).__name__}")


def _encode_object(
    items: list[tuple[str, Any]], out: list[str], sort_keys: bool, indent: str | None, nl: str
) -> None:
    if not items:
        out.append("{}")
        return
    inner = nl + (indent or "") if indent is not None else ""
    out.append("{")
    for i, (key, item) in enumerate(items):
        if i:
            out.append(",")
        out.append(inner)
        out.append(_string(key))
        out.append(": " if indent is not None else ":")
        _encode(item, out, sort_keys, indent, inner)
    out.append(nl if indent is not None else "")
    out.append("}")


def _go_special(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "-Inf" if value < 0 else "+Inf"
