"""Go's ``strconv.Quote``: how Go programs (templates, ``%q``, API server messages) quote a string.

Rank 0, so that both the template engine and the label-selector errors can use it.
"""

from __future__ import annotations

__all__ = ["quote"]


def quote(s: str, ascii_only: bool = False) -> str:
    """``strconv.Quote`` (or ``QuoteToASCII``)."""
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\ufffd" or (ch.isprintable() and ch != "\ufeff" and not (ascii_only and c > 126)):
            out.append(ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                        "\v": "\\v"}[ch])  # fmt: skip
        elif c < 0x20 or c == 0x7F:
            out.append(f"\\x{c:02x}")
        elif 0xD800 <= c < 0xE000:
            out.append(f"\\x{c & 0xFF:02x}")
        elif c < 0x10000:
            out.append(f"\\u{c:04x}")
        else:
            out.append(f"\\U{c:08x}")
    out.append('"')
    return "".join(out)
