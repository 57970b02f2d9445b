"""Time-ordered output across containers (``--sort``; stern's users pipe through ``sort``, #326).

Two shapes, both keyed by the kubelet timestamp of each record:

* ``StreamMerger`` (``--no-follow``): an exact k-way merge.  Each tail writes into its
  own ``MergeChannel`` (a ``Sink``); the merger emits, in rounds, every waiting line that
  no stream can still undercut.  Memory is bounded: a channel holds one batch, and its
  tail's ``drain()`` waits until it is merged, which stops reading that connection.  An
  exact merge needs the head of every stream, so every stream is open at once
  (``--max-log-requests`` does not apply).  A line older than the line before it in its
  own container stays after it: the merge never reorders a container's lines.
* ``SortingSink`` (follow): holds lines for ``window`` seconds and releases them in
  timestamp order; a line that arrives later than its window is printed anyway.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from itertools import accumulate, count, groupby, islice, repeat
from operator import le

from pystern.model import Notice, Target
from pystern.ports import MergedSink, Sink
from pystern.timefmt import format_rfc3339_nano_fixed, parse_rfc3339_ns


def sort_key(line: bytes) -> bytes | None:
    """A bytes key that orders records by time, or None when the record has no timestamp.

    The kubelet's RFC3339NanoFixed in UTC sorts as bytes, so the common case is a slice;
    other offsets or precisions are normalised to that form.
    """
    if len(line) > 30 and line[29] == 0x5A and line[30] == 0x20 and line[10] == 0x54:
        return line[:30]
    sp = line.find(b" ", 0, 64)
    if sp <= 0:
        sp = len(line) if len(line) <= 64 else -1
    if sp <= 0:
        return None
    try:
        ns = parse_rfc3339_ns(line[:sp])
    except ValueError:
        return None
    return format_rfc3339_nano_fixed(ns).encode()


ROUND_LINES = 512
"""Lines of one stream that a merge round may take (ties aside): rounds, and their memory, stay small."""


def merge_keys(lines: Sequence[bytes], carry: bytes = b"") -> list[bytes]:
    """The merge key of each line: its ``sort_key``, never below the key of the line before it.

    A record without a timestamp, or one older than its predecessor, takes the key before it
    (``carry`` for the first line), so a container's own order is never changed by the merge.
    The usual batch (30-byte UTC timestamps, in order) costs one slice per line.
    """
    try:
        keys = [line[:30] for line in lines if line[29] == 0x5A and line[30] == 0x20 and line[10] == 0x54]
    except IndexError:
        keys = []
    if len(keys) != len(lines):
        keys = []
        for line in lines:
            key = sort_key(line)
            if key is not None and key > carry:
                carry = key
            keys.append(carry)
        return keys
    if keys and (keys[0] < carry or not all(map(le, keys, islice(keys, 1, None)))):
        keys = list(accumulate(keys, max, initial=carry))[1:]
    return keys


class MergeChannel:
    """A ``Sink`` for one finite stream feeding a ``StreamMerger``; notices pass straight through."""

    def __init__(self, target: Target, inner: Sink, max_batches: int = 1) -> None:
        # One batch: in a flood a batch is a whole socket buffer (thousands of lines), and a
        # round can only go as far as the slowest stream anyway, so a longer queue only held
        # memory (20 streams of benchmark 1: peak RSS 195 MiB with four, 137 with one, and no
        # slower; bench/run.py's --sort row).
        self.target = target
        self.inner = inner
        self.max_batches = max_batches
        self.batches: deque[Sequence[bytes]] = deque()
        """Batches from the tail, not yet given merge keys."""
        self.closed = False
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._batch: Sequence[bytes] = ()
        self._keys: list[bytes] = []
        """The batch being merged (given keys once the one before it is merged), and its keys."""
        self._start = 0
        """How much of that batch has been merged already."""
        self._carry = b""

    # -- Sink side (the tail writes)
    def emit(self, target: Target, lines: Sequence[bytes]) -> None:
        """Queue a batch for the merger."""
        if not lines:
            return
        self.batches.append(lines)
        self._update_room()
        self._wake.set()

    def notice(self, notice: Notice) -> None:
        """Forward a notice at once (``+``/``-`` are not part of the ordering)."""
        self.inner.notice(notice)

    async def drain(self) -> None:
        """Wait while the merger has not consumed this channel's backlog (backpressure)."""
        await self._room.wait()

    def flush(self) -> None:
        """Nothing to flush: the merger writes."""

    def close(self) -> None:
        """The stream has ended."""
        self.closed = True
        self._wake.set()

    # -- merger side
    def _update_room(self) -> None:
        if len(self.batches) + (1 if self.waiting else 0) >= self.max_batches:
            self._room.clear()
        else:
            self._room.set()

    async def ready(self) -> None:
        """Wait until this channel has lines to merge or has ended."""
        while not self.batches and not self.waiting and not self.closed:
            self._wake.clear()
            await self._wake.wait()

    def key_queued(self) -> None:
        """Give merge keys to the next queued batch once the last one is merged (no await after)."""
        if self.batches and not self.waiting:
            self._batch = self.batches.popleft()
            self._keys = merge_keys(self._batch, self._carry)
            self._carry = self._keys[-1]
            self._start = 0

    @property
    def waiting(self) -> bool:
        """Whether lines are waiting to be merged."""
        return self._start < len(self._batch)

    def bound(self, limit: int) -> bytes | None:
        """A key that no line of this stream after its next ``limit`` waiting lines sorts below.

        None when there is no such line: the stream has ended and at most ``limit`` lines wait.
        """
        if not self.waiting:
            return None if self.closed and not self.batches else self._carry
        keys = self._keys
        end = min(self._start + limit, len(keys))
        if end == len(keys) and self.closed and not self.batches:
            return None
        return keys[end - 1]

    def take(self, horizon: tuple[bytes, int] | None, index: int) -> tuple[Sequence[bytes], list[bytes]]:
        """Remove and return the waiting lines (and keys) with ``(key, index) <= horizon`` (all: None)."""
        batch, keys, start = self._batch, self._keys, self._start
        end = len(keys)
        if horizon is not None and (keys[-1], index) > horizon:
            # Keys only grow: the lines up to the horizon follow on from ``start``.  The rest
            # stays where it is (copying it out would cost a pass per round).
            pick = bisect_right if index <= horizon[1] else bisect_left
            end = pick(keys, horizon[0], start)
        if end == len(keys):  # all merged: let the batch go
            self._batch, self._keys, self._start = (), [], 0
        else:
            self._start = end
        self._update_room()
        if start == 0 and end == len(keys):
            return batch, keys
        return batch[start:end], keys[start:end]


