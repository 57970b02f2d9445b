"""``--include``/``--exclude`` patterns that are plain words, decided for a whole batch with bytes operations.

Most filters people type are words or alternations of words (``-i 'error|warn'``, ``-e
healthz``, ``-i '(?i)timeout'``).  For those, "the regex finds a match in this line" is
exactly "one of the words occurs in this line", so no regex needs to run: the batch is
joined once, every occurrence of every word is overwritten by a marker byte and filler bytes
that the batch does not contain (one search pass and one copy: stringzilla's SIMD ``split``
joined with the marked copy, or a same-length ``replace``), everything but markers and
newlines is deleted (``translate``) and the small rest is split at the newlines: a line
matched when its piece is not empty.  No decode, no Python call and no regex search per line.

Exactness: a word is printable ASCII, so it matches the same bytes in the raw message as
characters in its ``surrogateescape`` decoding (non-ASCII bytes never decode to ASCII); it
holds no newline, so an occurrence never spans two lines; the marker and the filler are
control bytes absent from the batch and the words, so overwriting one word can neither create
nor hide an occurrence in a line that is not already marked.  ``(?i)`` words are compared
lower-cased, only in all-ASCII batches (Unicode case folding has non-ASCII partners such as the
Kelvin sign for ``k``); other batches take the regex route.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any

import regex

# Characters with no special meaning in a pattern outside a group or a class (``#`` only in
# verbose mode, which is a flag and excluded below).  ASCII only: see the module doc.
_WORD = r"[A-Za-z0-9 _,;:=/'\"@%!~<>#&-]+"
_PLAIN = re.compile(rf"(\(\?i\))?({_WORD}(?:\|{_WORD})*)")
_NO_FLAGS = regex.U | regex.V0 | regex.V1
_MARKS = [bytes((b,)) for b in (*range(0x0A), *range(0x0B, 0x20))]
# Per marker: every byte but the marker and the newline (the bytes ``translate`` deletes).
_KEEP = {m[0]: bytes(b for b in range(256) if b not in (m[0], 0x0A)) for m in _MARKS}


_ASCII_LOWER = bytes(range(256)).lower()


@cache
def _stringzilla() -> Any:
    """The stringzilla module (the ``fast`` extra), imported when the first batch needs it, or None.

    Its SIMD search finds a short word in log text about ten times faster than CPython's
    ``bytes`` search (4 against 42 ns a line for ``error`` in the benchmark's JSON lines), and
    its ``split`` pieces are views of the batch that ``join`` reads in place.  Like
    ``replace`` it takes the occurrences left to right without overlaps, so both routes give
    the same bytes.  Its ``translate`` lower-cases an ASCII batch for ``(?i)`` words in a
    twentieth of ``bytes.lower``'s time.
    """
    try:
        import stringzilla
    except ImportError:
        return None
    return stringzilla


@dataclass(frozen=True, slots=True)
class Words:
    """The words of one side's patterns (a line matches when it contains any of them)."""

    words: tuple[bytes, ...]
    fold: bool
    """``(?i)``: compare lower-cased."""


def words_of(patterns: Sequence[regex.Pattern[str]]) -> Words | None:
    """The words when every pattern is a (``(?i)``-prefixed) alternation of plain words, else None."""
    words: list[bytes] = []
    folds = set()
    for pattern in patterns:
        plain = _PLAIN.fullmatch(pattern.pattern)
        fold = plain is not None and plain.group(1) is not None
        if plain is None or pattern.flags & ~_NO_FLAGS != (regex.I if fold else 0):
            return None
        folds.add(fold)
        alternatives = plain.group(2).split("|")
        words.extend(w.lower().encode() if fold else w.encode() for w in alternatives)
    if not words or len(folds) != 1:
        return None  # mixed case rules: let the combined regex decide, as before
    return Words(tuple(dict.fromkeys(words)), folds.pop())


def hits(words: Words, messages: Sequence[bytes]) -> list[bytes] | None:
    """Per message, one marker byte per word occurrence (empty: no match); None: decide another way.

    ``messages`` are lines (no newline inside; a batch that has one returns None).
    """
    joined = b"\n".join(messages)
    simd = _stringzilla()
    if words.fold:
        if not joined.isascii():
            return None
        joined = simd.translate(joined, _ASCII_LOWER) if simd is not None else joined.lower()
    # A marker and a filler: the rest of an occurrence is filler, which translate deletes below,
    # so that a line with one occurrence keeps a one-byte piece (Python shares those).
    free = list(islice((m for m in _MARKS if m not in joined), 2))
    if len(free) < 2:
        return None
    mark, fill = free
    for word in words.words:
        marked = mark + fill * (len(word) - 1)
        # stringzilla: views of the pieces between occurrences, joined with the marked copy, the
        # same bytes as the replace in about a third of its time (the -i benchmark's render went
        # from 263 to 200 ns a line).  Without it: a replacement of the same length is one search
        # pass and one copy of the batch, and makes no piece per occurrence as bytes.split + join
        # does (about 8% cheaper for the whole decision on JSON log lines).
        joined = marked.join(simd.split(joined, word)) if simd is not None else joined.replace(word, marked)
    if mark not in joined:
        return [b""] * len(messages)
    # Keep only markers and newlines: splitting that tiny buffer gives each line's markers, and
    # empty bytes are false, so ``compress`` can select lines without a Python step per line.
    found = joined.translate(None, _KEEP[mark[0]]).split(b"\n")
    return found if len(found) == len(messages) else None
