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

from pystern.config.re2chars import (
    HINT_BACKREF,
    Re2Error,
    bracket_class,
    literal,
    parse_escape,
    perl_class,
    unicode_class,
)

MAX_REPEAT = 1000
MAX_HEIGHT = 1000
"""Go's maxHeight: how high the parse tree of a pattern may be."""

_NAME = regex.compile(r"[A-Za-z0-9_]+\Z")
# Why Go refuses them, added to its message: a stern user may expect Perl.
_HINT_LOOKAROUND = " (RE2 syntax has no look-around)"
_HINT_POSSESSIVE = " (RE2 syntax has no possessive or stacked repetition)"


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
    outer_height: int
    """The enclosing group's ``group_height``, restored when this group closes."""
    capture: bool


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
    # Go also refuses a parse tree higher than MAX_HEIGHT.  Each capture group and each repetition is a
    # node above what it holds; counting only those gives a height no greater than Go's, so what is
    # refused here Go refuses too.
    height: int = 1
    """The previous item's height."""
    group_height: int = 1
    """The largest height of the open group's items before the previous one."""

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
                self.height, self.group_height = self.group_height + frame.capture, frame.outer_height
                self._check_height()
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
                self._atom(literal(ch))
                self.pos += 1
        if self.frames:
            raise Re2Error("missing closing )", src)
        return "".join(self.out)

    # -- items
    def _fold(self) -> None:
        """The previous item can no longer be repeated: count it in its group's weight."""
        self.group_weight = max(self.group_weight, self.weight)
        self.weight = 1
        self.group_height = max(self.group_height, self.height)
        self.height = 1

    def _group(self, capture: bool) -> None:
        self._fold()
        self.frames.append(_Frame(self.flags, len(self.out), self.group_weight, self.group_height, capture))
        self.group_weight = self.group_height = 1

    def _check_height(self) -> None:
        if self.height > MAX_HEIGHT:
            raise Re2Error("expression nests too deeply", self.src)

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
            self._group(capture=True)
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
            self._group(capture=True)
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
                    self._group(capture=False)
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
            hint = HINT_BACKREF
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
        self.height += 1
        self._check_height()
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
                self._atom(literal(ch))
            return
        found = unicode_class(src, start)
        if found is not None:
            text, self.pos = found
            self._atom(text)
            return
        if c in "dDsSwW":
            self.pos += 2
            self._atom(perl_class(c))
            return
        rune, self.pos = parse_escape(src, start)
        self._atom(literal(chr(rune)))

    # -- character classes
    def _class(self) -> None:
        text, self.pos = bracket_class(self.src, self.pos, self.flags.fold)
        self._atom(text)


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


def translate(pattern: str) -> str:
    """The ``regex`` module pattern that matches what Go's ``regexp`` would match with ``pattern``.

    Raises ``Re2Error`` (Go's message) for syntax Go rejects.
    """
    return _Translator(pattern).run()
