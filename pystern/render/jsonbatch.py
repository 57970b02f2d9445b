"""The ``-o json`` hot path: a whole batch of messages to Go-escaped JSON records in a few C passes.

``jsontext.quote`` (the reference) decodes, encodes and fixes up a ``str``.  Most log text
is valid UTF-8 with nothing to escape but ``"`` (JSON logs have a dozen per line) and maybe
``\\``, so here a batch is joined once, escaped as a whole, and the per-record JSON fields are
put in with one ``replace`` of the separator: no per-line Python work, no per-line objects.

Two routes give the same bytes (a property test holds them to ``jsontext.quote``):

* with ``orjson`` installed (the ``fast`` extra), its SIMD string encoder escapes the batch;
  it writes control characters exactly like Python's encoder, and leaves Go's extra
  escapes (``<``, ``>``, ``&``, U+2028, U+2029) to us.  The messages are joined with DEL,
  which JSON leaves unescaped, so the separators are still single bytes in the output.
* otherwise ``bytes.replace`` escapes backslashes and quotes, and a ``translate`` that
  deletes every plain byte tells in one pass whether anything rarer needs a regex.

A batch holding invalid UTF-8 goes through ``jsontext.quote_many``, which knows Go's
one-``\\ufffd``-per-byte rule.  Messages are lines: they never contain a newline (the sink
gets them from the line splitter); if one does anyway it is escaped, not split.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pystern.render.jsontext import quote, quote_many, quote_text

_dumps: Callable[[str], bytes] | None
try:
    from orjson import dumps as _dumps
except ImportError:  # optional: the pure-bytes route is exact too, about half as fast
    _dumps = None

_OPEN = b'{"message":"'
_DEL = b"\x7f"
# Bytes that need an escape besides '"' and '\\': C0 controls (the newline is our separator)
# and Go's HTML-safe trio.  Their escapes come from quote_text, so every route agrees.
_SPECIAL = bytes([*range(0x0A), *range(0x0B, 0x20)]) + b"<>&"
_PLAIN = bytes(b for b in range(256) if b not in _SPECIAL)
_SPECIAL_RX = re.compile(b"[" + re.escape(_SPECIAL) + b"]")
_SPECIAL_ESCAPES = {bytes((b,)): quote_text(chr(b))[1:-1].encode() for b in _SPECIAL}
_LS, _PS = "\u2028".encode(), "\u2029".encode()
_LS_PS_LEAD = _LS[:2]  # U+2028 and U+2029 share their first two UTF-8 bytes


def _escape_special(match: re.Match[bytes]) -> bytes:
    return _SPECIAL_ESCAPES[match.group()]


def _go_extras(quoted: bytes, wide: bool) -> bytes:
    """Go's escapes that Python's and orjson's encoders leave out (the checks are memchr scans)."""
    if b"<" in quoted:
        quoted = quoted.replace(b"<", b"\\u003c")
    if b">" in quoted:
        quoted = quoted.replace(b">", b"\\u003e")
    if b"&" in quoted:
        quoted = quoted.replace(b"&", b"\\u0026")
    if wide and _LS_PS_LEAD in quoted:
        quoted = quoted.replace(_LS, b"\\u2028").replace(_PS, b"\\u2029")
    return quoted


def escape_lines(joined: bytes) -> bytes | None:
    """The Go JSON string contents of newline-joined messages, newlines kept; None for invalid UTF-8.

    The pure-bytes route: each step is one C loop over the batch, and the rare ones run
    only when a cheap check (``isascii``, ``in``, ``translate``) says they must.
    """
    wide = not joined.isascii()
    if wide:
        try:
            joined.decode("utf-8")  # validation only: valid UTF-8 goes out unchanged
        except UnicodeDecodeError:
            return None
    # The backslash first: the escapes added below bring their own backslashes.
    if b"\\" in joined:
        joined = joined.replace(b"\\", b"\\\\")
    if b'"' in joined:
        joined = joined.replace(b'"', b'\\"')
    if joined.translate(None, _PLAIN):
        joined = _SPECIAL_RX.sub(_escape_special, joined)
    if wide and _LS_PS_LEAD in joined:
        joined = joined.replace(_LS, b"\\u2028").replace(_PS, b"\\u2029")
    return joined


def _orjson_batch(messages: Sequence[bytes]) -> bytes | None:
    """The batch as one quoted JSON string with a raw DEL between messages; None: not this route.

    A message may hold DEL itself (JSON leaves it raw), which could not be told from a
    separator: the callers check that they found exactly one separator fewer than messages.
    """
    if _dumps is None:
        return None
    try:
        text = _DEL.join(messages).decode("utf-8")
    except UnicodeDecodeError:
        return None
    # str.isascii reads a flag the decoder set: no second scan of the batch.
    return _go_extras(_dumps(text), not text.isascii())


def _escaped_batch(messages: Sequence[bytes]) -> bytes:
    """The escaped contents of the messages, newline-separated (escaped text never holds one)."""
    if b"\n" not in b"".join(messages):  # cheaper than counting the separators afterwards
        escaped = escape_lines(b"\n".join(messages))
        if escaped is not None:
            return escaped
        parts = quote_many(messages)  # invalid UTF-8: the str route, still one encoder pass
    else:
        parts = [quote(m)[1:-1] for m in messages]
    return "\n".join(parts).encode()


def json_line_parts(messages: Sequence[bytes], rest: bytes) -> tuple[bytes, ...]:
    """``{"message":"<escaped>"`` + ``rest`` for each message, as parts to write one after another.

    ``rest`` is the target's constant tail (``,"nodeName":...}`` and the newline).  One
    ``replace`` puts the closing quote, the target's fields and the next record's opening
    in place of every separator: no per-line concatenation.  The batch's two ends stay
    separate parts, so the batch is not copied once more to add them.
    """
    if not messages:
        return ()
    close = b'"' + rest
    quoted = _orjson_batch(messages)
    if quoted is not None:  # quoted starts and ends with the string's own quotes
        separator = close + _OPEN
        body = quoted.replace(_DEL, separator)
        # The separators replaced, counted from the growth: free, where a check for DEL in
        # the messages beforehand cost a join and a scan of the batch (6% of this route).
        if len(body) - len(quoted) == (len(messages) - 1) * (len(separator) - 1):
            return (_OPEN[:-1], body, rest)
    escaped = _escaped_batch(messages)
    return (_OPEN, escaped.replace(b"\n", close + _OPEN), close)


def json_lines(messages: Sequence[bytes], rest: bytes) -> bytes:
    """``json_line_parts`` as one bytes object."""
    return b"".join(json_line_parts(messages, rest))


def escape_many(messages: Sequence[bytes]) -> list[bytes]:
    """The escaped contents (without the quotes) of each message, as bytes, in one batch pass."""
    if not messages:
        return []
    quoted = _orjson_batch(messages)
    if quoted is not None:
        parts = quoted[1:-1].split(_DEL)
        if len(parts) == len(messages):  # else a message held DEL itself
            return parts
    return _escaped_batch(messages).split(b"\n")
