"""Kubernetes label selectors: parse, match, render (stdlib only); the selectors' error.

The grammar follows apimachinery's ``labels`` package, because the same text is validated
client-side (``-l``) and served by the sandbox, and both must agree with a real API server:
``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``, ``!k``, ``k>1``,
``k<1``; comma means AND.  ``!=`` and ``notin`` also match pods without the key, as in
Kubernetes.  Field selectors are :mod:`pystern.fieldselectors`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pystern.errors import UsageError, shorten

__all__ = [
    "LabelSelector",
    "Requirement",
    "SelectorError",
    "label_selector_to_string",
    "parse_label_selector",
]


class SelectorError(UsageError):
    """A label or field selector that does not parse or names an unsupported field."""


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
