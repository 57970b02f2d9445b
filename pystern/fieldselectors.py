"""Kubernetes field selectors: parse, match, and the pod field labels (stdlib only).

The grammar follows apimachinery's ``fields`` package, because the same text is validated
client-side (``--field-selector``, ``--node``) and served by the sandbox, and both must
agree with a real API server: ``f=v``, ``f==v``, ``f!=v``; comma means AND; backslash
escapes ``,``, ``=`` and ``\\``.  Label selectors are :mod:`pystern.selectors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pystern.errors import shorten
from pystern.selectors import SelectorError

__all__ = [
    "POD_FIELD_LABELS",
    "FieldRequirement",
    "FieldSelector",
    "FieldValueError",
    "check_pod_field_selector",
    "parse_field_selector",
    "pod_field_values",
]

# Field labels the API server accepts for pods (pkg/apis/core/v1/conversion.go).
POD_FIELD_LABELS = frozenset(
    {
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.podIPs",
        "status.nominatedNodeName",
    }
)
_FIELD_ALIASES = {"spec.host": "spec.nodeName"}


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    """One term of a field selector; ``op`` is ``=`` or ``!=``."""

    field: str
    op: str
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        """Whether the object's field values satisfy this term (an absent field reads as "")."""
        equal = fields.get(self.field, "") == self.value
        return equal if self.op == "=" else not equal

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")
        return f"{self.field}{self.op}{escaped}"


@dataclass(frozen=True, slots=True)
class FieldSelector:
    """A parsed field selector: the AND of its terms (empty matches everything)."""

    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        """Whether every term matches."""
        return all(req.matches(fields) for req in self.requirements)

    @property
    def empty(self) -> bool:
        """True when the selector selects everything."""
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(req) for req in self.requirements)


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in text:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


class FieldValueError(SelectorError):
    """A value apimachinery's UnescapeValue refuses.

    ``wire`` is its text exactly, what the API server answers; the message adds the term, which
    Go's text does not name, so that a user can tell which one is meant.
    """

    def __init__(self, wire: str, term: str) -> None:
        super().__init__(f"{wire} (in '{shorten(term)}')")
        self.wire = wire


def _unescape(value: str, term: str) -> str:
    """apimachinery's UnescapeValue, with its error texts (a bare rune prints as its number)."""
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 >= len(value):
                raise FieldValueError("invalid field selector: invalid escape sequence: \\", term)
            if value[i + 1] not in "\\,=":
                raise FieldValueError(
                    f"invalid field selector: invalid escape sequence: \\{value[i + 1]}", term
                )
            out.append(value[i + 1])
            i += 2
            continue
        if ch in ",=":
            raise FieldValueError(f"invalid field selector: unescaped character in value: {ord(ch)}", term)
        out.append(ch)
        i += 1
    return "".join(out)


def _split_term(term: str) -> tuple[str, str, str] | None:
    """The first operator splits a term: the name part has no escapes (apimachinery's splitTerm)."""
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
    return None


def parse_field_selector(text: str) -> FieldSelector:
    """Parse a field selector string; raises :class:`SelectorError` on bad syntax.

    As the API server, names are taken as written (not trimmed, possibly empty; the field-label
    check refuses those), and the terms are checked in sorted order, so that of two bad terms
    the same one is named.
    """
    parts = [part for part in _split_unescaped(text, ",") if part]
    parsed: dict[str, FieldRequirement] = {}
    for part in sorted(parts):
        split = _split_term(part)
        if split is None:
            raise SelectorError(f"invalid selector: '{shorten(text)}'; can't understand '{shorten(part)}'")
        lhs, op, rhs = split
        parsed[part] = FieldRequirement(lhs, "!=" if op == "!=" else "=", _unescape(rhs, part))
    return FieldSelector(tuple(parsed[part] for part in parts))


def check_pod_field_selector(selector: FieldSelector) -> FieldSelector:
    """Apply the API server's pod field-label rules: map ``spec.host``, reject unknown labels.

    Raises :class:`SelectorError` with the server's text ``field label not supported: <label>``.
    """
    out: list[FieldRequirement] = []
    # The API server converts the terms in sorted order: the sorted first bad label is named.
    for req in sorted(selector.requirements, key=str):
        if _FIELD_ALIASES.get(req.field, req.field) not in POD_FIELD_LABELS:
            raise SelectorError(f"field label not supported: {shorten(req.field)}")
    for req in selector.requirements:
        out.append(FieldRequirement(_FIELD_ALIASES.get(req.field, req.field), req.op, req.value))
    return FieldSelector(tuple(out))


def pod_field_values(pod: Mapping[str, Any]) -> dict[str, str]:
    """The selectable fields of a pod JSON object, as the API server computes them."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    return {
        "metadata.name": str(meta.get("name", "")),
        "metadata.namespace": str(meta.get("namespace", "")),
        "spec.nodeName": str(spec.get("nodeName", "") or ""),
        "spec.restartPolicy": str(spec.get("restartPolicy", "") or ""),
        "spec.schedulerName": str(spec.get("schedulerName", "") or ""),
        "spec.serviceAccountName": str(spec.get("serviceAccountName", "") or ""),
        "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
        "status.phase": str(status.get("phase", "") or ""),
        "status.podIP": str(status.get("podIP", "") or ""),
        "status.nominatedNodeName": str(status.get("nominatedNodeName", "") or ""),
    }
