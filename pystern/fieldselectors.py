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


def _unescape(value: str, term: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 >= len(value) or value[i + 1] not in "\\,=":
                raise SelectorError(f"invalid field selector: '{shorten(term)}': invalid escape sequence")
            out.append(value[i + 1])
            i += 2
            continue
        if ch in ",=":
            raise SelectorError(f"invalid field selector: '{shorten(term)}': unescaped {ch!r} in value")
        out.append(ch)
        i += 1
    return "".join(out)


def _split_term(term: str) -> tuple[str, str, str] | None:
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
        i += 1
    return None


def parse_field_selector(text: str) -> FieldSelector:
    """Parse a field selector string; raises :class:`SelectorError` on bad syntax."""
    reqs: list[FieldRequirement] = []
    for part in _split_unescaped(text, ","):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError(f"invalid selector: '{shorten(text)}'; can't understand '{shorten(part)}'")
        lhs, op, rhs = split
        lhs = lhs.strip()
        if not lhs:
            raise SelectorError(f"invalid selector: '{shorten(text)}'; can't understand '{shorten(part)}'")
        reqs.append(FieldRequirement(lhs, "!=" if op == "!=" else "=", _unescape(rhs, part)))
    return FieldSelector(tuple(reqs))


def check_pod_field_selector(selector: FieldSelector) -> FieldSelector:
    """Apply the API server's pod field-label rules: map ``spec.host``, reject unknown labels.

    Raises :class:`SelectorError` with the server's text ``field label not supported: <label>``.
    """
    out: list[FieldRequirement] = []
    for req in selector.requirements:
        name = _FIELD_ALIASES.get(req.field, req.field)
        if name not in POD_FIELD_LABELS:
            raise SelectorError(f"field label not supported: {shorten(req.field)}")
        out.append(FieldRequirement(name, req.op, req.value))
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
