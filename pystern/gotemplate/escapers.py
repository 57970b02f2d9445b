"""The escapers behind the ``html``, ``js`` and ``urlquery`` builtins (Go's ``text/template`` rules)."""

from __future__ import annotations

import urllib.parse

_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\x00": "\ufffd"}


def html_escape(s: str) -> str:
    """``template.HTMLEscapeString``."""
    return "".join(_HTML.get(c, c) for c in s)


def js_escape(s: str) -> str:
    """``template.JSEscapeString``."""
    out: list[str] = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c in "'\"":
            out.append("\\" + c)
        elif 0xD800 <= ord(c) < 0xE000:
            # An undecodable byte (surrogateescape): Go sees U+FFFD, which is printable, and copies the byte.
            out.append(c)
        elif c in "<>&=" or c < " " or (c > "\x7f" and not c.isprintable()):
            # ASCII is escaped only below the space (DEL passes); other runes when not printable.
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


def url_query_escape(s: str) -> str:
    """``url.QueryEscape``."""
    # Go escapes bytes: a message's undecodable bytes (surrogateescape) are percent-encoded as they are.
    return urllib.parse.quote_plus(s.encode("utf-8", "surrogateescape"), safe="-_.~")
