"""Go RE2 regex syntax -> the ``regex`` module's syntax, so a stern pattern means what it meant.

stern compiles every user regex (pod query, ``-c``, ``-E``, ``--exclude-pod``, ``-i``, ``-e``,
``-H``) with Go's ``regexp``.  The ``regex`` module reads most of that syntax the same way, but
not all of it: ``\\d``/``\\w``/``\\s``/``\\b`` and POSIX classes are ASCII in Go and Unicode
here, ``$`` in Go is the end of the text only, ``(?U)`` swaps greedy and lazy, ``\\Q...\\E`` and
``\\x{41}`` are not understood, ``\\12`` is an octal escape in Go and a backreference here,
``a{,3}`` and ``a{01}`` are literal text in Go.  And Go rejects what RE2 cannot run in linear time
(backreferences, look-around, possessive and atomic forms), which ``regex`` would accept.

``translate`` walks the pattern the way Go's parser (``regexp/syntax``) does and writes an
equivalent ``regex`` pattern, or raises ``Re2Error`` with Go's message
(``error parsing regexp: <what>: `<text>```).  Literal text, ``(?i)`` and plain alternations come
out unchanged, so the word fast path of the line filters still recognises them.  Inline flags
need no rewriting: ``regex`` scopes ``(?i)`` in mid-pattern to the rest of its group, as Go does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import regex

MAX_RUNE = 0x10FFFF
MAX_REPEAT = 1000

Ranges = list[tuple[int, int]]

_PERL: dict[str, Ranges] = {
    "d": [(0x30, 0x39)],
    "s": [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)],
    "w": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
}
_POSIX: dict[str, Ranges] = {
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
_NAME = regex.compile(r"[A-Za-z0-9_]+\Z")
# Why Go refuses them, added to its message: a stern user may expect Perl.
_HINT_LOOKAROUND = " (RE2 syntax has no look-around)"
_HINT_BACKREF = " (RE2 syntax has no backreferences)"
_HINT_POSSESSIVE = " (RE2 syntax has no possessive or stacked repetition)"


class Re2Error(ValueError):
    """A pattern Go's ``regexp`` rejects; ``str()`` is Go's message (plus a hint for Perl-only forms)."""

    def __init__(self, code: str, expr: str, hint: str = "") -> None:
        super().__init__(f"error parsing regexp: {code}: `{expr}`{hint}")


@dataclass(frozen=True, slots=True)
class _Flags:
    fold: bool = False
    multiline: bool = False
    dotall: bool = False
    ungreedy: bool = False


@dataclass(slots=True)
class _Frame:
    """One open group: the flags to restore when it closes, and where its text begins in the output."""

    saved: _Flags
    start: int
    outer_weight: int
    """The enclosing group's ``group_weight``, restored when this group closes."""


