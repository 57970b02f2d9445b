"""Tokenizer for Go ``text/template`` (default ``{{ }}`` delimiters), with Go's error texts."""

from __future__ import annotations

import re
from typing import NamedTuple

from pystern.errors import TemplateParseError


class Token(NamedTuple):
    """One lexeme: its kind, text, byte... (character) offset and 1-based line."""

    kind: str
    val: str
    pos: int
    line: int


KEYWORDS = frozenset(
    ["if", "else", "end", "range", "with", "break", "continue", "template", "define", "block", "nil"]
)
_SPACE = " \t\r\n"
_DECIMAL = "0123456789_"
_HEX = "0123456789abcdefABCDEF_"
_PREFIX_DIGITS = {"x": _HEX, "X": _HEX, "o": "01234567_", "O": "01234567_", "b": "01_", "B": "01_"}
# Go: a letter or "_", then letters, digits and "_" (Unicode classes, as unicode.IsLetter/IsDigit).
_IDENT = re.compile(r"[^\W0-9][\w]*")
_WORD = re.compile(r"\w*")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_CHAR = re.compile(r"'(?:[^'\\\n]|\\.)*'")


def _scan_number(text: str, i: int, n: int) -> tuple[bool, int]:
    """Go's scanNumber from ``i``: (whether it ends well, where it ends).

    It takes a sign, a base prefix, that base's digits and "_", a fraction, an exponent ("e" for
    decimal, "p" for hex) and a final "i", and leaves checking the value to the parser.  A letter or
    digit right after it is taken too, and the number is bad.
    """
    j = i + 1 if i < n and text[i] in "+-" else i
    digits = _DECIMAL
    if j < n and text[j] == "0":
        j += 1
        if j < n and text[j] in _PREFIX_DIGITS:
            digits = _PREFIX_DIGITS[text[j]]
            j += 1
    while j < n and text[j] in digits:
        j += 1
    if j < n and text[j] == ".":
        j += 1
        while j < n and text[j] in digits:
            j += 1
    exponent = "eE" if digits is _DECIMAL else ("pP" if digits is _HEX else "")
    if j < n and text[j] in exponent:
        j += 1
        if j < n and text[j] in "+-":
            j += 1
        while j < n and text[j] in _DECIMAL:
            j += 1
    if j < n and text[j] == "i":
        j += 1
    if j < n and (text[j].isalnum() or text[j] == "_"):
        return False, j + 1
    return True, j


def lex(text: str, name: str) -> list[Token]:
    """Tokenize ``text``.  A lexical error becomes a final ``error`` token (value = Go's message).

    Go's lexer runs alongside the parser, so a parse error before the bad spot wins
    (``{{invalid`` reports the unknown function, not the unclosed action).
    """
    toks: list[Token] = []
    try:
        _lex(text, name, toks)
    except TemplateParseError as exc:
        toks.append(Token("error", str(exc), len(text), 0))
    return toks


