"""List ``continue`` tokens in the API server's format, and its reasons for refusing one.

A token is unpadded URL-safe base64 of ``{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\\u0000"}``
(apiserver storage/continue.go): the list's resourceVersion and the storage key after the last
item returned, relative to the list's key prefix. One that does not decode is a 400 BadRequest;
one that decodes but whose snapshot is gone is the caller's 410. An ``rv`` of -1 means "go on
from that key at the newest resourceVersion".
"""

from __future__ import annotations

import base64
import json
import posixpath
import re
from typing import Any

from pystern.goquote import quote

__all__ = ["BadToken", "decode", "encode"]

_VERSION = "meta.k8s.io/v1"
_INVALID = "continue key is not valid"
_ALPHABET = re.compile(r"[A-Za-z0-9_-]")


class BadToken(Exception):
    """A token the server cannot read; the message is the decoder's reason."""


def encode(resource_version: int, start: str) -> str:
    """The token for a list at ``resource_version`` going on after storage key ``start``."""
    doc = json.dumps({"v": _VERSION, "rv": resource_version, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(doc.encode()).decode().rstrip("=")


def decode(token: str) -> tuple[int, str]:
    """(resourceVersion, start key) of a token; raises :class:`BadToken` as DecodeContinue fails."""
    doc = _unmarshal(_base64(token))
    version = doc.get("v")
    if version != _VERSION:
        raise BadToken(f"{_INVALID}: server does not recognize this encoded version {version or ''}")
    rv, start = doc.get("rv") or 0, doc.get("start") or ""
    if rv == 0:
        raise BadToken(f"{_INVALID}: incorrect encoded start resourceVersion (version {_VERSION})")
    if not start:
        raise BadToken(f"{_INVALID}: encoded start key empty (version {_VERSION})")
    # The server refuses a key that path.Clean changes (no climbing out of the list's prefix).
    key = start if start.startswith("/") else "/" + start
    if key.startswith("//") or posixpath.normpath(key) != key:
        raise BadToken(f"{_INVALID}: {start}")
    return int(rv), start


def _base64(token: str) -> bytes:
    """Go's base64.RawURLEncoding.DecodeString: no padding, CR and LF skipped."""
    chars = [(i, ch) for i, ch in enumerate(token) if ch not in "\r\n"]
    for i, ch in chars:
        if not _ALPHABET.match(ch):
            raise BadToken(f"{_INVALID}: illegal base64 data at input byte {i}")
    if len(chars) % 4 == 1:
        raise BadToken(f"{_INVALID}: illegal base64 data at input byte {chars[-1][0]}")
    text = "".join(ch for _, ch in chars)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Python's json errors in encoding/json's words (the common ones; others keep the first form).
_GO_SYNTAX = {
    "Expecting value": "looking for beginning of value",
    "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
    "Expecting ':' delimiter": "after object key",
    "Expecting ',' delimiter": "after object key:value pair",
    "Extra data": "after top-level value",
}
_FIELD_TYPES = {"v": (str, "string"), "rv": (int, "int64"), "start": (str, "string")}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _unmarshal(data: bytes) -> dict[str, Any]:
    """json.Unmarshal into the token struct: Go's error texts, field names matched case-insensitively."""
    text = data.decode("utf-8", "surrogateescape")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text) or not text.strip():
            raise BadToken(f"{_INVALID}: unexpected end of JSON input") from None
        # Go's scanner names the offending byte, read as a rune (0x81 is '\u0081').
        byte = text[exc.pos].encode("utf-8", "surrogateescape")[0]
        char = "'\\''" if byte == 0x27 else "'" + quote(chr(byte))[1:-1] + "'"
        context = _GO_SYNTAX.get(exc.msg, "looking for beginning of value")
        raise BadToken(f"{_INVALID}: invalid character {char} {context}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        kind = _json_type(doc)
        raise BadToken(
            f"{_INVALID}: json: cannot unmarshal {kind} into Go value of type storage.continueToken"
        )
    fields: dict[str, Any] = {}
    for key, value in doc.items():
        name = key.lower()
        if name not in _FIELD_TYPES or value is None:
            continue
        want, go_type = _FIELD_TYPES[name]
        ok = isinstance(value, want) and not isinstance(value, bool)
        if want is int and ok and not -(2**63) <= value < 2**63:
            ok = False
        if not ok:
            kind = _json_type(value)
            shown = f"number {json.dumps(value)}" if kind == "number" and want is int else kind
            raise BadToken(
                f"{_INVALID}: json: cannot unmarshal {shown} into Go struct field continueToken.{name} "
                f"of type {go_type}"
            )
        fields[name] = value
    return fields
