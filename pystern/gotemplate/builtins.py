"""Go ``text/template``'s predefined functions (``eq``, ``index``, ``printf``, ``call``...), each with its
Go signature (``signatures.gofunc``)."""

from __future__ import annotations

import functools
import types
from collections.abc import Mapping
from typing import Any

from pystern.gotemplate import gofmt
from pystern.gotemplate.escapers import html_escape, js_escape, url_query_escape
from pystern.gotemplate.gofmt import Byte, type_name
from pystern.gotemplate.signatures import FuncError, GoFunc, gofunc, truth
from pystern.gotemplate.sprintf import sprintf
from pystern.gotemplate.values import MISSING, Color, GoTime, JsonNumber, NilMap, StringMap, Struct

# --- comparison ----------------------------------------------------------------------------------


def _kind(v: Any) -> str:
    """Go's ``basicKind``: bool/int/float/string, or ``invalid`` (nil and every non-basic kind)."""
    if v is None or v is MISSING:
        return "invalid"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return "invalid"


def _reflect_kind(v: Any) -> str:
    """The reflect kind of a non-basic value (only its sameness matters, for ``canCompare``)."""
    if v is None or v is MISSING:
        return "invalid"
    if isinstance(v, Struct | GoTime):
        return "struct"
    if isinstance(v, Mapping):
        return "map"
    if isinstance(v, list | tuple):
        return "slice"
    if isinstance(v, Color):
        return "ptr"
    return type(v).__name__


def _is_nil(v: Any) -> bool:
    return v is None or v is MISSING or isinstance(v, NilMap)


def _comparable(v: Any) -> bool:
    # Maps, slices and structs holding them (stern.Log) have no ``==`` in Go.
    return not isinstance(v, Mapping | list | tuple) or isinstance(v, GoTime)


@gofunc("value", variadic="value")
def _eq(a: Any, *others: Any) -> bool:
    if not others:
        raise FuncError("missing argument for comparison")
    k1 = _kind(a)
    for b in others:
        k2 = _kind(b)
        if k1 != k2:
            if a is not None and a is not MISSING and b is not None and b is not MISSING:
                raise FuncError(f"incompatible types for comparison: {type_name(a)} and {type_name(b)}")
            continue
        if k1 != "invalid":
            if a == b:
                return True
            continue
        ka, kb = _reflect_kind(a), _reflect_kind(b)
        if ka != kb and ka != "invalid" and kb != "invalid":
            raise FuncError(
                f"non-comparable types {gofmt.sprint_value(a)}: {type_name(a)}, {type_name(b)}: "
                f"{gofmt.sprint_value(b)}"
            )
        if _is_nil(a) or _is_nil(b):
            if _is_nil(a) == _is_nil(b):
                return True
            continue
        if not _comparable(b):
            raise FuncError(f"non-comparable type {gofmt.sprint_value(b)}: {type_name(b)}")
        # A pointer (a *color.Color) is equal only to itself; other values compare by value.
        if a is b or (type(a) is type(b) and ka != "ptr" and a == b):
            return True
    return False


def _lt_raw(a: Any, b: Any) -> bool:
    k1, k2 = _kind(a), _kind(b)
    if k1 in ("invalid", "bool") or k2 in ("invalid", "bool"):
        raise FuncError("invalid type for comparison")
    if k1 != k2:
        raise FuncError(f"incompatible types for comparison: {type_name(a)} and {type_name(b)}")
    return bool(a < b)


@gofunc("value", "value")
def _ne(a: Any, b: Any) -> bool:
    return not _eq.fn(a, b)


@gofunc("value", "value")
def _lt(a: Any, b: Any) -> bool:
    return _lt_raw(a, b)


@gofunc("value", "value")
def _le(a: Any, b: Any) -> bool:
    return _lt_raw(a, b) or bool(_eq.fn(a, b))


@gofunc("value", "value")
def _gt(a: Any, b: Any) -> bool:
    return not (_lt_raw(a, b) or bool(_eq.fn(a, b)))


@gofunc("value", "value")
def _ge(a: Any, b: Any) -> bool:
    return not _lt_raw(a, b)


# --- collections ---------------------------------------------------------------------------------


@gofunc("value")
def _len(v: Any) -> int:
    if v is MISSING:
        # Go's length asks an invalid value for its type (only pointers and interfaces are followed
        # first), and reflect panics; the call fails with reflect's message.
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    if v is None:
        raise FuncError("len of nil pointer")
    if isinstance(v, str):
        return len(v.encode("utf-8", "surrogateescape"))
    if isinstance(v, Struct):
        raise FuncError(f"len of type {v.go_type}")
    if isinstance(v, Color):  # Go's length follows the pointer first
        raise FuncError("len of type color.Color")
    if isinstance(v, Mapping | list | tuple):
        return len(v)
    raise FuncError(f"len of type {type_name(v)}")


