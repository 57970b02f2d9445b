"""Time-ordered output across containers (``--sort``; stern's users pipe through ``sort``, #326).

Two shapes, both keyed by the kubelet timestamp of each record:

* ``StreamMerger`` (``--no-follow``): an exact k-way merge.  Each tail writes into its
  own ``MergeChannel`` (a ``Sink``) and the merger always emits the oldest head line.
  Memory is bounded: a channel holds at most a few batches, then its tail's ``drain()``
  waits, which stops reading that connection.  An exact merge needs the head of every
  stream, so every stream is open at once (``--max-log-requests`` does not apply).
* ``SortingSink`` (follow): holds lines for ``window`` seconds and releases them in
  timestamp order; a line that arrives later than its window is printed anyway.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from itertools import count

from pystern.model import Notice, Target
from pystern.ports import Sink
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


class MergeChannel:
    """A ``Sink`` for one finite stream feeding a ``StreamMerger``; notices pass straight through."""

    def __init__(self, target: Target, inner: Sink, max_batches: int = 4) -> None:
        self.target = target
        self.inner = inner
        self.max_batches = max_batches
        self.batches: deque[Sequence[bytes]] = deque()
        self.closed = False
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.line: bytes = b""
        self.key: bytes = b""
        self._batch: Sequence[bytes] = ()
        self._pos = -1

    # -- Sink side (the tail writes)
    def emit(self, target: Target, lines: Sequence[bytes]) -> None:
        """Queue a batch for the merger."""
        self.batches.append(lines)
        if len(self.batches) >= self.max_batches:
            self._room.clear()
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
    async def advance(self) -> bool:
        """Move to the next line (waiting for the tail if needed); False at the end."""
        self._pos += 1
        while self._pos >= len(self._batch):
            if self.batches:
                self._batch = self.batches.popleft()
                self._pos = 0
                if len(self.batches) < self.max_batches:
                    self._room.set()
                continue
            if self.closed:
                return False
            self._wake.clear()
            await self._wake.wait()
        self.line = self._batch[self._pos]
        # A record without a timestamp (kubelet error text) stays with its predecessor.
        self.key = sort_key(self.line) or self.key
        return True

    def take_run(self, limit: tuple[bytes, int] | None, index: int) -> list[bytes]:
        """The current line plus following lines of the same batch that still sort before ``limit``."""
        out = [self.line]
        batch = self._batch
        while self._pos + 1 < len(batch):
            nxt = batch[self._pos + 1]
            key = sort_key(nxt) or self.key
            if limit is not None and (key, index) > limit:
                break
            self._pos += 1
            self.line, self.key = nxt, key
            out.append(nxt)
        return out


class StreamMerger:
    """Exact k-way merge of finite streams into one sink (``--no-follow --sort``)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.channels: list[MergeChannel] = []

    def channel(self, target: Target) -> MergeChannel:
        """A new input; create every channel before ``run`` starts."""
        ch = MergeChannel(target, self.sink)
        self.channels.append(ch)
        return ch

    async def run(self) -> None:
        """Merge until every channel is closed and consumed."""
        heap: list[tuple[bytes, int]] = []
        for i, ch in enumerate(self.channels):
            if await ch.advance():
                heap.append((ch.key, i))
        heapq.heapify(heap)
        while heap:
            _, i = heapq.heappop(heap)
            ch = self.channels[i]
            run = ch.take_run(heap[0] if heap else None, i)
            self.sink.emit(ch.target, run)
            await self.sink.drain()
            if await ch.advance():
                heapq.heappush(heap, (ch.key, i))


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
