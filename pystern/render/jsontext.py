"""Go ``encoding/json`` string escaping for log messages, a batch at a time.

Go differs from Python's ``json.dumps(ensure_ascii=False)`` in three places: it escapes
``<``, ``>`` and ``&`` (``\\u003c``...), U+2028/U+2029, and writes each byte of invalid
UTF-8 as the six characters ``\\ufffd``.  Messages are decoded with ``surrogateescape``
(one lone surrogate per invalid byte, as Go counts them), quoted by the C encoder, and
fixed up with one ``translate``.  A batch of messages is joined with a private-use
separator so that the decode, the encoder and the fix-up run once per batch, not per line.

This is the reference route; ``jsonbatch`` has the faster bytes routes for the hot path
and falls back to this one for invalid UTF-8.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring

_FIXUP = re.compile("[<>&\u2028\u2029\udc80-\udcff]")
_FIXUP_TABLE: dict[int, str] = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
    **{c: "\\ufffd" for c in range(0xDC80, 0xDD00)},
}
_SEP = "\uf8ff"
_SEP_BYTES = _SEP.encode()
_JSON_START = frozenset(b'{["-0123456789tfn')


def quote_text(text: str) -> str:
    """``text`` (lone surrogates = invalid bytes) as a Go JSON string literal, quotes included."""
    quoted: str = encode_basestring(text)
    if _FIXUP.search(quoted) is not None:
        quoted = quoted.translate(_FIXUP_TABLE)
    return quoted


def quote(data: bytes) -> str:
    """Raw message bytes as a Go JSON string literal."""
    return quote_text(data.decode("utf-8", "surrogateescape"))


def _quote_joined(messages: Sequence[bytes]) -> str | None:
    """The messages quoted as one string with ``_SEP`` between them (None: use the slow path)."""
    joined = b"\n".join(messages)
    if _SEP_BYTES in joined:
        return None
    # Lines never contain "\n"; the private-use separator survives the encoder untouched.
    return quote_text(joined.decode("utf-8", "surrogateescape").replace("\n", _SEP))[1:-1]


def quote_many(messages: Sequence[bytes]) -> list[str]:
    """The escaped contents (without the quotes) of each message, in one encoder pass."""
    if len(messages) == 1:
        return [quote(messages[0])[1:-1]]
    quoted = _quote_joined(messages)
    if quoted is None:
        return [quote(m)[1:-1] for m in messages]
    return quoted.split(_SEP)


def go_string_map(mapping: Mapping[str, str]) -> str:
    """A ``map[string]string`` as Go marshals it: sorted keys, compact, ``null`` when empty."""
    if not mapping:
        return "null"
    return "{" + ",".join(f"{quote_text(k)}:{quote_text(v)}" for k, v in sorted(mapping.items())) + "}"


def _no_constant(name: str) -> object:
    raise ValueError(name)


def is_json(data: bytes) -> bool:
    """Go's ``json.Valid`` for a message we may embed as-is (and that is valid UTF-8).

    Invalid UTF-8 counts as not JSON here (Go would embed the bad bytes and break the output).
    """
    stripped = data.strip(b" \t\r\n")
    if not stripped or stripped[0] not in _JSON_START:
        return False
    try:
        json.loads(stripped.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return False
    return True
