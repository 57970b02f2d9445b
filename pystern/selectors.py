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
from pystern.goquote import quote

__all__ = [
    "LabelSelector",
    "Requirement",
    "SelectorError",
    "label_selector_to_string",
    "parse_label_selector",
]


class SelectorError(UsageError):
    """A label or field selector that does not parse or names an unsupported field."""


# apimachinery's patterns and rule texts (content.IsLabelKey, IsLabelValue, IsDNS1123Subdomain), as the
# API server words them; lengths are in bytes, as Go counts them.
_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_VALUE_FMT = f"({_NAME_FMT})?"
_SUBDOMAIN_FMT = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_NAME = re.compile(_NAME_FMT + r"\Z")
_VALUE = re.compile(_VALUE_FMT + r"\Z")
_SUBDOMAIN = re.compile(_SUBDOMAIN_FMT + r"\Z")
_NAME_RULE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character"
)
_VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character"
)
_SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character"
)
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_INTEGER_RULE = "for 'Gt', 'Lt' operators, the value must be an integer"
_ERRORS_SHOWN = 3
_WHITESPACE = " \t\r\n"  # Go's lexer: nothing else separates tokens

# Token kinds of the label-selector lexer.
_IDENT = "identifier"
_SPECIAL = "".join(["!", "=", "(", ")", ",", ">", "<"])
_OPERATORS = ("!=", "==", "=", "!", "(", ")", ",", ">", "<")


def _regex_error(rule: str, fmt: str, *examples: str) -> str:
    """apimachinery's RegexError, double spaces included."""
    shown = "".join(f"{' or ' if i else ''}'{example}', " for i, example in enumerate(examples))
    return f"{rule} (e.g. {shown}regex used for validation is '{fmt}')"


def _too_long(text: str, limit: int) -> bool:
    return len(text.encode("utf-8", "surrogateescape")) > limit


def _invalid(path: str, value: str, detail: str) -> str:
    """field.Invalid's text: ``<path>: Invalid value: "<value>": <detail>``."""
    return f"{path}: Invalid value: {quote(shorten(value))}: {detail}"


def _key_problems(key: str) -> list[str]:
    parts = key.split("/")
    problems: list[str] = []
    if len(parts) > 2:
        rule = _regex_error(_NAME_RULE, _NAME_FMT, "MyName", "my.name", "123-abc")
        tail = "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        return [f"a valid label key {rule} {tail}"]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            if _too_long(prefix, 253):
                problems.append("prefix part must be no more than 253 bytes")
            if not _SUBDOMAIN.match(prefix):
                problems.append("prefix part " + _regex_error(_SUBDOMAIN_RULE, _SUBDOMAIN_FMT, "example.com"))
    if not name:
        problems.append("name part must be non-empty")
    elif _too_long(name, 63):
        problems.append("name part must be no more than 63 bytes")
    if not _NAME.match(name):
        problems.append("name part " + _regex_error(_NAME_RULE, _NAME_FMT, "MyName", "my.name", "123-abc"))
    return problems


def _check_key(key: str) -> None:
    problems = _key_problems(key)
    if problems:
        # The parser validates the key with no field path, which Go prints as "<nil>".
        raise SelectorError(f"unable to parse requirement: {_invalid('<nil>', key, '; '.join(problems))}")


def _value_problems(key: str, index: int, value: str) -> list[str]:
    problems = []
    if _too_long(value, 63):
        problems.append("must be no more than 63 bytes")
    if not _VALUE.match(value):
        problems.append(_regex_error(_VALUE_RULE, _VALUE_FMT, "MyValue", "my_value", "12345"))
    return [_invalid(f"values[{index}][{shorten(key)}]", value, "; ".join(problems))] if problems else []


def _is_int64(text: str) -> bool:
    """strconv.ParseInt(text, 10, 64) succeeds."""
    return bool(_INTEGER.match(text)) and -(2**63) <= int(text) < 2**63


def _check_values(key: str, op: str, values: tuple[str, ...]) -> None:
    """NewRequirement's checks of the values: every problem, aggregated as Go's ErrorList does."""
    errors: list[str] = []
    if op in ("gt", "lt") and not _is_int64(values[0]):
        errors.append(_invalid("values[0]", values[0], _INTEGER_RULE))
    for index, value in enumerate(values):
        errors.extend(_value_problems(key, index, value))
    errors = list(dict.fromkeys(errors))
    if len(errors) > _ERRORS_SHOWN:
        # Go lists them all; a long "in (...)" list must not make the one error line a screenful.
        errors[_ERRORS_SHOWN:] = [f"and {len(errors) - _ERRORS_SHOWN} more"]
    if errors:
        text = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
        raise SelectorError(f"unable to parse requirement: {text}")


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
        if value is None or not _is_int64(value):
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
        if ch in _WHITESPACE:
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
        while end < len(text) and text[end] not in _WHITESPACE and text[end] not in _SPECIAL:
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
            _check_values(key, lit, values)
            return Requirement(key, lit, values)
        if kind in ("=", "==", "!=", ">", "<"):
            value = self.single_value()
            op = {"=": "=", "==": "=", "!=": "!=", ">": "gt", "<": "lt"}[kind]
            _check_values(key, op, (value,))
            return Requirement(key, op, (value,))
        raise self.fail(f"found '{shorten(lit)}', expected: in, notin, =, ==, !=, gt, lt")

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