@dataclass(slots=True)
class _Translator:
    src: str
    pos: int = 0
    out: list[str] = field(default_factory=list)
    flags: _Flags = field(default_factory=_Flags)
    frames: list[_Frame] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    # The previous item: "" (start, after '(' or '|'), "atom", "assert" or "repeat".
    last: str = ""
    last_start: int = 0
    """Index in ``out`` where the previous atom begins (a quantifier may need to wrap it)."""
    last_end: int = 0
    """Index in ``out`` where the previous item ends: a flag group such as ``(?i)`` may follow it."""
    gap: bool = False
    """A flag group came after the previous item: Go then repeats a repetition (``a*(?i)*``)."""
    repeat_from: int = 0
    """Position in ``src`` of the previous quantifier (Go's nested-repetition message quotes it)."""
    # Go refuses counted repetitions nested so that their counts multiply to more than MAX_REPEAT
    # (``(a{100}){11}``).  An item's weight is the largest such product inside it (0 under ``{0}``).
    weight: int = 1
    """The previous item's weight."""
    group_weight: int = 1
    """The largest weight of the open group's items before the previous one."""

    def run(self) -> str:
        src = self.src
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "(":
                self._open()
            elif ch == "|":
                self._fold()
                self.out.append("|")
                self.pos += 1
                self.last = ""
            elif ch == ")":
                if not self.frames:
                    raise Re2Error("unexpected )", src)
                frame = self.frames.pop()
                self.flags = frame.saved
                self._fold()
                self.weight, self.group_weight = self.group_weight, frame.outer_weight
                self.out.append(")")
                self.pos += 1
                self.last_start, self.last = frame.start, "atom"
                self._ended()
            elif ch in "*+?":
                self._repeat(ch, self.pos + 1)
            elif ch == "{":
                self._brace()
            elif ch == "[":
                self._class()
            elif ch == "\\":
                self._escape()
            elif ch == "^":
                self._assertion("^")
                self.pos += 1
            elif ch == "$":
                self._assertion("$" if self.flags.multiline else r"\z")
                self.pos += 1
            elif ch == ".":
                self._atom(".")
                self.pos += 1
            else:
                self._atom(_literal(ch))
                self.pos += 1
        if self.frames:
            raise Re2Error("missing closing )", src)
        return "".join(self.out)

    # -- items
    def _fold(self) -> None:
        """The previous item can no longer be repeated: count it in its group's weight."""
        self.group_weight = max(self.group_weight, self.weight)
        self.weight = 1

    def _group(self) -> None:
        self._fold()
        self.frames.append(_Frame(self.flags, len(self.out), self.group_weight))
        self.group_weight = 1

    def _atom(self, text: str) -> None:
        self._fold()
        self.last_start = len(self.out)
        self.out.append(text)
        self.last = "atom"
        self._ended()

    def _assertion(self, text: str) -> None:
        self._fold()
        self.last_start = len(self.out)
        self.out.append(text)
        self.last = "assert"
        self._ended()

    def _ended(self) -> None:
        self.last_end = len(self.out)
        self.gap = False

    # -- groups and flags
    def _open(self) -> None:
        src, start = self.src, self.pos
        if not src.startswith("(?", start):
            self._group()
            self.out.append("(")
            self.pos += 1
            self.last = ""
            return
        named_p = src.startswith("(?P<", start)
        if named_p or src.startswith("(?<", start):
            end = src.find(">", start)
            if end < 0:
                raise Re2Error("invalid named capture", src[start:], _lookaround_hint(src, start))
            name = src[start + (4 if named_p else 3) : end]
            if not _NAME.match(name):
                raise Re2Error("invalid named capture", src[start : end + 1], _lookaround_hint(src, start))
            if name in self.names:
                raise Re2Error("duplicate capture group name", name)
            self.names.add(name)
            self._group()
            # A plain group: nothing reads captures by name, Go allows names ``regex`` refuses
            # (``1st``), and names from several patterns must not clash when they are combined.
            self.out.append("(")
            self.pos = end + 1
            self.last = ""
            return
        flags = self.flags
        sign = 1
        saw = False
        i = start + 2
        while i < len(src):
            c = src[i]
            i += 1
            if c in "imsU":
                on = sign > 0
                key = {"i": "fold", "m": "multiline", "s": "dotall", "U": "ungreedy"}[c]
                flags = replace(flags, **{key: on})
                saw = True
                continue
            if c == "-" and sign > 0:
                sign, saw = -1, False
                continue
            if c in ":)" and not (sign < 0 and not saw):
                if c == ":":
                    self._group()
                    self.last = ""
                self.out.append(_flag_text(self.flags, flags, group=c == ":"))
                self.flags = flags
                self.pos = i
                self.gap = c == ")"
                return
            break
        text = src[start:i]
        hint = _HINT_LOOKAROUND if text in ("(?=", "(?!") else ""
        if src.startswith(("(?P=", "(?P>"), start):
            hint = _HINT_BACKREF
        raise Re2Error("invalid or unsupported Perl syntax", text, hint)

    # -- repetition
    def _repeat(self, op: str, after: int, count: tuple[int, int] | None = None) -> None:
        """A quantifier ``op`` (``*``, ``{2,3}``...) whose text ends at ``after``; ``count``: (min, max)."""
        src, before = self.src, self.pos
        lazy = src.startswith("?", after)
        if lazy:
            after += 1
        if self.last == "repeat" and not self.gap:
            hint = _HINT_POSSESSIVE
            raise Re2Error("invalid nested repetition operator", src[self.repeat_from : after], hint)
        if not self.last:
            raise Re2Error("missing argument to repetition operator", src[before:after])
        if count is not None:
            low, high = count
            # Go's repeatIsValid: {0} hides what it repeats, {n,} counts n times, {0,} once.
            self.weight *= high if high >= 0 else max(low, 1)
            if (low >= 2 or high >= 2) and self.weight > MAX_REPEAT:
                raise Re2Error("invalid repeat count", src[before:after])
        # The operator goes right after its item, before any flag group that followed the item (the
        # flags it sets apply to what comes next, and lazy/greedy is read from them already).
        flag_text = self.out[self.last_end :]
        del self.out[self.last_end :]
        if self.last in ("assert", "repeat"):
            # Go repeats an empty-width assertion, and a repetition a flag group separates from this
            # operator; ``regex`` needs them in a group to accept that.
            self.out.insert(self.last_start, "(?:")
            self.out.append(")")
        if self.flags.ungreedy:
            lazy = not lazy
        self.out.append(op + ("?" if lazy else ""))
        self.last = "repeat"
        self.last_end = len(self.out)
        self.out.extend(flag_text)
        self.gap = False
        self.repeat_from = before
        self.pos = after

    def _brace(self) -> None:
        src, start = self.src, self.pos
        m = regex.match(r"\{([0-9]+)(,([0-9]*))?\}", src[start:])
        if m is None or _leading_zero(m.group(1)) or (m.group(3) and _leading_zero(m.group(3))):
            self._atom(r"\{")  # Go reads a brace that is not a repeat count as text
            self.pos += 1
            return
        low = int(m.group(1))
        high = low if m.group(2) is None else (int(m.group(3)) if m.group(3) else -1)
        if low > MAX_REPEAT or high > MAX_REPEAT or (high >= 0 and low > high):
            raise Re2Error("invalid repeat count", m.group(0))
        text = f"{{{low}}}" if m.group(2) is None else f"{{{low},{high if high >= 0 else ''}}}"
        self._repeat(text, start + m.end(), (low, high))

    # -- escapes
    def _escape(self) -> None:
        src, start = self.src, self.pos
        if start + 1 >= len(src):
            raise Re2Error("trailing backslash at end of expression", "")
        c = src[start + 1]
        if c in "AbBz":
            self.pos += 2
            self._assertion({"A": r"\A", "b": r"(?a:\b)", "B": r"(?a:\B)", "z": r"\z"}[c])
            return
        if c == "C":
            raise Re2Error("invalid escape sequence", src[start : start + 2])
        if c == "Q":
            end = src.find(r"\E", start + 2)
            text = src[start + 2 :] if end < 0 else src[start + 2 : end]
            self.pos = len(src) if end < 0 else end + 2
            for ch in text:  # each character is its own atom, as in Go (\Qab\E* repeats the b)
                self._atom(_literal(ch))
            return
        unicode_class = self._unicode_class()
        if unicode_class is not None:
            self._atom(unicode_class)
            return
        if c in "dDsSwW":
            ranges = _PERL[c.lower()]
            self.pos += 2
            self._atom("[" + ("^" if c.isupper() else "") + _class_items(ranges) + "]")
            return
        rune, self.pos = _parse_escape(src, start)
        self._atom(_literal(chr(rune)))

    def _unicode_class(self) -> str | None:
        """``\\pN``, ``\\p{Greek}``, ``\\p{^Greek}``, ``\\PN`` at ``pos`` -> ``regex`` text, or None."""
        src, start = self.src, self.pos
        if not src.startswith(("\\p", "\\P"), start) or start + 2 >= len(src):
            return None
        negate = src[start + 1] == "P"
        if src[start + 2] == "{":
            end = src.find("}", start)
            if end < 0:
                raise Re2Error("invalid character class range", src[start:])
            name, self.pos = src[start + 3 : end], end + 1
        else:
            name, self.pos = src[start + 2], start + 3
        if name.startswith("^"):
            negate, name = not negate, name[1:]
        text = ("\\P{" if negate else "\\p{") + name + "}"
        try:
            regex.compile(text)
        except regex.error:
            raise Re2Error("invalid character class range", src[start : self.pos]) from None
        return text

    # -- character classes
    def _class(self) -> None:
        src, start = self.src, self.pos
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
                    ranges = _POSIX.get(name.lstrip("^"))
                    if ranges is None or name.count("^") > 1:
                        raise Re2Error("invalid character class range", src[i : end + 2])
                    items.append(_class_items(_complement(ranges) if negated else ranges))
                    i = end + 2
                    continue
            if src.startswith(("\\p", "\\P"), i):
                self.pos = i
                text = self._unicode_class()
                if text is not None:
                    items.append(text)
                    i = self.pos
                    continue
            if src.startswith("\\", i) and src[i + 1 : i + 2] in tuple("dDsSwW"):
                c = src[i + 1]
                ranges = _PERL[c.lower()]
                items.append(_class_items(_complement(ranges) if c.isupper() else ranges))
                i += 2
                continue
            range_start = i
            lo, i = _class_char(src, i, start)
            hi = lo
            if src.startswith("-", i) and i + 1 < len(src) and src[i + 1] != "]":
                hi, i = _class_char(src, i + 1, start)
                if hi < lo:
                    raise Re2Error("invalid character class range", src[range_start:i])
            items.append(_class_items([(lo, hi)]))
        self.pos = i + 1
        self._atom("[" + ("^" if negate else "") + "".join(items) + "]")


