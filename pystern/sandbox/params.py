"""Query-parameter parsing with the API server's rules (apimachinery runtime/conversion.go)."""

from __future__ import annotations

from collections.abc import Mapping


class BadParam(ValueError):
    """A query parameter that does not convert; the message is the 400 text."""


def flag(query: Mapping[str, str], name: str) -> bool:
    """A boolean parameter: present and not ``0``/``false`` (any case) means true."""
    if name not in query:
        return False
    return query[name].lower() not in ("0", "false")


def integer(query: Mapping[str, str], name: str) -> int | None:
    """A base-10 integer parameter, or None when absent."""
    if name not in query:
        return None
    raw = query[name]
    try:
        return int(raw, 10)
    except ValueError:
        raise BadParam(f'strconv.ParseInt: parsing "{raw}": invalid syntax') from None