class StreamMerger:
    """Exact k-way merge of finite streams into one sink (``--no-follow --sort``).

    The merge works in rounds instead of line by line.  A round waits until every stream
    still open has lines waiting.  Each stream's bound is the key of its ``ROUND_LINES``-th
    waiting line (or its last one): keys never decrease, so nothing it sends later sorts
    below that.  The horizon is the smallest (bound, stream), and every waiting line up to
    it, from every stream, goes out in that round: one stable sort of the keys (ties keep
    stream order, then arrival order) and one ``emit_merged`` call, however finely the
    streams interleave.  (Merging line by line cost a heap step, a sink call and an await
    per line: 4.5 µs a line when 20 streams alternate, seven times the unsorted output.)
    """

    def __init__(self, sink: Sink, round_lines: int = ROUND_LINES) -> None:
        self.sink = sink
        self.round_lines = round_lines
        self.channels: list[MergeChannel] = []

    def channel(self, target: Target) -> MergeChannel:
        """A new input; create every channel before ``run`` starts."""
        ch = MergeChannel(target, self.sink)
        self.channels.append(ch)
        return ch

    async def run(self) -> None:
        """Merge until every channel is closed and consumed."""
        channels = self.channels
        targets = [ch.target for ch in channels]
        while True:
            for ch in channels:
                await ch.ready()
            # Batches (and closes) that came while waiting for other channels count too; from
            # here to the emit there is no await, so the channels hold still.
            for ch in channels:
                ch.key_queued()
            # No stream can later produce a line below its bound: everything up to the lowest
            # bound (ties go to the lower stream index, as in a (key, stream) ordering) can go.
            bounds = [
                (key, i) for i, ch in enumerate(channels) if (key := ch.bound(self.round_lines)) is not None
            ]
            horizon = min(bounds) if bounds else None
            owners: list[int] = []
            lines: list[bytes] = []
            keys: list[bytes] = []
            for i, ch in enumerate(channels):
                if ch.waiting:
                    taken, taken_keys = ch.take(horizon, i)
                    owners.extend(repeat(i, len(taken)))
                    lines.extend(taken)
                    keys.extend(taken_keys)
            if not lines:
                # Only the end gets here: the stream that sets the horizon has a line at or below it.
                assert horizon is None, "a merge round took no line"
                return
            # Each stream's part is already in key order: timsort merges those runs, and being
            # stable it keeps the stream order for equal keys, as (key, stream) ordering asks.
            order = sorted(range(len(keys)), key=keys.__getitem__)
            self._emit(targets, list(map(owners.__getitem__, order)), list(map(lines.__getitem__, order)))
            await self.sink.drain()

    def _emit(self, targets: list[Target], owners: list[int], lines: list[bytes]) -> None:
        if isinstance(self.sink, MergedSink):
            self.sink.emit_merged(targets, owners, lines)
            return
        start = 0
        for owner, run in groupby(owners):
            size = sum(1 for _ in run)
            self.sink.emit(targets[owner], lines[start : start + size])
            start += size


