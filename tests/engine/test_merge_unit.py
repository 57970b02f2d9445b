"""Pure tests of --sort: the exact no-follow merge and the follow window."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.merge import SortingSink, StreamMerger, sort_key
from pystern.model import Target
from pystern.timefmt import format_rfc3339_nano_fixed
from tests.engine.conftest import RecordingSink, ts

BASE = 1_700_000_000 * 1_000_000_000


def target(i: int) -> Target:
    return Target("default", f"p{i}", "app", container_id=f"c{i}")


def test_sort_key_normalises_offsets_and_rejects_text() -> None:
    utc = sort_key(b"2024-05-01T12:00:00.000000000Z a")
    assert utc == b"2024-05-01T12:00:00.000000000Z"
    assert sort_key(b"2024-05-01T14:00:00.5+02:00 b") == b"2024-05-01T12:00:00.500000000Z"
    assert sort_key(b"unable to retrieve container logs") is None


streams_strategy = st.lists(
    st.lists(st.integers(0, 50), max_size=25).map(sorted),
    min_size=1,
    max_size=6,
)


@settings(max_examples=100, deadline=None)
@given(streams_strategy, st.integers(1, 5))
def test_no_follow_merge_is_sorted_and_complete(streams: list[list[int]], batch: int) -> None:
    async def go() -> list[bytes]:
        sink = RecordingSink()
        merger = StreamMerger(sink)
        channels = [merger.channel(target(i)) for i in range(len(streams))]

        async def produce(i: int) -> None:
            lines = [ts(BASE + t) + f" s{i}-{n}".encode() for n, t in enumerate(streams[i])]
            for k in range(0, len(lines), batch):
                channels[i].emit(target(i), lines[k : k + batch])
                await channels[i].drain()
            channels[i].close()

        async with asyncio.TaskGroup() as tg:
            for i in range(len(streams)):
                tg.create_task(produce(i))
            tg.create_task(merger.run())
        return [line for _, line in sink.lines]

    out = asyncio.run(go())
    expected = sorted(
        ts(BASE + t) + f" s{i}-{n}".encode() for i, s in enumerate(streams) for n, t in enumerate(s)
    )
    assert sorted(out) == expected
    keys = [line[:30] for line in out]
    assert keys == sorted(keys)
    # Each stream's own order is kept.
    for i in range(len(streams)):
        mine = [line for line in out if f" s{i}-".encode() in line]
        assert mine == [ts(BASE + t) + f" s{i}-{n}".encode() for n, t in enumerate(streams[i])]


class MergedRecordingSink(RecordingSink):
    """A ``RecordingSink`` that also takes merged rounds (the ``MergedSink`` route)."""

    def emit_merged(self, targets: Sequence[Target], owners: Sequence[int], lines: Sequence[bytes]) -> None:
        self.batches += 1
        self.lines.extend((targets[owner], line) for owner, line in zip(owners, lines, strict=True))


def _merge(
    streams: list[list[bytes]], batch: int, sink: RecordingSink, round_lines: int
) -> list[tuple[Target, bytes]]:
    async def go() -> None:
        merger = StreamMerger(sink, round_lines)
        channels = [merger.channel(target(i)) for i in range(len(streams))]

        async def produce(i: int) -> None:
            lines = streams[i]
            for k in range(0, len(lines), batch):
                channels[i].emit(target(i), lines[k : k + batch])
                await channels[i].drain()
                await asyncio.sleep(0)  # let the streams interleave in varied ways
            channels[i].close()

        async with asyncio.TaskGroup() as tg:
            for i in range(len(streams)):
                tg.create_task(produce(i))
            tg.create_task(merger.run())

    asyncio.run(go())
    return sink.lines


def _reference_order(streams: list[list[bytes]]) -> list[tuple[Target, bytes]]:
    """Stable sort by (key, stream), each line's key never below the one before it in its stream."""
    rows = []
    for i, lines in enumerate(streams):
        carry = b""
        for n, line in enumerate(lines):
            key = sort_key(line)
            if key is not None and key > carry:
                carry = key
            rows.append((carry, i, n, line))
    return [(target(i), line) for _, i, _, line in sorted(rows)]


