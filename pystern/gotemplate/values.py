"""The Go values a template works with that Python has no direct type for.

Mapping used throughout: Go string -> ``str``, int -> ``int``, float64 -> ``float``,
bool -> ``bool``, nil -> ``None``, ``map[string]interface{}`` -> ``dict``,
``map[string]string`` -> :class:`StringMap` (or any dict passed as Labels/Annotations),
slices -> ``list``/``tuple``, ``json.Number`` -> :class:`JsonNumber`, ``time.Time`` -> :class:`GoTime`,
fatih/color ``*Color`` -> :class:`Color`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


class JsonNumber(str):
    """``json.Number``: the exact number text; a Go string kind (so ``eq`` and ``print`` treat it as one)."""

    __slots__ = ()


class StringMap(dict[str, str]):
    """A ``map[string]string`` (pod labels/annotations): ``index`` of a missing key gives ``""``."""

    __slots__ = ()


class _Missing:
    """Go's invalid ``reflect.Value``: what a missing map key evaluates to (prints ``<no value>``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<no value>"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# fatih/color: the attribute that undoes each attribute (0 = reset all).
_RESET = {1: 22, 2: 22, 3: 23, 4: 24, 5: 25, 6: 25, 7: 27, 8: 28, 9: 29}


class Color:
    """A fatih/color ``*Color``: SGR attributes; renders ``ESC[a;bm text ESC[ra;rbm`` when enabled."""

    __slots__ = ("_close", "_open", "attrs", "enabled")

    def __init__(self, attrs: tuple[int, ...] | list[int], enabled: bool = True) -> None:
        self.attrs = tuple(int(a) for a in attrs)
        self.enabled = enabled
        self._open = "\x1b[" + ";".join(str(a) for a in self.attrs) + "m"
        self._close = "\x1b[" + ";".join(str(_RESET.get(a, 0)) for a in self.attrs) + "m"

    def wrap(self, text: str) -> str:
        """``color.SprintFunc()(text)``: plain text when colour is off."""
        if not self.enabled:
            return text
        return self._open + text + self._close

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Color) and other.attrs == self.attrs and other.enabled == self.enabled

    def __hash__(self) -> int:
        return hash(self.attrs)

    def __repr__(self) -> str:
        return f"Color({self.attrs!r})"


class GoTime:
    """A Go ``time.Time``: Unix nanoseconds plus a location (``tz``) and its Go name."""

    __slots__ = ("loc", "ns", "tz")

    def __init__(self, ns: int, tz: dt.tzinfo, loc: str = "") -> None:
        self.ns = ns
        self.tz = tz
        self.loc = loc

    def wall(self) -> tuple[dt.datetime, int]:
        """The wall clock in this location (second precision) and the nanoseconds within the second."""
        sec, nsec = divmod(self.ns, 1_000_000_000)
        # UTC arithmetic first, then convert: aware-datetime arithmetic in a zone is wall-clock arithmetic.
        return (_EPOCH + dt.timedelta(seconds=sec)).astimezone(self.tz), nsec

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoTime) and other.ns == self.ns

    def __hash__(self) -> int:
        return hash(self.ns)


class Struct(dict[str, Any]):
    """A Go struct given as a mapping: a missing field is an execution error, not ``<no value>``.

    ``Struct("stern.Log", Message=..., ...)``; the executor reports ``can't evaluate field Foo in type
    stern.Log`` as Go does for the struct stern passes to its templates.  ``json`` encodes a struct with
    its Go json tags when the type is in :data:`JSON_TAGS` (``stern.Log``: ``{{json .}}``), else with
    every field in insertion order.
    """

    __slots__ = ("go_type",)

    def __init__(self, go_type: str, /, *args: Any, **fields: Any) -> None:
        super().__init__(*args, **fields)
        self.go_type = go_type


# Go json tags of known structs: (field, json name, omitempty); fields not listed are `json:"-"`.
JSON_TAGS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "stern.Log": (
        ("Message", "message", False),
        ("Timestamp", "timestamp", True),
        ("NodeName", "nodeName", False),
        ("Namespace", "namespace", False),
        ("PodName", "podName", False),
        ("ContainerName", "containerName", False),
        ("Labels", "labels", False),
        ("Annotations", "annotations", False),
    )
}


# The fields of known structs as Go declares them: fmt prints these, in this order (a field pystern
# adds for its own use, such as the Log's ``Context``, is not part of stern's struct).
STRUCT_FIELDS: dict[str, tuple[str, ...]] = {
    "stern.Log": (
        "Message", "Timestamp", "NodeName", "Namespace", "PodName", "ContainerName", "Labels",
        "Annotations", "PodColor", "ContainerColor",
    )
}  # fmt: skip


def struct_fields(value: Struct) -> list[tuple[str, Any]]:
    """``(name, value)`` of each field Go would print, in declaration order."""
    names = STRUCT_FIELDS.get(value.go_type)
    if names is None:
        return list(value.items())
    return [(name, value[name]) for name in names if name in value]


class NilMap(dict[str, Any]):
    """A nil ``map[string]interface{}`` (what ``tryParseJSON`` returns on failure): empty, JSON ``null``."""

    __slots__ = ()
