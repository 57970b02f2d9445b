"""Go ``fmt``'s value printing: ``%v`` text, ``Sprint``, ``Sprintln``, type names and ``strconv.Quote``
(``sprintf`` adds the verbs and flags)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pystern.goquote import quote as quote
from pystern.gotemplate.gofloat import format_shortest
from pystern.gotemplate.timelayout import go_time_string
from pystern.gotemplate.values import (
    MISSING,
    Color,
    GoTime,
    JsonNumber,
    StringMap,
    Struct,
    struct_fields,
)


def type_name(v: Any) -> str:
    """The Go type name of a value, as ``%T`` and error messages print it."""
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, JsonNumber):
        return "json.Number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, Byte):
        return "uint8"
    if isinstance(v, Named):
        return v.go_type
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, StringMap):
        return "map[string]string"
    if isinstance(v, Struct):
        return v.go_type
    if isinstance(v, Mapping):
        return "map[string]interface {}"
    if isinstance(v, list | tuple):
        return "[]interface {}"
    if isinstance(v, GoTime):
        return "time.Time"
    if isinstance(v, Color):
        return "*color.Color"
    if callable(v):
        return "func(...interface {}) (interface {}, error)"
    return type(v).__name__


class Named(int):
    """An integer Go type with a ``String`` method (``time.Month``, ``time.Weekday``)."""

    text: str
    go_type: str

    def __new__(cls, value: int, text: str, go_type: str) -> Named:
        obj = super().__new__(cls, value)
        obj.text = text
        obj.go_type = go_type
        return obj


class Byte(int):
    """A ``uint8``: what ``index`` of a string gives (Go's untyped rune constants are plain ints)."""

    __slots__ = ()


def sprint_value(v: Any, verb: str = "v", plus: bool = False) -> str:
    """``%v`` text of a value (maps sorted by key, slices in brackets)."""
    if v is None or v is MISSING:
        return "<nil>"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return str(v)
    if isinstance(v, Named):
        return v.text
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return format_shortest(v, "g")
    if isinstance(v, Struct):
        # Go prints a struct as its field values in order: {a b c}; %+v names them: {A:a B:b C:c}.
        # A pointer field (a colour) is only its address: fmt follows pointers at the top level.
        fields = [(k, pointer_text(x) if isinstance(x, Color) else sprint_value(x, verb, plus))
                  for k, x in struct_fields(v)]  # fmt: skip
        if plus:
            return "{" + " ".join(f"{k}:{x}" for k, x in fields) + "}"
        return "{" + " ".join(x for _, x in fields) + "}"
    if isinstance(v, Mapping):
        items = sorted(v.items(), key=lambda kv: sort_key(kv[0]))
        return "map[" + " ".join(f"{sprint_value(k)}:{sprint_value(x)}" for k, x in items) + "]"
    if isinstance(v, list | tuple):
        return "[" + " ".join(sprint_value(x) for x in v) + "]"
    if isinstance(v, GoTime):
        return go_time_string(v)
    if isinstance(v, Color):
        return "&{[" + " ".join(str(a) for a in v.attrs) + "] <nil>}"
    if callable(v):
        return "0x1"
    return str(v)


def pointer_text(v: Any) -> str:
    """How fmt prints a pointer it does not follow: its address (the Python object's, stable for as
    long as the value lives; Go's differs from run to run anyway)."""
    return f"0x{id(v):x}"


def sort_key(k: Any) -> tuple[int, Any]:
    """The order Go's fmt prints map keys in: numbers by value, then the rest by text."""
    if isinstance(k, int | float):
        return (0, k)
    return (1, str(k))


def _is_string(v: Any) -> bool:
    return isinstance(v, str)


def sprint(*args: Any, printable: bool = False) -> str:
    """``fmt.Sprint``: a space between operands when neither side is a string.

    ``printable``: each operand goes through text/template's ``printableValue`` first (``printable_text``).
    """
    out: list[str] = []
    prev_string = True
    text = printable_text if printable else sprint_value
    for i, arg in enumerate(args):
        is_string = _is_string(arg)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(text(arg))
        prev_string = is_string
    return "".join(out)


def printable_text(v: Any) -> str:
    """``%v`` of text/template's ``printableValue(v)``, which follows a pointer to what it points to.

    The only pointer in stern's data is a ``*color.Color``; fatih/color's ``Color{params, noColor}``
    prints as ``{[31] <nil>}`` (``noColor`` is set only under ``NO_COLOR``, and Go would print its
    address then).
    """
    if isinstance(v, Color):
        return "{[" + " ".join(str(a) for a in v.attrs) + "] <nil>}"
    return sprint_value(v)


def sprintln(*args: Any) -> str:
    """``fmt.Sprintln``: always spaces, and a newline."""
    return " ".join(sprint_value(a) for a in args) + "\n"
