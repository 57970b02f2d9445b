"""``--include``/``--exclude`` on the message, and ``--highlight`` (plus includes) in red+bold.

stern semantics: a line is dropped when any exclude matches, then (if includes exist)
when no include matches, both on the content without the kubelet timestamp.  Unlike
stern, highlighting touches only the message (never pod/container names) and never
matches inside an SGR colour code, and the combined regex is compiled once.

A user regex can backtrack for ever (``(a|aa)+$``).  A per-call ``timeout=`` costs the
``regex`` module about 3 µs, so it is only used for patterns whose shape can explode
(a repeated group holding a quantifier or an alternation, or a backreference).  When
it fires the line counts as not matching (or is printed un-highlighted) and stderr
says so once per flag, in the terms the user typed (the flag, not the translated regex).

``keep_lines`` filters a whole batch of raw lines: plain-word patterns without any regex
(``literals``), others with one decode per batch and the searches driven by ``map``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from itertools import compress
from operator import not_

import regex

from pystern.render.literals import Words, hits, words_of

HIGHLIGHT_OPEN = "\x1b[31;1m"
HIGHLIGHT_CLOSE = "\x1b[0;22m"
DEFAULT_TIMEOUT = 0.1
_ESC_GROUP = "pysternsgr"
_SGR_ALT = rf"(?P<{_ESC_GROUP}>\x1b\[[0-9;:]*m)"
_QUANTIFIERS = "*+{"
_TOOK_OVER = f"regex took over {DEFAULT_TIMEOUT * 1000:.0f} ms on a line"
_NOT_MATCHING = "{flag} " + _TOOK_OVER + "; such lines count as not matching it (reported once)"
_UNHIGHLIGHTED = "{flag} " + _TOOK_OVER + "; such lines are printed without highlighting (reported once)"


def risky(pattern: str) -> bool:
    """Whether a pattern may backtrack exponentially (conservative: unknown shapes say yes)."""
    stack: list[list[bool]] = []  # per open group: [has quantifier, has alternation]
    i, n = 0, len(pattern)
    closed: list[bool] | None = None  # the group that ended right before position i
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if (nxt.isdigit() and nxt != "0") or nxt in ("g", "k"):
                return True  # backreference
            i += 2
            closed = None
            continue
        if ch == "[":
            j = i + 1
            if pattern[j : j + 1] == "^":
                j += 1
            if pattern[j : j + 1] == "]":
                j += 1
            depth = 1
            while j < n and depth:
                if pattern[j] == "\\":
                    j += 2
                    continue
                if pattern[j] == "[":
                    depth += 1
                elif pattern[j] == "]":
                    depth -= 1
                j += 1
            i = j
            closed = None
            continue
        if ch == "(":
            if pattern.startswith("(?P=", i):
                return True
            stack.append([False, False])
            closed = None
            if pattern[i + 1 : i + 2] == "?":
                i += 1  # (?:, (?i), (?P<name>: the ? is not a quantifier
        elif ch == ")":
            closed = stack.pop() if stack else [True, True]
            i += 1
            if i < n and pattern[i] in _QUANTIFIERS and (closed[0] or closed[1]) and _repeats(pattern, i):
                return True
            if stack and closed[0]:
                stack[-1][0] = True
            continue
        elif ch == "|":
            if stack:
                stack[-1][1] = True
        elif ch in _QUANTIFIERS or ch == "?":
            if stack and ch != "?":
                stack[-1][0] = True
            if closed is not None and stack:
                stack[-1][0] = True
        i += 1
    return False


def _repeats(pattern: str, i: int) -> bool:
    """The quantifier at ``i`` repeats without a small bound (``*``, ``+``, ``{2,}``, ``{1,50}``)."""
    if pattern[i] != "{":
        return True
    bound = regex.match(r"\{(\d*)(,(\d*))?\}", pattern[i:])
    if bound is None:
        return False  # a literal brace
    if bound.group(2) is None:
        return int(bound.group(1) or "0") > 10
    return not bound.group(3) or int(bound.group(3)) > 10


def _combine(patterns: Sequence[regex.Pattern[str]], extra: str = "") -> regex.Pattern[str] | None:
    """One alternation of the patterns (in the given order), or None if they do not combine."""
    parts = [f"(?:{p.pattern})" for p in patterns]
    if extra:
        parts.append(extra)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return regex.compile("|".join(parts))
    except (regex.error, Warning, ValueError, OverflowError, RecursionError):
        return None


class _Matcher:
    """``search`` over a set of patterns, with a time limit where the shape asks for one."""

    def __init__(
        self, patterns: Sequence[regex.Pattern[str]], report: Callable[[str], None], timeout_note: str
    ) -> None:
        combined = _combine(patterns) if len(patterns) > 1 else (patterns[0] if patterns else None)
        self.patterns: list[regex.Pattern[str]] = [combined] if combined is not None else list(patterns)
        self.slow = [risky(p.pattern) for p in self.patterns]
        self.report = report
        self.timeout_note = timeout_note
        """What the user reads when a time limit fires: the flag and what happens to the line."""
        self.timed_out = False

    def search(self, text: str) -> bool | None:
        """True/False, or None when a time limit fired."""
        for pattern, slow in zip(self.patterns, self.slow, strict=True):
            if not slow:
                if pattern.search(text) is not None:
                    return True
                continue
            try:
                if pattern.search(text, timeout=DEFAULT_TIMEOUT) is not None:
                    return True
            except TimeoutError:
                self.timed_out_once()
                return None
        return False

    def timed_out_once(self) -> None:
        """Report the first time limit that fired.

        In the user's terms: the patterns here are pystern's translation of the RE2 the user
        typed (and, for highlights, combined with a group for escape codes), so they are not
        quoted; the flag is named instead.
        """
        if not self.timed_out:
            self.timed_out = True
            self.report(self.timeout_note)


class LineFilter:
    """Include/exclude decisions and highlighting for message text (``surrogateescape`` str)."""

    def __init__(
        self,
        includes: Sequence[regex.Pattern[str]],
        excludes: Sequence[regex.Pattern[str]],
        highlights: Sequence[regex.Pattern[str]],
        report: Callable[[str], None],
    ) -> None:
        self._includes = (
            _Matcher(includes, report, _NOT_MATCHING.format(flag="an --include")) if includes else None
        )
        self._excludes = (
            _Matcher(excludes, report, _NOT_MATCHING.format(flag="an --exclude")) if excludes else None
        )
        self.filters = bool(includes or excludes)
        self.keep: Callable[[str], bool] = self._fast_keep() or self._keep
        self._include_words = words_of(includes) if includes else None
        self._exclude_words = words_of(excludes) if excludes else None
        marked = sorted(
            {p.pattern: p for p in (*includes, *highlights)}.values(), key=lambda p: -len(p.pattern)
        )
        self.highlights = bool(marked)
        self._hl: regex.Pattern[str] | None = _combine(marked, _SGR_ALT) if marked else None
        plain = _combine(marked) if marked else None
        # Without ESC in the text and with no empty match possible, a template replacement
        # (no Python callback per match) gives the same result.
        self._hl_plain = plain if plain is not None and plain.search("") is None else None
        self._hl_each = [(p, risky(p.pattern)) for p in marked] if self._hl is None else []
        self._hl_slow = risky("|".join(p.pattern for p in marked)) if marked else False
        # Include matches are highlighted too, so either flag's regex can be the slow one.
        marking = (
            "a --highlight or --include"
            if includes and highlights
            else ("an --include" if includes else "a --highlight")
        )
        self._hl_matcher = _Matcher(marked, report, _UNHIGHLIGHTED.format(flag=marking)) if marked else None

    def plain_words(self) -> tuple[Words | None, Words | None] | None:
        """The include and exclude words when every filter is plain words (``literals``), else None.

        A side without filters is None in the pair.
        """
        if (self._includes is not None and self._include_words is None) or (
            self._excludes is not None and self._exclude_words is None
        ):
            return None
        return self._include_words, self._exclude_words

    def _fast_keep(self) -> Callable[[str], bool] | None:
        """Direct ``search`` calls when each side is one combined pattern that needs no time limit."""
        inc, exc = self._includes, self._excludes
        for matcher in (inc, exc):
            if matcher is not None and (len(matcher.patterns) != 1 or matcher.slow[0]):
                return None
        if inc is not None and exc is not None:
            inc_search, exc_search = inc.patterns[0].search, exc.patterns[0].search
            return lambda text: exc_search(text) is None and inc_search(text) is not None
        if inc is not None:
            inc_search = inc.patterns[0].search
            return lambda text: inc_search(text) is not None
        if exc is not None:
            exc_search = exc.patterns[0].search
            return lambda text: exc_search(text) is None
        return None

    def keep_lines(self, messages: list[bytes]) -> list[bytes]:
        """The messages (raw bytes, one line each) that pass the filters: ``keep`` for a whole batch.

        The same decisions as calling ``keep`` on each decoded message, made with as little
        per-line Python as the patterns allow (see ``literals`` and ``_matches``).
        """
        return self.keep_rows(messages, None)[0]

    def keep_rows(self, messages: list[bytes], owners: list[int] | None) -> tuple[list[bytes], list[int]]:
        """``keep_lines``, keeping ``owners`` (one per message, for ``--sort``'s rows) in step."""
        kept, kept_owners = messages, owners or []
        for side, words, exclude in (
            (self._excludes, self._exclude_words, True),
            (self._includes, self._include_words, False),
        ):
            if side is None or not kept:
                continue
            found: Iterable[object] = self._matches(side, words, kept)
            if exclude:
                found = map(not_, found)
            if owners is not None:
                found = list(found)  # read twice
                kept_owners = list(compress(kept_owners, found))
            kept = list(compress(kept, found))
        return kept, kept_owners

    @staticmethod
    def _matches(matcher: _Matcher, words: Words | None, messages: list[bytes]) -> Iterable[object]:
        """Per message, something true when the side's patterns match it."""
        if words is not None:
            found = hits(words, messages)
            if found is not None:
                return found
        # One decode for the batch, then the C-level ``map`` drives the searches: no Python
        # frame per line.  A multi-byte sequence never spans a newline, so decoding the joined
        # batch gives the same text per line as decoding each line.
        texts = b"\n".join(messages).decode("utf-8", "surrogateescape").split("\n")
        if len(texts) != len(messages):
            texts = [m.decode("utf-8", "surrogateescape") for m in messages]
        if len(matcher.patterns) == 1 and not matcher.slow[0]:
            return map(matcher.patterns[0].search, texts)
        return map(matcher.search, texts)  # several patterns or a time limit: True/False/None

    def _keep(self, text: str) -> bool:
        """stern's order: any exclude drops the line, then some include must match."""
        if self._excludes is not None and self._excludes.search(text):
            return False
        return self._includes is None or bool(self._includes.search(text))

    def highlight(self, text: str) -> str:
        """Wrap every match in red+bold, skipping SGR codes already in the text."""
        if self._hl is not None:
            try:
                if self._hl_slow:
                    return self._hl.sub(_wrap, text, timeout=DEFAULT_TIMEOUT)
                if self._hl_plain is not None and "\x1b" not in text:
                    return self._hl_plain.sub(_TEMPLATE, text)
                return self._hl.sub(_wrap, text)
            except TimeoutError:
                assert self._hl_matcher is not None
                self._hl_matcher.timed_out_once()
                return text
        return self._highlight_each(text)

    def _highlight_each(self, text: str) -> str:
        # Patterns that do not combine into one regex: merge their match spans (longest pattern wins ties).
        spans: list[tuple[int, int, int]] = []
        for rank, (pattern, slow) in enumerate(self._hl_each):
            try:
                found = pattern.finditer(text, timeout=DEFAULT_TIMEOUT) if slow else pattern.finditer(text)
                spans.extend((m.start(), rank, m.end()) for m in found if m.end() > m.start())
            except TimeoutError:
                assert self._hl_matcher is not None
                self._hl_matcher.timed_out_once()
                return text
        if not spans:
            return text
        blocked = [(m.start(), m.end()) for m in regex.finditer(r"\x1b\[[0-9;:]*m", text)]
        out: list[str] = []
        pos = 0
        for start, _rank, end in sorted(spans):
            if start < pos or any(s < end and start < e for s, e in blocked):
                continue
            out.append(text[pos:start])
            out.append(HIGHLIGHT_OPEN + text[start:end] + HIGHLIGHT_CLOSE)
            pos = end
        out.append(text[pos:])
        return "".join(out)


_TEMPLATE = HIGHLIGHT_OPEN.replace("\\", "\\\\") + r"\g<0>" + HIGHLIGHT_CLOSE


def _wrap(match: regex.Match[str]) -> str:
    text = match.group()
    if not text or match.group(_ESC_GROUP) is not None:
        return text
    return HIGHLIGHT_OPEN + text + HIGHLIGHT_CLOSE
