"""Field access and printing with Go's rules for maps, structs, time values and nil interfaces."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pystern.gotemplate.failures import ElementFieldError, failure
from pystern.gotemplate.gofmt import printable_text, sprint_value, type_name
from pystern.gotemplate.methods import METHODS, call_time_method
from pystern.gotemplate.signatures import ArgError
from pystern.gotemplate.values import MISSING, Color, GoTime, StringMap, Struct


def print_text(value: Any) -> str:
    """How an action prints its value (``<no value>`` for an invalid value / nil interface)."""
    if type(value) is str:
        return value
    if value is MISSING or value is None:
        return "<no value>"
    if type(value) is Color:  # the only pointer: printed as what it points to (printableValue)
        return printable_text(value)
    return sprint_value(value)


def holds_interfaces(value: Any) -> bool:
    """A ``map[string]interface{}``: what its elements' static Go type is (``interface {}``)."""
    return isinstance(value, dict) and not isinstance(value, StringMap | Struct)


def field_of(
    receiver: Any,
    name: str,
    pos: int,
    src: str,
    has_args: bool,
    iface: bool = False,
    element_of: int | None = None,
) -> Any:
    """``receiver.name`` with Go's map/struct rules.

    ``iface``: the receiver came out of a ``map[string]interface{}``, so Go names its static type,
    ``interface {}``, when the field cannot be evaluated.  ``element_of``: the receiver is the element
    of that ``range`` (by id), which knows whether its elements are interfaces.
    """
    if receiver is MISSING:
        return MISSING
    if isinstance(receiver, dict | Mapping):
        if has_args:
            raise failure(pos, src, f"{name} is not a method but has arguments")
        try:
            return receiver[name]
        except KeyError:
            if isinstance(receiver, Struct):
                raise failure(pos, src, f"can't evaluate field {name} in type {receiver.go_type}") from None
            return MISSING
    if isinstance(receiver, GoTime) and name in METHODS:
        try:
            return call_time_method(receiver, name, [])
        except ArgError as exc:
            raise failure(pos, src, str(exc)) from None
    if receiver is None:
        raise failure(pos, src, f"nil pointer evaluating interface {{}}.{name}")
    typ = "interface {}" if iface else type_name(receiver)
    if element_of is not None:
        raise ElementFieldError(pos, src, name, typ, element_of)
    raise failure(pos, src, f"can't evaluate field {name} in type {typ}")
