"""Go ``encoding/json`` decoding as stern's template functions use it, with Go's error texts.

``decode_object`` is ``json.Unmarshal`` into ``map[string]interface{}`` (numbers become float64);
``decode_first_number_object`` is ``json.NewDecoder(...).UseNumber().Decode`` (first value only, numbers
kept as :class:`JsonNumber`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pystern.gotemplate.gofmt import quote
from pystern.gotemplate.values import JsonNumber, NilMap


class GoJsonError(ValueError):
    """A decoding error worded like Go's ``encoding/json``."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"constant {name}")


def _go_float(text: str) -> float:
    try:
        value = float(text)
    except OverflowError:
        value = math.inf
    if math.isinf(value):
        raise GoJsonError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return value


_FLOATS = json.JSONDecoder(parse_int=_go_float, parse_float=_go_float, parse_constant=_reject_constant)
_LONE_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: Any) -> Any:
    """Go decodes an unpaired surrogate escape, and each invalid UTF-8 byte, as U+FFFD; Python keeps
    the surrogate (unprintable)."""
    if isinstance(value, str):
        return type(value)(_SURROGATE.sub("\ufffd", value)) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _needs_cleaning(text: str) -> bool:
    # A lone surrogate escape, or an undecodable byte of the line (a surrogate in ``text``).
    return _LONE_SURROGATE_ESCAPE.search(text) is not None or _SURROGATE.search(text) is not None


_NUMBERS = json.JSONDecoder(parse_int=JsonNumber, parse_float=JsonNumber, parse_constant=_reject_constant)
_SPACE = " \t\n\r"


def _quote_char(c: str) -> str:
    # Go's quoteChar: strconv.Quote in single quotes, with ' and " special-cased.  Go's scanner sees
    # bytes, and quotes a byte as the code point of the same number ("é" starts with 0xC3: 'Ã').
    c = chr(c.encode("utf-8", "surrogateescape")[0])
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    return "'" + quote(c)[1:-1] + "'"


def _go_error(text: str, exc: ValueError) -> GoJsonError:
    if isinstance(exc, json.JSONDecodeError):
        pos, msg = exc.pos, exc.msg
    else:
        # NaN/Infinity: Go stops at their first letter.
        pos, msg = len(text) - len(text.lstrip(_SPACE)), "Expecting value"
        for word in ("-Infinity", "NaN", "Infinity"):
            idx = text.find(word)
            if idx >= 0:
                pos = idx
                break
    if msg.startswith("Invalid \\escape"):
        pos += 1  # Python points at the backslash, Go at the character after it.
    if pos >= len(text) or msg.startswith("Unterminated string"):
        return GoJsonError("unexpected end of JSON input")
    c = _quote_char(text[pos])
    if msg.startswith("Expecting value") and text[pos] in "tfn-":
        return _literal_error(text, pos)
    if msg.startswith("Extra data"):
        return GoJsonError(f"invalid character {c} after top-level value")
    if msg.startswith("Illegal trailing comma"):
        # Python >= 3.13 words a trailing comma specially; Go sees the closing bracket as unexpected.
        close = text.find("}" if "object" in msg else "]", pos)
        c = _quote_char(text[close] if close >= 0 else text[pos])
        where = "object key string" if "object" in msg else "value"
        return GoJsonError(f"invalid character {c} looking for beginning of {where}")
    if msg.startswith("Expecting property name"):
        return GoJsonError(f"invalid character {c} looking for beginning of object key string")
    if msg.startswith("Expecting ':'"):
        return GoJsonError(f"invalid character {c} after object key")
    if msg.startswith("Expecting ','"):
        inside = _innermost(text, pos)
        where = "object key:value pair" if inside == "{" else "array element"
        return GoJsonError(f"invalid character {c} after {where}")
    if msg.startswith("Invalid control character"):
        return GoJsonError(f"invalid character {c} in string literal")
    if msg.startswith("Invalid \\escape") or msg.startswith("Invalid \\u"):
        return GoJsonError(f"invalid character {c} in string escape code")
    return GoJsonError(f"invalid character {c} looking for beginning of value")


def _literal_error(text: str, pos: int) -> GoJsonError:
    """Go's scanner reports the first wrong character inside true/false/null or after a lone '-'."""
    if text[pos] == "-":
        if pos + 1 >= len(text):
            return GoJsonError("unexpected end of JSON input")
        return GoJsonError(f"invalid character {_quote_char(text[pos + 1])} in numeric literal")
    word = {"t": "true", "f": "false", "n": "null"}[text[pos]]
    for k in range(1, len(word)):
        if pos + k >= len(text):
            return GoJsonError("unexpected end of JSON input")
        if text[pos + k] != word[k]:
            got, want = _quote_char(text[pos + k]), _quote_char(word[k])
            return GoJsonError(f"invalid character {got} in literal {word} (expecting {want})")
    return GoJsonError(f"invalid character {_quote_char(text[pos])} looking for beginning of value")


def _innermost(text: str, pos: int) -> str:
    depth: list[str] = []
    in_str = esc = False
    for ch in text[:pos]:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            depth.append(ch)
        elif ch in "}]" and depth:
            depth.pop()
    return depth[-1] if depth else "{"


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "number"


def decode_object(text: str) -> dict[str, Any]:
    """``json.Unmarshal([]byte(text), &map[string]interface{}{})``; ``GoJsonError`` on failure."""
    try:
        value = _FLOATS.decode(text)
    except GoJsonError:
        raise
    except ValueError as exc:
        raise _go_error(text, exc) from None
    if _needs_cleaning(text):
        value = _clean(value)
    if value is None:
        return NilMap()
    if not isinstance(value, dict):
        raise GoJsonError(
            f"json: cannot unmarshal {_kind(value)} into Go value of type map[string]interface {{}}"
        )
    return value


def decode_first_number_object(text: str) -> dict[str, Any] | None:
    """The first JSON value of ``text`` if it is an object (numbers as ``JsonNumber``), else None."""
    start = len(text) - len(text.lstrip(_SPACE))
    try:
        value, _ = _NUMBERS.raw_decode(text, start)
    except ValueError:
        return None
    if _needs_cleaning(text):
        value = _clean(value)
    return value if isinstance(value, dict) else None


def is_valid(text: str) -> bool:
    """``json.Valid``: exactly one JSON value, surrounded by optional whitespace."""
    try:
        _FLOATS.decode(text)
    except ValueError:
        return False
    return True
