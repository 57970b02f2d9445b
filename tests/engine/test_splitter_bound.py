"""``LineSplitter`` skips its per-line length scan for short chunks: the bound must still hold."""

from __future__ import annotations

from pystern.tail import TRUNCATED, LineSplitter


def test_a_line_grown_from_a_carried_partial_is_still_cut() -> None:
    splitter = LineSplitter(max_line=10)
    assert splitter.feed(b"0123456") == []  # carried: 7 bytes
    # The chunk alone is short; the line it completes is not.
    assert splitter.feed(b"789AB\nok\n") == [b"0123456789" + TRUNCATED, b"ok"]


def test_short_chunks_of_short_lines_pass_whole() -> None:
    splitter = LineSplitter(max_line=10)
    assert splitter.feed(b"abc\n0123456789\n") == [b"abc", b"0123456789"]
    assert splitter.feed(b"0123456789A\n") == [b"0123456789" + TRUNCATED]
