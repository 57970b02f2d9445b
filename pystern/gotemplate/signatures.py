"""The typed-call wrapper for every template function: a Go signature, checked as Go's reflection does.

:class:`GoFunc` records a Go signature (``string``, ``int``, ``any``, ``color``...) so that calls are
checked the way Go's reflection checks them, with Go's messages.  ``truth`` is Go's template truth.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pystern.errors import TemplateExecError
from pystern.gotemplate.gofmt import type_name
from pystern.gotemplate.values import MISSING, Color


class ArgError(TemplateExecError):
    """A call whose arguments do not fit the function's Go signature (reported without a prefix).

    ``index`` is the offending argument (Go reports the error at that operand), None for a count error.
    """

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


class FuncError(Exception):
    """A Go function returned an error (reported as ``error calling <name>: <message>``)."""


def truth(v: Any) -> bool:
    """Go's template truth: false, 0, nil, empty string/map/slice are false."""
    if v is None or v is MISSING:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str | Mapping | list | tuple):
        return len(v) > 0
    if isinstance(v, int | float):
        return v != 0
    return True


def _fits_int64(n: int) -> bool:
    return -(2**63) <= n < 2**63


# stern's ``color`` takes a ``color.Color`` by value (the template data holds ``*color.Color``).
_TYPE_NAMES = {"string": "string", "int": "int", "color": "color.Color", "attr": "color.Attribute",
               "layout": "string"}  # fmt: skip


class GoFunc:
    """A Python callable with a Go signature.

    ``params``: one type per fixed parameter (``any``, ``string``, ``int``, ``color``, ``value`` = raw,
    untyped access including invalid values); ``variadic``: the type of ``...`` parameters, if any.
    ``params=None`` means an untyped Python function: every argument is passed, invalid values as None.
    """

    __slots__ = ("fn", "params", "variadic")

    def __init__(
        self, fn: Callable[..., Any], params: Sequence[str] | None, variadic: str | None = None
    ) -> None:
        self.fn = fn
        self.params = tuple(params) if params is not None else None
        self.variadic = variadic

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def invoke(self, name: str, values: list[Any], consts: list[Any]) -> Any:
        """Check ``values`` against the signature and call; ``consts`` marks literal arguments."""
        params = self.params
        if params is None:
            return self.fn(*[None if v is MISSING else v for v in values])
        n = len(values)
        if self.variadic is None and n != len(params):
            raise ArgError(f"wrong number of args for {name}: want {len(params)} got {n}")
        if self.variadic is not None and n < len(params):
            raise ArgError(f"wrong number of args for {name}: want at least {len(params)} got {n}")
        args = []
        for i, v in enumerate(values):
            kind = params[i] if i < len(params) else self.variadic
            # Fast path for the common, already-correct cases.
            if (
                (kind == "any" and v is not MISSING)
                or kind == "value"
                or (kind == "string" and type(v) is str)
            ):
                args.append(v)
                continue
            assert kind is not None
            const = consts[i] if i < len(consts) else None
            try:
                args.append(_convert(v, kind, const))
            except ArgError as exc:
                exc.index = i
                raise
        return self.fn(*args)


def _convert(v: Any, kind: str, const: Any) -> Any:
    if kind == "value":
        return v
    if kind == "any":
        return None if v is MISSING else v
    want = _TYPE_NAMES.get(kind, kind)
    if const is not None and const.kind == "nil":
        raise ArgError(f"cannot assign nil to {want}")
    if v is MISSING:
        raise ArgError(f"invalid value; expected {want}")
    if v is None:
        # A JSON null reaches a typed parameter as a nil ``interface {}``.
        raise ArgError(f"wrong type for value; expected {want}; got interface {{}}")
    if kind == "string":
        if type(v) is str:
            return v
        if const is not None:
            raise ArgError(f"expected string; found {const.src}")
    elif kind in ("int", "attr"):
        if const is not None:
            # Go's parser marks a constant IsInt when it fits int64: an integer, a rune, or an
            # integral float.
            if const.const_kind in ("int", "rune", "float") and float(v).is_integer() and _fits_int64(int(v)):
                return int(v)
            raise ArgError(f"expected integer; found {const.src}")
        if kind == "int" and type(v) is int:
            return v
    elif kind == "color":
        if isinstance(v, Color):
            return v
        if const is not None:
            raise ArgError(f"can't handle {const.src} for arg of type {want}")
    raise ArgError(f"wrong type for value; expected {want}; got {type_name(v)}")


def gofunc(*params: str, variadic: str | None = None) -> Callable[[Callable[..., Any]], GoFunc]:
    """Decorator: give a Python function a Go signature."""

    def wrap(fn: Callable[..., Any]) -> GoFunc:
        return GoFunc(fn, params, variadic)

    return wrap
