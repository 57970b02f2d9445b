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
        if self._rx.search(data) is None:
            return data
        return self._rx.sub(self._repl, data)


def escape_text(text: str) -> str:
    """The same neutralising for a notice or error text on stderr (SGR codes made visible too)."""
    out = []
    for ch in text:
        code = ord(ch)
        if (code < 0x20 and ch != "\t") or code == 0x7F:
            out.append("^?" if code == 0x7F else "^" + chr(code + 0x40))
        elif 0x80 <= code < 0xA0:
            out.append("^[" + chr(code - 0x40))
        else:
            out.append(ch)
    return "".join(out)