class LineCounter:
    """Line numbers of positions in one text, asked for in increasing order as the lexer goes:
    each question counts on from the last one, so the whole text is scanned once."""

    __slots__ = ("line", "pos", "scanned", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.scanned = 0

    def at(self, p: int) -> int:
        """The 1-based line of ``text[p]``."""
        if p < self.pos:
            return self.text.count("\n", 0, p) + 1
        self.line += self.text.count("\n", self.pos, p)
        self.scanned += p - self.pos
        self.pos = p
        return self.line


def _lex(text: str, name: str, toks: list[Token]) -> None:
    pos = 0
    n = len(text)
    trim_next = False
    lines = LineCounter(text)

    def fail(msg: str, at: int, action: int | None = None) -> TemplateParseError:
        line = text.count("\n", 0, at) + 1
        if action is not None:
            # Go names the action's first line when the error is on a later one.
            first = text.count("\n", 0, action) + 1
            if first != line:
                where = " started at" if msg.endswith(" action") else " in action started at"
                msg += f"{where} {name}:{first}"
        return TemplateParseError(f"template: {name}:{line}: {msg}")

    while True:
        start = text.find("{{", pos)
        end = n if start < 0 else start
        chunk = text[pos:end]
        trim_left = (
            start >= 0 and text.startswith("{{-", start) and start + 3 < n and text[start + 3] in _SPACE
        )
        if trim_next:
            chunk = chunk.lstrip(_SPACE)
        if trim_left:
            chunk = chunk.rstrip(_SPACE)
        if chunk:
            toks.append(Token("text", chunk, pos, lines.at(pos)))
        if start < 0:
            break
        trim_next = False
        i = start + (4 if trim_left else 2)
        toks.append(Token("{{", "{{", start, lines.at(start)))
        # Comments: {{/* ... */}} with optional trim markers.
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                raise fail("unclosed comment", start)
            j = close + 2
            if text.startswith("}}", j):
                pos = j + 2
            elif text.startswith(" -}}", j) or (
                j < n and text[j] in _SPACE and text.startswith("-}}", j + 1)
            ):
                trim_next = True
                pos = j + 4
            else:
                raise fail("comment ends before closing delimiter", start)
            toks.pop()
            continue
        line = lines.at(i)
        depth = 0
        while True:
            if i >= n:
                raise fail("unclosed action", n, start)
            c = text[i]
            if c in _SPACE:
                j = i
                while j < n and text[j] in _SPACE:
                    j += 1
                if text.startswith("-}}", j):
                    trim_next = True
                    toks.append(Token("}}", "}}", j, line))
                    pos = j + 3
                    break
                toks.append(Token("space", text[i:j], i, line))
                line += text.count("\n", i, j)
                i = j
                continue
            if text.startswith("}}", i):
                toks.append(Token("}}", "}}", i, line))
                pos = i + 2
                break
            if c in "|(),=":
                depth += {"(": 1, ")": -1}.get(c, 0)
                if depth < 0:
                    raise fail("unexpected right paren", i, start)
                toks.append(Token(c, c, i, line))
                i += 1
                continue
            if text.startswith(":=", i):
                toks.append(Token(":=", ":=", i, line))
                i += 2
                continue
            if c == ":":
                raise fail("expected :=", i, start)
            if c == '"':
                m = _STRING.match(text, i)
                if m is None:
                    raise fail("unterminated quoted string", i, start)
                toks.append(Token("string", m.group(0), i, line))
                i = m.end()
                continue
            if c == "`":
                j = text.find("`", i + 1)
                if j < 0:
                    raise fail("unterminated raw quoted string", i, start)
                toks.append(Token("rawstring", text[i : j + 1], i, line))
                line += text.count("\n", i, j)
                i = j + 1
                continue
            if c == "'":
                m = _CHAR.match(text, i)
                if m is None:
                    raise fail("unterminated character constant", i, start)
                toks.append(Token("char", m.group(0), i, line))
                i = m.end()
                continue
            if c == "$" or (c == "." and not (i + 1 < n and text[i + 1].isdigit())):
                # $name / .Field: letters, digits and "_", which must end at a terminator ("bad
                # character" otherwise: ``.Labels.app-name`` fails on the "-", as in Go).
                j = _WORD.match(text, i + 1).end()  # type: ignore[union-attr]
                if j < n and not _terminator(text, j):
                    raise fail(f"bad character {_char_u(text[j])}", j, start)
                kind = "variable" if c == "$" else ("field" if j > i + 1 else "dot")
                toks.append(Token(kind, text[i:j], i, line))
                i = j
                continue
            if c.isdigit() or c in "+-" or (c == "." and i + 1 < n and text[i + 1].isdigit()):
                ok, j = _scan_number(text, i, n)
                if ok and j < n and text[j] in "+-":
                    # Go reads "1+2i" as one complex constant: a second number that must end in "i".
                    ok, j = _scan_number(text, j, n)
                    ok = ok and text[j - 1] == "i"
                if not ok:
                    # Like Go: the text scanned, with the one offending character (".x.app-name" -> "-n").
                    raise fail(f'bad number syntax: "{text[i:j]}"', i, start)
                toks.append(Token("number", text[i:j], i, line))
                i = j
                continue
            m = _IDENT.match(text, i)
            if m is not None:
                if m.end() < n and not _terminator(text, m.end()):
                    raise fail(f"bad character {_char_u(text[m.end()])}", m.end(), start)
                word = m.group(0)
                kind = "keyword" if word in KEYWORDS else ("bool" if word in ("true", "false") else "ident")
                toks.append(Token(kind, word, i, line))
                i = m.end()
                continue
            if " " < c < "\x7f":
                # Go's lexer passes other printable ASCII on as a character item for the parser to reject.
                toks.append(Token("punct", c, i, line))
                i += 1
                continue
            raise fail(f"unrecognized character in action: {_char_u(c)}", i, start)
    toks.append(Token("eof", "", n, text.count("\n") + 1))


def _terminator(text: str, j: int) -> bool:
    """Go's ``atTerminator``: what may follow a field, variable or identifier."""
    return text[j] in " \t\r\n.,|:()" or text.startswith("}}", j)


def _char_u(c: str) -> str:
    """Go's ``%#U``: ``U+0040 '@'`` (no quoted character when it is not printable)."""
    return f"U+{ord(c):04X}" + (f" '{c}'" if c.isprintable() else "")