def _lookaround_hint(src: str, start: int) -> str:
    return _HINT_LOOKAROUND if src.startswith(("(?<=", "(?<!"), start) else ""


def _leading_zero(digits: str) -> bool:
    return len(digits) > 1 and digits[0] == "0"


def _flag_text(old: _Flags, new: _Flags, *, group: bool) -> str:
    """``(?i-s)`` / ``(?i:`` for the change from ``old`` to ``new``; ``U`` is applied by the translator."""
    on = off = ""
    for letter, name in (("i", "fold"), ("m", "multiline"), ("s", "dotall")):
        before, after = getattr(old, name), getattr(new, name)
        if after and not before:
            on += letter
        elif not after and before:
            off += letter
    body = on + ("-" + off if off else "")
    if group:
        return f"(?{body}:" if body else "(?:"
    return f"(?{body})" if body else ""


def _parse_escape(src: str, start: int) -> tuple[int, int]:
    """Go's ``parseEscape``: a backslash escape that stands for one character -> (code point, next)."""
    i = start + 1
    c = src[i]
    i += 1
    if c.isascii() and not c.isalnum():
        return ord(c), i
    if c in "01234567":
        if c != "0" and not (i < len(src) and src[i] in "01234567"):
            raise Re2Error("invalid escape sequence", src[start:i], _HINT_BACKREF)
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
    hint = _HINT_BACKREF if c in "89gk" else ""
    raise Re2Error("invalid escape sequence", src[start:i], hint)


def _class_char(src: str, i: int, class_start: int) -> tuple[int, int]:
    if i >= len(src):
        raise Re2Error("missing closing ]", src[class_start:])
    if src[i] == "\\":
        if i + 1 >= len(src):
            raise Re2Error("trailing backslash at end of expression", "")
        return _parse_escape(src, i)
    return ord(src[i]), i + 1


def _complement(ranges: Ranges) -> Ranges:
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


def _class_items(ranges: Ranges) -> str:
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


def _literal(ch: str) -> str:
    """One literal character as ``regex`` text (unchanged unless it is special or unprintable)."""
    if ch in _META:
        return "\\" + ch
    return _code_text(ord(ch)) if _needs_code(ord(ch)) else ch


def translate(pattern: str) -> str:
    """The ``regex`` module pattern that matches what Go's ``regexp`` would match with ``pattern``.

    Raises ``Re2Error`` (Go's message) for syntax Go rejects.
    """
    return _Translator(pattern).run()
