"""RE2's character syntax: escapes, Perl, POSIX and Unicode classes, bracket classes, written as
``regex`` text (``re2.translate`` walks the rest of a pattern).

Go's ``\\d``/``\\w``/``\\s`` and POSIX classes are ASCII; ``\\12`` is an octal escape (a single
digit would be a backreference, which RE2 refuses); ``\\x{41}`` takes any number of hex digits.
"""

from __future__ import annotations

import regex

MAX_RUNE = 0x10FFFF

Ranges = list[tuple[int, int]]

PERL: dict[str, Ranges] = {
    "d": [(0x30, 0x39)],
    "s": [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)],
    "w": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
}
POSIX: dict[str, Ranges] = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x00, 0x7F)],
    "blank": [(0x09, 0x09), (0x20, 0x20)],
    "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "digit": [(0x30, 0x39)],
    "graph": [(0x21, 0x7E)],
    "lower": [(0x61, 0x7A)],
    "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x09, 0x0D), (0x20, 0x20)],
    "upper": [(0x41, 0x5A)],
    "word": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}
_META = set("\\.^$*+?{}[]()|")
_CLASS_META = set("\\]^-[&~|")
_C_ESCAPES = {"a": 0x07, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
# Why Go refuses it, added to its message: a stern user may expect Perl.
HINT_BACKREF = " (RE2 syntax has no backreferences)"


class Re2Error(ValueError):
    """A pattern Go's ``regexp`` rejects; ``str()`` is Go's message (plus a hint for Perl-only forms)."""

    def __init__(self, code: str, expr: str, hint: str = "") -> None:
        super().__init__(f"error parsing regexp: {code}: `{expr}`{hint}")


def parse_escape(src: str, start: int) -> tuple[int, int]:
    """Go's ``parseEscape``: a backslash escape that stands for one character -> (code point, next)."""
    i = start + 1
    c = src[i]
    i += 1
    if c.isascii() and not c.isalnum():
        return ord(c), i
    if c in "01234567":
        if c != "0" and not (i < len(src) and src[i] in "01234567"):
            raise Re2Error("invalid escape sequence", src[start:i], HINT_BACKREF)
        value = int(c)
        for _ in range(2):
            if i < len(src) and src[i] in "01234567":
                value = value * 8 + int(src[i])
                i += 1
        return value, i
    if c == "x" and i < len(src):
        if src[i] == "{":
            end = src.find("}", i)
            digits = src[i + 1 : end] if end >= 0 else ""
            if digits and all(d in "0123456789abcdefABCDEF" for d in digits) and int(digits, 16) <= MAX_RUNE:
                return int(digits, 16), end + 1
            raise Re2Error("invalid escape sequence", src[start : (end + 1 if end >= 0 else len(src))])
        digits = src[i : i + 2]
        if len(digits) == 2 and all(d in "0123456789abcdefABCDEF" for d in digits):
            return int(digits, 16), i + 2
        raise Re2Error("invalid escape sequence", src[start : i + len(digits)])
    if c in _C_ESCAPES:
        return _C_ESCAPES[c], i
    hint = HINT_BACKREF if c in "89gk" else ""
    raise Re2Error("invalid escape sequence", src[start:i], hint)


def class_char(src: str, i: int, class_start: int) -> tuple[int, int]:
    """One character of a bracket class (itself or an escape) at ``i`` -> (code point, next)."""
    if i >= len(src):
        raise Re2Error("missing closing ]", src[class_start:])
    if src[i] == "\\":
        if i + 1 >= len(src):
            raise Re2Error("trailing backslash at end of expression", "")
        return parse_escape(src, i)
    return ord(src[i]), i + 1


def complement(ranges: Ranges) -> Ranges:
    """Every code point not in ``ranges``."""
    out: Ranges = []
    nxt = 0
    for lo, hi in sorted(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= MAX_RUNE:
        out.append((nxt, MAX_RUNE))
    return out


def _class_char_text(code: int) -> str:
    ch = chr(code)
    if ch in _CLASS_META:
        return "\\" + ch
    return _code_text(code) if _needs_code(code) else ch


def class_items(ranges: Ranges) -> str:
    """``ranges`` as the inside of a ``regex`` bracket class."""
    parts = []
    for lo, hi in ranges:
        parts.append(_class_char_text(lo) if lo == hi else f"{_class_char_text(lo)}-{_class_char_text(hi)}")
    return "".join(parts)


def _needs_code(code: int) -> bool:
    return code < 0x20 or code == 0x7F or not chr(code).isprintable()


def _code_text(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def literal(ch: str) -> str:
    """One literal character as ``regex`` text (unchanged unless it is special or unprintable)."""
    if ch in _META:
        return "\\" + ch
    return _code_text(ord(ch)) if _needs_code(ord(ch)) else ch


def unicode_class(src: str, start: int) -> tuple[str, int] | None:
    """``\\pN``, ``\\p{Greek}``, ``\\p{^Greek}``, ``\\PN`` at ``start`` -> (``regex`` text, end), or None."""
    if not src.startswith(("\\p", "\\P"), start) or start + 2 >= len(src):
        return None
    negate = src[start + 1] == "P"
    if src[start + 2] == "{":
        end = src.find("}", start)
        if end < 0:
            raise Re2Error("invalid character class range", src[start:])
        name, pos = src[start + 3 : end], end + 1
    else:
        name, pos = src[start + 2], start + 3
    if name.startswith("^"):
        negate, name = not negate, name[1:]
    text = ("\\P{" if negate else "\\p{") + name + "}"
    try:
        regex.compile(text)
    except regex.error:
        raise Re2Error("invalid character class range", src[start:pos]) from None
    return text, pos


# Besides the other case, what ASCII letters fold to (Go's asciiFoldTable): the long s and the Kelvin sign.
_FOLDS_BEYOND_ASCII = {ord("s"): 0x017F, ord("S"): 0x017F, ord("k"): 0x212A, ord("K"): 0x212A}


def _negated(ranges: Ranges, fold: bool) -> Ranges:
    """A group's complement; folded first under ``(?i)``, so no case of a letter in it is left."""
    if not fold:
        return complement(ranges)
    folded = list(ranges)
    for lo, hi in ranges:
        for code in range(lo, min(hi, 0x7F) + 1):
            ch = chr(code)
            if ch.isalpha():
                other = ord(ch.swapcase())
                folded.append((other, other))
            beyond = _FOLDS_BEYOND_ASCII.get(code)
            if beyond is not None:
                folded.append((beyond, beyond))
    return complement(folded)


def perl_class(letter: str) -> str:
    """``\\d``, ``\\S``, ``\\w``... (ASCII, as in Go) as ``regex`` text."""
    return "[" + ("^" if letter.isupper() else "") + class_items(PERL[letter.lower()]) + "]"


def bracket_class(src: str, start: int, fold: bool) -> tuple[str, int]:
    """The class ``[...]`` at ``start`` -> (``regex`` text, the position after its ``]``).

    ``fold``: under ``(?i)``, where Go folds a Perl or POSIX group before it negates one (``regex``
    folds the whole class when it matches, which is the same for everything else).
    """
    i = start + 1
    negate = src.startswith("^", i)
    if negate:
        i += 1
    items: list[str] = []
    first = True
    while first or i >= len(src) or src[i] != "]":
        if i >= len(src):
            raise Re2Error("missing closing ]", src[start:])
        first = False
        if src.startswith("[:", i):
            end = src.find(":]", i + 2)
            if end >= 0:
                name = src[i + 2 : end]
                negated = name.startswith("^")
                ranges = POSIX.get(name.lstrip("^"))
                if ranges is None or name.count("^") > 1:
                    raise Re2Error("invalid character class range", src[i : end + 2])
                items.append(class_items(_negated(ranges, fold) if negated else ranges))
                i = end + 2
                continue
        found = unicode_class(src, i)
        if found is not None:
            text, i = found
            items.append(text)
            continue
        if src.startswith("\\", i) and src[i + 1 : i + 2] in tuple("dDsSwW"):
            c = src[i + 1]
            ranges = PERL[c.lower()]
            items.append(class_items(_negated(ranges, fold) if c.isupper() else ranges))
            i += 2
            continue
        range_start = i
        lo, i = class_char(src, i, start)
        hi = lo
        if src.startswith("-", i) and i + 1 < len(src) and src[i + 1] != "]":
            hi, i = class_char(src, i + 1, start)
            if hi < lo:
                raise Re2Error("invalid character class range", src[range_start:i])
        items.append(class_items([(lo, hi)]))
    return "[" + ("^" if negate else "") + "".join(items) + "]", i + 1
