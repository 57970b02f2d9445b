"""Unit and property tests of the log buffer's index: tail, since and rendering agree."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pystern.sandbox.logstore import LogBuffer, timestamp_bytes

BASE = 1_700_000_000_000_000_000


def test_timestamp_format() -> None:
    assert timestamp_bytes(BASE) == b"2023-11-14T22:13:20.000000000Z"
    assert timestamp_bytes(BASE + 5) == b"2023-11-14T22:13:20.000000005Z"
    assert timestamp_bytes(0) == b"1970-01-01T00:00:00.000000000Z"


_lines = st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=30)


@given(_lines, st.integers(1, 10**9), st.integers(0, 40), st.booleans())
def test_bulk_equals_append_and_tail(lines: list[bytes], step: int, tail: int, timestamps: bool) -> None:
    one, many = LogBuffer(), LogBuffer()
    for i, line in enumerate(lines):
        one.append([line], BASE + i * step)
    many.bulk_append(lines, BASE, step)
    assert bytes(one.data) == bytes(many.data)
    start = many.start_offset(tail_lines=tail, since_ns=None)
    rendered = many.render(start, len(many.data), timestamps=timestamps)
    expected = lines[len(lines) - min(tail, len(lines)) :]
    if timestamps:
        assert rendered.count(b"\n") == len(expected)
    else:
        assert rendered == b"".join(line + b"\n" for line in expected)


@given(_lines, st.integers(0, 35))
def test_since_skips_older_records(lines: list[bytes], cut: int) -> None:
    buf = LogBuffer()
    buf.bulk_append(lines, BASE, 1_000)
    start = buf.start_offset(tail_lines=None, since_ns=BASE + cut * 1_000)
    assert buf.render(start, len(buf.data), timestamps=False) == b"".join(x + b"\n" for x in lines[cut:])


def test_out_of_order_timestamps_use_a_scan() -> None:
    buf = LogBuffer()
    buf.append([b"late"], BASE + 10)
    buf.append([b"early"], BASE)
    assert not buf.monotonic
    start = buf.start_offset(tail_lines=None, since_ns=BASE + 5)
    assert buf.render(start, len(buf.data), timestamps=False) == b"late\nearly\n"


def test_partial_records_render_without_prefixes() -> None:
    buf = LogBuffer()
    buf.append([b"par"], BASE, newline=False)
    buf.append([b"tial"], BASE + 1)
    buf.append([b"next"], BASE + 2)
    assert buf.render(0, len(buf.data), timestamps=False) == b"partial\nnext\n"
    assert buf.render(0, len(buf.data), timestamps=True).count(b"Z ") == 3
