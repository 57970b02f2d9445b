"""Kubernetes label and field selectors: parse, match, render (stdlib only).

The grammar follows apimachinery's ``labels`` and ``fields`` packages, because the
same text is validated client-side (``-l``, ``--field-selector``) and served by the
sandbox, and both must agree with a real API server:

* label selector: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``,
  ``!k``, ``k>1``, ``k<1``; comma means AND.  ``!=`` and ``notin`` also match pods
  without the key, as in Kubernetes.
* field selector: ``f=v``, ``f==v``, ``f!=v``; comma means AND; backslash escapes
  ``,``, ``=`` and ``\\``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pystern.errors import UsageError, shorten

__all__ = [
    "POD_FIELD_LABELS",
    "FieldRequirement",
    "FieldSelector",
    "LabelSelector",
    "Requirement",
    "SelectorError",
    "check_pod_field_selector",
    "label_selector_to_string",
    "parse_field_selector",
    "parse_label_selector",
    "pod_field_values",
]


class SelectorError(UsageError):
    """A label or field selector that does not parse or names an unsupported field."""


# --------------------------------------------------------------------------- labels

_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?\Z")
_INTEGER = re.compile(r"[+-]?\d+\Z")

# Token kinds of the label-selector lexer.
_IDENT = "identifier"
_SPECIAL = "".join(["!", "=", "(", ")", ",", ">", "<"])
_OPERATORS = ("!=", "==", "=", "!", "(", ")", ",", ">", "<")


def _check_key(key: str) -> None:
    prefix, slash, name = key.rpartition("/")
    problems = []
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        problems.append("prefix part must be a lowercase RFC 1123 subdomain")
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        problems.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
            "end with an alphanumeric character (at most 63 characters)"
        )
    if problems:
        raise SelectorError(
            f'unable to parse requirement: invalid label key "{shorten(key)}": {"; ".join(problems)}'
        )


def _check_value(key: str, value: str) -> None:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise SelectorError(
            f'unable to parse requirement: invalid label value: "{shorten(value)}": '
            f'at key: "{shorten(key)}": a valid label '
            "must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
            "start and end with an alphanumeric character (at most 63 characters)"
        )


@dataclass(frozen=True, slots=True)
class Requirement:
    """One term of a label selector.  ``op`` is one of ``= != in notin exists !exists gt lt``."""

    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label set satisfies this term (Kubernetes semantics)."""
        op = self.op
        if op == "exists":
            return self.key in labels
        if op == "!exists":
            return self.key not in labels
        value = labels.get(self.key)
        if op in ("=", "in"):
            return value is not None and value in self.values
        if op in ("!=", "notin"):
            return value is None or value not in self.values
        if value is None or not _INTEGER.match(value):
            return False
        bound = int(self.values[0])
        return int(value) > bound if op == "gt" else int(value) < bound

    def __str__(self) -> str:
        if self.op == "exists":
            return self.key
        if self.op == "!exists":
            return "!" + self.key
        if self.op in ("in", "notin"):
            return f"{self.key} {self.op} ({','.join(self.values)})"
        symbol = {"gt": ">", "lt": "<"}.get(self.op, self.op)
        return f"{self.key}{symbol}{self.values[0]}"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A parsed label selector: the AND of its requirements (empty matches everything)."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Whether ``labels`` satisfies every requirement."""
        labels = labels or {}
        return all(req.matches(labels) for req in self.requirements)

    @property
    def empty(self) -> bool:
        """True when the selector selects everything."""
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(req) for req in self.requirements)