record = st.one_of(
    st.integers(0, 20).map(lambda t: ts(BASE + t)),  # the usual 30-byte UTC timestamp
    st.integers(0, 20).map(lambda t: format_rfc3339_nano_fixed(BASE + t, ZoneInfo("Asia/Tokyo")).encode()),
    st.just(b"unable to retrieve container logs"),  # kubelet text: no timestamp
    st.just(b""),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(record, max_size=12), min_size=1, max_size=5),
    st.integers(1, 4),
    st.sampled_from([1, 2, 3, 2048]),
    st.booleans(),
)
def test_merge_of_unordered_streams_keeps_each_stream_in_order(
    stamps: list[list[bytes]], batch: int, round_lines: int, merged_route: bool
) -> None:
    """Streams out of order, with untimed lines and other offsets: the documented order, either route.

    Small ``round_lines`` make rounds stop inside a batch (the default only does that on floods).
    """
    streams = [[stamp + f" s{i}-{n}".encode() for n, stamp in enumerate(s)] for i, s in enumerate(stamps)]
    sink = MergedRecordingSink() if merged_route else RecordingSink()
    assert _merge(streams, batch, sink, round_lines) == _reference_order(streams)


def test_follow_window_orders_and_never_drops_late_lines() -> None:
    now = [0.0]
    inner = RecordingSink()
    sink = SortingSink(inner, 0.2, clock=lambda: now[0])
    sink.emit(target(1), [ts(BASE + 30) + b" b"])
    sink.emit(target(2), [ts(BASE + 10) + b" a"])
    assert sink.release() == 0
    now[0] = 0.25
    assert sink.release() == 2
    assert inner.messages() == [b"a", b"b"]
    # A line older than what was printed arrives late: it is printed at the next release, not lost.
    sink.emit(target(2), [ts(BASE + 20) + b" late", ts(BASE + 40) + b" c"])
    now[0] = 0.3
    assert sink.release() == 0
    now[0] = 0.5
    assert sink.release() == 2
    assert inner.messages() == [b"a", b"b", b"late", b"c"]


def test_follow_window_keeps_held_lines_until_due_and_close_flushes() -> None:
    now = [0.0]
    inner = RecordingSink()
    sink = SortingSink(inner, 1.0, clock=lambda: now[0])
    sink.emit(target(1), [ts(BASE + 5) + b" x", b"no timestamp continues x"])
    now[0] = 0.5
    sink.emit(target(2), [ts(BASE + 1) + b" y"])
    now[0] = 1.0
    assert sink.release() == 3  # x is due, y (older) goes first
    assert inner.messages() == [b"y", b"x", b"timestamp continues x"]
    sink.emit(target(2), [ts(BASE + 9) + b" z"])
    assert sink.close() == 1


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 100), st.floats(0, 1.0), st.booleans()),
        max_size=40,
    ),
    st.floats(0.01, 0.5),
)
def test_follow_window_emits_every_line_exactly_once(
    events: list[tuple[int, int, float, bool]], window: float
) -> None:
    """Whatever the arrival pattern, every held line comes out once, and one release is sorted."""
    now = [0.0]
    inner = RecordingSink()
    sink = SortingSink(inner, window, clock=lambda: now[0])
    sent: list[bytes] = []
    for n, (stream, stamp, advance, release) in enumerate(events):
        now[0] += advance
        line = ts(BASE + stamp) + f" {stream}-{n}".encode()
        sink.emit(target(stream), [line])
        sent.append(line)
        if release:
            before = len(inner.lines)
            sink.release()
            batch = [line[:30] for _, line in inner.lines[before:]]
            assert batch == sorted(batch)
    sink.close()
    assert sorted(line for _, line in inner.lines) == sorted(sent)


def test_a_channel_holds_one_batch_until_the_merger_has_taken_it() -> None:
    """Backpressure per batch: in a flood a batch is a whole socket buffer, so one is queued at most."""

    async def go() -> None:
        channel = StreamMerger(RecordingSink()).channel(target(0))
        await asyncio.wait_for(channel.drain(), 1)  # room while nothing is queued
        channel.emit(target(0), [ts(BASE) + b" a", ts(BASE + 1) + b" b"])
        drained = asyncio.ensure_future(channel.drain())
        await asyncio.sleep(0.01)
        assert not drained.done()
        channel.key_queued()
        channel.take((ts(BASE), 0), 0)  # the first line only: the rest still waits
        await asyncio.sleep(0.01)
        assert not drained.done()
        channel.take(None, 0)
        await asyncio.wait_for(drained, 1)

    asyncio.run(go())
