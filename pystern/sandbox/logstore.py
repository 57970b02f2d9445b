"""The log of one container instance: one growing bytearray plus a compact record index.

Records are stored exactly as the kubelet serves them with ``timestamps=true``:
``<RFC3339NanoFixed> <content>\\n`` (a partial record has no newline).  Serving a
request is then a slice of the buffer, a few big writes rather than one per line; the
timestamp-free form is produced by cutting the known prefix width off every record.
``starts`` and ``times`` are ``array('q')`` so 250k lines cost ~4 MB of index, not
250k Python objects.
"""

from __future__ import annotations

import asyncio
import bisect
import re
import time
from array import array

from pystern.timefmt import NS_PER_SECOND, format_rfc3339_nano_fixed

_PREFIX_CACHE: dict[int, bytes] = {}


def _second_prefix(seconds: int) -> bytes:
    """``2024-05-01T12:34:56.`` for a whole second (cached: most lines share a second)."""
    cached = _PREFIX_CACHE.get(seconds)
    if cached is None:
        if len(_PREFIX_CACHE) > 4096:
            _PREFIX_CACHE.clear()
        cached = format_rfc3339_nano_fixed(seconds * NS_PER_SECOND)[:20].encode()
        _PREFIX_CACHE[seconds] = cached
    return cached


def timestamp_bytes(ns: int) -> bytes:
    """The kubelet's timestamp for ``ns``: always 9 fractional digits, ``Z``."""
    seconds, frac = divmod(ns, NS_PER_SECOND)
    return b"%s%09dZ" % (_second_prefix(seconds), frac)


TS_WIDTH = len(timestamp_bytes(0)) + 1
"""Width of ``<timestamp><space>``: fixed because the sandbox always writes UTC."""
_STRIP_PREFIX = re.compile(rb"\n.{%d}" % TS_WIDTH)


class LogBuffer:
    """An append-only container log with a waiter list for follow streams."""

    __slots__ = (
        "_waiters",
        "closed",
        "data",
        "error_text",
        "has_partial",
        "last_ns",
        "monotonic",
        "starts",
        "times",
    )

    def __init__(self) -> None:
        self.data = bytearray()
        self.starts = array("q")
        self.times = array("q")
        self.last_ns = 0
        self.monotonic = True
        self.has_partial = False
        """Some record lacks its newline, so records cannot be found by line starts."""
        self.closed = False
        """No more writes will come (the instance ended): follow streams drain and end."""
        self.error_text: bytes | None = None
        """Kubelet-style error text served inside a 200 body instead of the log."""
        self._waiters: list[asyncio.Future[None]] = []

    def __len__(self) -> int:
        return len(self.starts)

    # ---------------------------------------------------------------- writing
    def _stamp(self, ts_ns: int | None) -> int:
        if ts_ns is None:
            ts_ns = max(time.time_ns(), self.last_ns + 1)
        if ts_ns < self.last_ns:
            self.monotonic = False
        self.last_ns = max(self.last_ns, ts_ns)
        return ts_ns

    def append(self, lines: list[bytes], ts_ns: int | None = None, *, newline: bool = True) -> None:
        """Append records; the first gets ``ts_ns`` (default now), the next ones +1 ns each."""
        data = self.data
        for i, line in enumerate(lines):
            stamp = self._stamp(None if ts_ns is None else ts_ns + i)
            self.starts.append(len(data))
            self.times.append(stamp)
            data += timestamp_bytes(stamp)
            data += b" "
            data += line
            if newline:
                data += b"\n"
            else:
                self.has_partial = True
        self.wake()

    def bulk_append(self, lines: list[bytes], start_ns: int, step_ns: int) -> None:
        """Append many newline-terminated records with evenly spaced timestamps, fast."""
        if not lines:
            return
        if start_ns < self.last_ns or (step_ns < 0 and len(lines) > 1):
            self.monotonic = False
        records: list[bytes] = []
        add = records.append
        offsets = array("q", bytes(8 * len(lines)))
        stamps = array("q", range(start_ns, start_ns + step_ns * len(lines), step_ns) if step_ns else [])
        if not step_ns:
            stamps = array("q", [start_ns]) * len(lines)
        pos = len(self.data)
        current = -1
        prefix = b""
        for i, line in enumerate(lines):
            seconds, frac = divmod(stamps[i], NS_PER_SECOND)
            if seconds != current:
                current = seconds
                prefix = _second_prefix(seconds)
            record = b"%s%09dZ %s\n" % (prefix, frac, line)
            offsets[i] = pos
            pos += len(record)
            add(record)
        self.data += b"".join(records)
        self.starts.extend(offsets)
        self.times.extend(stamps)
        self.last_ns = max(self.last_ns, stamps[-1], stamps[0])
        self.wake()

    def close(self) -> None:
        """The instance ended: wake followers so they drain and end."""
        self.closed = True
        self.wake()

    def wake(self) -> None:
        """Wake every follower waiting for more data or a state change."""
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait(self, size: int) -> None:
        """Wait until the buffer grows beyond ``size`` bytes or :meth:`wake` is called."""
        if len(self.data) > size or self.closed:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        finally:
            if fut in self._waiters:
                self._waiters.remove(fut)

    # ---------------------------------------------------------------- reading
    def start_offset(self, *, tail_lines: int | None, since_ns: int | None) -> int:
        """Byte offset where a request starts, from ``tailLines`` and a since bound."""
        index = 0
        if tail_lines is not None:
            index = max(0, len(self.starts) - tail_lines)
        if since_ns is not None:
            if self.monotonic:
                index = max(index, bisect.bisect_left(self.times, since_ns))
            else:
                while index < len(self.times) and self.times[index] < since_ns:
                    index += 1
        return self.starts[index] if index < len(self.starts) else len(self.data)

    def record_index(self, offset: int) -> int:
        """Index of the record that contains byte ``offset``."""
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    def render(self, begin: int, end: int, *, timestamps: bool) -> bytes:
        """Bytes ``[begin, end)`` of the stored form, with or without timestamps.

        ``begin`` must be a record start; ``end`` may fall anywhere.
        """
        if begin >= end:
            return b""
        chunk = bytes(memoryview(self.data)[begin:end])
        if timestamps:
            return chunk
        if not self.has_partial:
            # Every record starts a line and has a fixed-width prefix: one C-level pass.
            return _STRIP_PREFIX.sub(b"\n", chunk[TS_WIDTH:])
        first = self.record_index(begin)
        last = bisect.bisect_left(self.starts, end)
        rel = [self.starts[i] - begin for i in range(first, last)]
        pieces = [chunk[s + TS_WIDTH : e] for s, e in zip(rel, [*rel[1:], len(chunk)], strict=True)]
        return b"".join(pieces)