def _lex(text: str) -> list[tuple[str, str]]:
    """Split a label selector into (kind, text) tokens; kind is an operator or ``_IDENT``."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            pos += 1
            continue
        if ch in _SPECIAL:
            for op in _OPERATORS:
                if text.startswith(op, pos):
                    tokens.append((op, op))
                    pos += len(op)
                    break
            continue
        end = pos
        while end < len(text) and not text[end].isspace() and text[end] not in _SPECIAL:
            end += 1
        tokens.append((_IDENT, text[pos:end]))
        pos = end
    return tokens


class _LabelParser:
    """apimachinery's labels.Parser: the same token rules and the same error texts."""

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("EOS", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    @staticmethod
    def fail(what: str) -> SelectorError:
        return SelectorError(f"unable to parse requirement: {what}")

    def parse(self) -> LabelSelector:
        reqs: list[Requirement] = []
        while True:
            kind, lit = self.peek()
            if kind == "EOS":
                break
            if kind not in (_IDENT, "!"):
                raise SelectorError(f"found '{shorten(lit)}', expected: !, identifier, or 'end of string'")
            reqs.append(self.requirement())
            kind, lit = self.take()
            if kind == "EOS":
                break
            if kind != ",":
                raise SelectorError(f"found '{shorten(lit)}', expected: ',' or 'end of string'")
            kind, lit = self.peek()
            if kind not in (_IDENT, "!"):
                raise SelectorError(f"found '{shorten(lit)}', expected: identifier after ','")
        return LabelSelector(tuple(reqs))

    def requirement(self) -> Requirement:
        kind, key = self.take()
        negated = kind == "!"
        if negated:
            kind, key = self.take()
        if kind != _IDENT:
            raise self.fail(f"found '{shorten(key)}', expected: identifier")
        _check_key(key)
        if negated:
            return Requirement(key, "!exists")
        kind, lit = self.peek()
        if kind in ("EOS", ","):
            return Requirement(key, "exists")
        self.take()
        if kind == _IDENT and lit in ("in", "notin"):
            values = self.value_set()
            for value in values:
                _check_value(key, value)
            return Requirement(key, lit, values)
        if kind in ("=", "==", "!="):
            value = self.single_value()
            _check_value(key, value)
            return Requirement(key, "!=" if kind == "!=" else "=", (value,))
        if kind in (">", "<"):
            value = self.single_value()
            if not _INTEGER.match(value):
                raise self.fail("for 'Gt', 'Lt' operators, the value must be an integer")
            return Requirement(key, "gt" if kind == ">" else "lt", (value,))
        raise self.fail(f"found '{shorten(lit)}', expected: '=', '!=', '==', 'in', notin'")

    def single_value(self) -> str:
        kind, lit = self.peek()
        if kind in ("EOS", ","):
            return ""
        self.take()
        if kind != _IDENT:
            raise self.fail(f"found '{shorten(lit)}', expected: identifier")
        return lit

    def value_set(self) -> tuple[str, ...]:
        kind, lit = self.take()
        if kind != "(":
            raise self.fail(f"found '{shorten(lit)}' expected: '('")
        kind, lit = self.peek()
        if kind == ")":
            # "()" is the set holding the empty string, as upstream parses it.
            self.take()
            return ("",)
        if kind not in (_IDENT, ","):
            raise self.fail(f"found '{shorten(lit)}', expected: ',', ')' or identifier")
        values: list[str] = []
        while True:
            kind, lit = self.take()
            if kind == _IDENT:
                values.append(lit)
                kind2, lit2 = self.peek()
                if kind2 == ",":
                    self.take()
                    if self.peek()[0] == ")":
                        values.append("")
                    continue
                if kind2 == ")":
                    self.take()
                    break
                raise self.fail(f"found '{shorten(lit2)}', expected: ',' or ')'")
            if kind == ",":
                values.append("")
                if self.peek()[0] == ")":
                    self.take()
                    break
                continue
            if kind == ")":
                values.append("")
                break
            raise self.fail(f"found '{shorten(lit)}', expected: ',', or identifier")
        return tuple(sorted(set(values)))


def parse_label_selector(text: str) -> LabelSelector:
    """Parse a label selector string; raises :class:`SelectorError` on bad syntax or names."""
    return _LabelParser(text).parse()


def label_selector_to_string(selector: Mapping[str, Any] | None) -> str:
    """Render a ``metav1.LabelSelector`` object (matchLabels + matchExpressions) as selector text.

    A plain ``{key: value}`` map (Service / ReplicationController ``spec.selector``) is accepted too.
    Keys are sorted as apimachinery does, so the text is stable.
    """
    if not selector:
        return ""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    reqs: list[Requirement] = [
        Requirement(k, "=", (str(v),)) for k, v in (selector.get("matchLabels") or {}).items()
    ]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}
    for expr in selector.get("matchExpressions") or []:
        op = ops.get(str(expr.get("operator")))
        if op is None:
            raise SelectorError(
                f"{shorten(repr(expr.get('operator')))} is not a valid label selector operator"
            )
        values = tuple(sorted(str(v) for v in expr.get("values") or ()))
        reqs.append(Requirement(str(expr["key"]), op, values if op in ("in", "notin") else ()))
    reqs.sort(key=lambda r: r.key)
    return str(LabelSelector(tuple(reqs)))


# --------------------------------------------------------------------------- fields

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
