"""Neutralise terminal control sequences in log content (the class of kubectl CVE-2021-25743).

A container can write ``ESC]0;title BEL`` (set the window title), cursor moves that
overwrite earlier lines, or ``ESC[6n``-style queries whose answer the terminal types
back.  When stdout is a terminal every control character other than tab is shown in
caret notation (``^[``, ``^G``, ``^?``); UTF-8 encoded C1 controls are shown as their
7-bit equivalent (U+009B CSI as ``^[[``).  SGR colour codes (``ESC[...m``) are kept when
colour is on and removed when it is off.  A carriage return right before the line end
is harmless and kept (CRLF logs).  One compiled regex runs over a whole rendered chunk;
our own output only adds SGR codes and newlines, which it leaves alone.
"""

from __future__ import annotations

import re

from pystern.errors import escape_text

__all__ = ["Sanitizer", "escape_json_controls", "escape_text"]

_SGR = rb"\x1b\[[0-9;:]*m"
_CONTROLS = rb"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]"
_KEEP_SGR = re.compile(_SGR + b"|" + _CONTROLS)
_DROP_SGR = re.compile(b"(" + _SGR + b")|" + _CONTROLS)


def _caret(byte: int) -> bytes:
    if byte == 0x7F:
        return b"^?"
    return b"^" + bytes((byte + 0x40,))


_REPLACEMENT: dict[bytes, bytes] = {bytes((b,)): _caret(b) for b in (*range(0x20), 0x7F)}
_REPLACEMENT.update({bytes((0xC2, b)): b"^[" + bytes((b - 0x40,)) for b in range(0x80, 0xA0)})


def _keep(match: re.Match[bytes]) -> bytes:
    text = match.group()
    return text if text[:1] == b"\x1b" and len(text) > 1 else _REPLACEMENT[text]


def _drop(match: re.Match[bytes]) -> bytes:
    if match.group(1) is not None:
        return b""
    return _REPLACEMENT[match.group()]


class Sanitizer:
    """Escapes control sequences in rendered output for a terminal."""

    def __init__(self, *, keep_sgr: bool) -> None:
        self._rx = _KEEP_SGR if keep_sgr else _DROP_SGR
        self._repl = _keep if keep_sgr else _drop

    def __call__(self, data: bytes) -> bytes:
        """``data`` with every dangerous control sequence made visible (cheap when there is none)."""
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = _escape_8bit_c1(data)
        if self._rx.search(data) is None:
            return data
        return self._rx.sub(self._repl, data)


_LONE_C1 = re.compile("[\udc80-\udc9f]")


def _escape_8bit_c1(data: bytes) -> bytes:
    """Bytes 0x80-0x9f outside any UTF-8 sequence are C1 controls on 8-bit terminals
    (0x9b is CSI): show them like their UTF-8 form (``^[[``); other invalid bytes pass."""
    text = data.decode("utf-8", "surrogateescape")
    text = _LONE_C1.sub(lambda m: "^[" + chr(ord(m.group()) - 0xDC00 - 0x40), text)
    return text.encode("utf-8", "surrogateescape")


_JSON_CONTROLS = re.compile(rb"\xc2[\x80-\x9f]|\x7f")


def escape_json_controls(data: bytes) -> bytes:
    """JSON output for a terminal: C1 controls and DEL inside strings become ``\\u00XX``.

    Go's encoder leaves them raw (C0 controls are always escaped); on a terminal U+009B is
    CSI.  Escaping keeps the JSON valid and the value unchanged for a parser.
    """
    if _JSON_CONTROLS.search(data) is None:
        return data
    return _JSON_CONTROLS.sub(_json_escape, data)


def _json_escape(match: re.Match[bytes]) -> bytes:
    text = match.group()
    code = 0x7F if text == b"\x7f" else text[1]
    return b"\\u%04x" % code