def _int_index(x: Any, what: str) -> int:
    if isinstance(x, int) and not isinstance(x, bool):
        return int(x)
    if x is None or x is MISSING:
        raise FuncError(f"cannot index {what} with nil")
    raise FuncError(f"cannot index {what} with type {type_name(x)}")


@gofunc("value", variadic="value")
def _index(item: Any, *indexes: Any) -> Any:
    if item is None or item is MISSING:
        raise FuncError("index of untyped nil")
    for x in indexes:
        if item is None or item is MISSING:
            raise FuncError("index of nil pointer")
        if isinstance(item, Struct):
            raise FuncError(f"can't index item of type {item.go_type}")
        if isinstance(item, Color):  # Go's index follows the pointer first
            raise FuncError("can't index item of type color.Color")
        if isinstance(item, Mapping):
            if x is None or x is MISSING:
                raise FuncError("value is nil; should be of type string")
            if not isinstance(x, str) or isinstance(x, JsonNumber):
                raise FuncError(f"value has type {type_name(x)}; should be string")
            # A missing key gives the element type's zero value: "" for map[string]string, nil otherwise.
            item = item[x] if x in item else ("" if isinstance(item, StringMap) else None)
        elif isinstance(item, list | tuple | str):
            data: Any = item.encode("utf-8", "surrogateescape") if isinstance(item, str) else item
            i = _int_index(x, "slice/array")
            if not 0 <= i < len(data):
                raise FuncError(f"index out of range: {i}")
            item = Byte(data[i]) if isinstance(item, str) else data[i]
        else:
            raise FuncError(f"can't index item of type {type_name(item)}")
    return item


@gofunc("value", variadic="value")
def _slice(item: Any, *indexes: Any) -> Any:
    if item is None or item is MISSING:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        data: Any = item.encode("utf-8", "surrogateescape")
    elif isinstance(item, list | tuple):
        data = list(item)
    else:
        raise FuncError(f"can't slice item of type {type_name(item)}")
    cap = len(data)
    idx = [0, len(data)]
    for i, x in enumerate(indexes):
        v = _int_index(x, "slice/array")
        if not 0 <= v <= cap:
            raise FuncError(f"index out of range: {v}")
        if i < 2:
            idx[i] = v
    if idx[0] > idx[1]:
        raise FuncError(f"invalid slice index: {idx[0]} > {idx[1]}")
    out = data[idx[0] : idx[1]]
    return out.decode("utf-8", "surrogateescape") if isinstance(item, str) else out


# --- printing and escaping -----------------------------------------------------------------------


def _eval_args(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and type(args[0]) is str:
        return str(args[0])
    # Go's evalArgs passes each argument through printableValue, which makes a nil interface the
    # string "<no value>" (a string to fmt.Sprint, so no space is put beside it).
    return gofmt.sprint(*["<no value>" if a is None or a is MISSING else a for a in args], printable=True)


@gofunc(variadic="any")
def _html(*args: Any) -> str:
    return html_escape(_eval_args(args))


@gofunc(variadic="any")
def _js(*args: Any) -> str:
    return js_escape(_eval_args(args))


@gofunc(variadic="any")
def _urlquery(*args: Any) -> str:
    return url_query_escape(_eval_args(args))


@gofunc("string", variadic="any")
def _printf(fmt: str, *args: Any) -> str:
    return sprintf(fmt, *args)


@gofunc("any")
def _not(v: Any) -> bool:
    return not truth(v)


_CALLABLE = (types.FunctionType, types.BuiltinFunctionType, functools.partial, GoFunc)


def call_named(callee: str | None, fn: Any, *args: Any) -> Any:
    """Go's ``call``; ``callee`` is the source text of its first operand (Go names it in errors), None
    when the function is the piped value (Go then prints that ``reflect.Value``)."""
    # Only functions handed over in the data are callable; never classes or bound attributes of objects.
    if not isinstance(fn, _CALLABLE):
        if fn is None or fn is MISSING:
            raise FuncError("call of nil")
        if callee is None:
            callee = fn if type(fn) is str else f"<{type_name(fn)} Value>"
        raise FuncError(f"non-function {callee} of type {type_name(fn)}")
    return fn(*args)


_call = GoFunc(functools.partial(call_named, None), ("value",), "any")


def _placeholder(*args: Any) -> Any:  # pragma: no cover - and/or are evaluated lazily by the executor
    raise AssertionError("and/or are special forms")


BUILTINS: Mapping[str, Any] = {
    "and": GoFunc(_placeholder, None),
    "or": GoFunc(_placeholder, None),
    "not": _not,
    "len": _len,
    "index": _index,
    "slice": _slice,
    "print": GoFunc(gofmt.sprint, (), "any"),
    "printf": _printf,
    "println": GoFunc(gofmt.sprintln, (), "any"),
    "eq": _eq,
    "ne": _ne,
    "lt": _lt,
    "le": _le,
    "gt": _gt,
    "ge": _ge,
    "html": _html,
    "js": _js,
    "urlquery": _urlquery,
    "call": _call,
}

__all__ = ["BUILTINS", "call_named"]