class SortingSink:
    """A ``Sink`` wrapper that releases lines in timestamp order after holding them ``window`` seconds.

    Lines are released when the oldest *arrival* among them has waited ``window``: every
    held line whose timestamp is not newer than the newest due one goes out, in order.  A
    line that arrives after newer ones went out is printed at the next release (late, not lost).
    """

    def __init__(
        self,
        inner: Sink,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.inner = inner
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self._heap: list[tuple[bytes, int, Target, bytes]] = []
        self._arrivals: deque[tuple[float, bytes]] = deque()
        self._seq = count()
        self._last_key: dict[tuple[str, str, str, str], bytes] = {}

    def emit(self, target: Target, lines: Sequence[bytes]) -> None:
        """Hold the lines for ordering."""
        now = self.clock()
        last = self._last_key.get(target.key, b"")
        top = last
        for line in lines:
            last = sort_key(line) or last
            heapq.heappush(self._heap, (last, next(self._seq), target, line))
            top = max(top, last)
        self._last_key[target.key] = last
        self._arrivals.append((now, top))

    def notice(self, notice: Notice) -> None:
        """Notices are not delayed."""
        self.inner.notice(notice)

    async def drain(self) -> None:
        """Backpressure from the real output."""
        await self.inner.drain()

    def flush(self) -> None:
        """Flush the inner sink (held lines stay held until their window passes)."""
        self.inner.flush()

    def release(self, now: float | None = None) -> int:
        """Emit every line that is due at ``now``; returns how many lines went out."""
        now = self.clock() if now is None else now
        watermark: bytes | None = None
        arrivals = self._arrivals
        while arrivals and arrivals[0][0] + self.window <= now:
            _, key = arrivals.popleft()
            if watermark is None or key > watermark:
                watermark = key
        if watermark is None:
            return 0
        return self._emit_until(watermark)

    def _emit_until(self, watermark: bytes | None) -> int:
        heap = self._heap
        sent = 0
        run: list[bytes] = []
        run_target: Target | None = None
        while heap and (watermark is None or heap[0][0] <= watermark):
            _, _, target, line = heapq.heappop(heap)
            if target is not run_target and run:
                assert run_target is not None
                self.inner.emit(run_target, run)
                run = []
            run_target = target
            run.append(line)
            sent += 1
        if run and run_target is not None:
            self.inner.emit(run_target, run)
        return sent

    def close(self) -> int:
        """Emit everything still held (end of the run)."""
        self._arrivals.clear()
        return self._emit_until(None)

    async def run(self) -> None:
        """Release due lines every quarter window until cancelled (then release the rest)."""
        tick = max(self.window / 4, 0.005)
        try:
            while True:
                await self.sleep(tick)
                if self.release():
                    self.inner.flush()
        finally:
            self.close()
