"""Go literal syntax inside actions: quoted/raw strings, rune constants, numbers."""

from __future__ import annotations

import math
import re

_ESC = re.compile(
    r"\\(?:([abfnrtv\\'\"])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3})|(.))"
)
_BYTE_ESC = re.compile(r"\\x([0-9a-fA-F]{2})|\\([0-7]{3})")
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
           "'": "'", '"': '"'}  # fmt: skip


def _unescape(body: str, quote: str) -> str:
    out: list[str] = []
    pending = bytearray()

    def flush() -> None:
        if pending:
            # Go keeps each escaped byte: bytes that are not UTF-8 stay bytes (surrogateescape, as the
            # output is encoded), so len counts them and they are written out unchanged.
            out.append(pending.decode("utf-8", "surrogateescape"))
            pending.clear()

    pos = 0
    for m in _ESC.finditer(body):
        if m.start() > pos:
            flush()
            out.append(body[pos : m.start()])
        simple, hx, u4, u8, octal, bad = m.groups()
        if bad is not None or (simple is not None and simple in "'\"" and simple != quote):
            raise ValueError("invalid syntax")
        if simple is not None:
            flush()
            out.append(_SIMPLE[simple])
        elif hx is not None or octal is not None:
            # \x and octal escapes are bytes: several may form one UTF-8 character.
            byte = int(hx, 16) if hx is not None else int(octal, 8)
            if byte > 0xFF:
                raise ValueError("invalid syntax")
            pending.append(byte)
        else:
            flush()
            code = int(u4 or u8, 16)
            if code > 0x10FFFF or 0xD800 <= code < 0xE000:
                raise ValueError("invalid syntax")
            out.append(chr(code))
        pos = m.end()
    flush()
    out.append(body[pos:])
    return "".join(out)


def parse_string(tok: str) -> str:
    """The value of a ``"quoted"`` or ```raw``` string token."""
    if tok[0] == "`":
        return tok[1:-1].replace("\r", "")
    return _unescape(tok[1:-1], '"')


def parse_char(tok: str) -> int:
    """The code point of a ``'c'`` rune constant."""
    m = _BYTE_ESC.fullmatch(tok, 1, len(tok) - 1)
    if m is not None:
        # In a rune constant a \x or octal escape is the code point itself ('\x80' is 128).
        _unescape(m.group(0), "'")  # the same syntax checks as in a string
        return int(m.group(1), 16) if m.group(1) else int(m.group(2), 8)
    value = _unescape(tok[1:-1], "'")
    if len(value) != 1:
        raise ValueError(f"malformed character constant: {tok}")
    return ord(value)


def parse_number(tok: str) -> tuple[int | float, str]:
    """An untyped Go number constant: ``(value, "int"|"float")``; ``ValueError`` for bad syntax."""
    if tok.endswith("i"):
        raise ValueError(f"complex numbers are not supported: {tok}")
    if "_" in tok and not _underscores_ok(tok):
        raise ValueError(f"illegal number syntax: {_quote(tok)}")
    text = tok.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    try:
        low = body.lower()
        if low.startswith("0x"):
            if "." in low or "p" in low:
                if "p" not in low:
                    raise ValueError  # strconv: a hex mantissa needs a 'p' exponent
                value = sign * float.fromhex(body)
                if math.isinf(value):
                    raise ValueError
                return value, "float"
            return _prefixed(sign * int(body[2:], 16)), "int"
        if low.startswith("0b"):
            return _prefixed(sign * int(body[2:], 2)), "int"
        if low.startswith("0o"):
            return _prefixed(sign * int(body[2:], 8)), "int"
        if re.fullmatch(r"0[0-7]+", body):
            return _int64(sign * int(body, 8), tok), "int"
        if re.fullmatch(r"0\d+", body):
            # Not octal, so only ParseFloat reads it, and Go refuses a float with an integer's look.
            raise ValueError(f"integer overflow: {_quote(tok)}")
        if re.fullmatch(r"\d+", body):
            return _int64(sign * int(body), tok), "int"
        value = sign * float(body)
    except (ValueError, OverflowError) as exc:
        if str(exc).startswith("integer overflow"):
            raise
        raise ValueError(f"illegal number syntax: {_quote(tok)}") from None
    if math.isinf(value):
        # Go's ParseFloat reports a range error: the constant is not a number at all.
        raise ValueError(f"illegal number syntax: {_quote(tok)}")
    # Go keeps an integral float constant usable as an int ("1e3" -> 1000 for an int argument).
    return value, "float"


def _underscores_ok(tok: str) -> bool:
    """strconv's underscoreOK: each "_" sits between digits, or between a base prefix and a digit."""
    s = tok[1:] if tok[:1] in "+-" else tok
    saw = "^"  # ^ start, 0 a digit or base prefix, _ an underscore, ! anything else
    i = 0
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1] in "bBoOxX":
        i, saw, hexa = 2, "0", s[1] in "xX"
    for c in s[i:]:
        if c.isdigit() or (hexa and c in "abcdefABCDEF"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def _prefixed(value: int) -> int:
    # Too big for Go's ParseInt/ParseUint, and ParseFloat takes no 0x/0b/0o integer: not a number.
    if not -(2**63) <= value < 2**64:
        raise ValueError
    return value


def _int64(value: int, tok: str) -> int:
    """A decimal integer constant must fit int64 or uint64 (a uint64 one fails when evaluated)."""
    if not -(2**63) <= value < 2**64:
        raise ValueError(f"integer overflow: {_quote(tok)}")
    return value


def _quote(text: str) -> str:
    return '"' + text + '"'
