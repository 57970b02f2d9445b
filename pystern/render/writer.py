"""The one writer that owns stdout: a buffer, prompt handoff, backpressure, broken pipes.

Rendered chunks collect in a list, uncopied.  At the end of the current event-loop pass (one
``call_soon`` per burst) or when they pass 64 KiB, they are written out with one vectored
write (``writev``), never joined: a flood renders chunks of hundreds of KiB, and each copy
would be another pass over them and another large allocation (the writer used to copy every
chunk three times: into a bytearray, out of it, and into the thread's batch):

* to a pipe (``| grep``, ``| jq``, a benchmark), the event loop writes it itself with
  ``pwritev2(RWF_NOWAIT)``, which never blocks: whatever the pipe cannot take at once
  goes to the thread below, and later chunks queue behind it to keep the order;
* otherwise (a terminal, a file, an old kernel) a daemon thread does the blocking write,
  so a slow reader blocks that thread, not the event loop.  The thread takes everything
  handed over since its last write in one go, so the number of writes adapts to the load.

Issue 7: with 500 streams at 10k lines/s, a thread that wrote each handoff separately fell
behind (every write costs it two waits for the GIL, up to 5 ms each) and its queue became
the latency; the loop's own non-blocking writes also save the thread's wake-ups, about a
third of pystern's CPU in that benchmark.  ``drain()`` waits while more than ``high_water``
bytes are pending, so a slow consumer slows the log streams instead of growing memory.  A
daemon thread (not the default executor) so that a reader that never reads again cannot
keep the process alive after Ctrl-C.

Whole chunks of complete lines are written, so lines never tear or interleave mid-line.
When stdout is a terminal, stderr notices go through the same thread to keep their order
with the log lines around them.  Telling that stdout is gone is ``closing.ClosedWatch``'s
part; the system calls are in ``descriptors``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Sequence
from typing import BinaryIO, TextIO

from pystern.render.closing import ClosedWatch, OutputClosed
from pystern.render.descriptors import RWF_NOWAIT, Parts, drop_written, fileno_of, write_all, write_nowait

FLUSH_SIZE = 64 * 1024
HIGH_WATER = 1024 * 1024
LOW_WATER = 256 * 1024
HARD_LIMIT = 8 * HIGH_WATER
"""Pending bytes at which ``write`` itself blocks: the bound for callers that never ``drain()``."""
BATCH_LIMIT = LOW_WATER
"""Most bytes the thread joins into one write: a slow reader still sees ``pending`` fall in steps."""


_OUT = "out"
_ERR = "err"
_STOP = "stop"


class Writer(ClosedWatch):
    """Buffered, thread-backed writer of stdout (and, optionally, ordered stderr text)."""

    def __init__(
        self,
        stdout: BinaryIO,
        stderr: TextIO,
        *,
        order_stderr: bool = False,
        flush_size: int = FLUSH_SIZE,
        high_water: int = HIGH_WATER,
        low_water: int = LOW_WATER,
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.order_stderr = order_stderr
        self.flush_size = flush_size
        self.high_water = high_water
        self.low_water = low_water
        self.hard_limit = max(HARD_LIMIT, 2 * high_water)
        self._parts: Parts = []
        self._buffered = 0
        """Bytes in ``_parts``."""
        # Handed over to the thread, guarded by _lock: (kind, payload, bytes) in order, and
        # their byte count plus that of the write in progress.
        self._items: deque[tuple[str, Parts | str, int]] = deque()
        self._queued = 0
        self._room_waiter = False
        """The event loop waits in drain()/aclose(): the thread must wake it after a write."""
        self._lock = threading.Lock()
        self._has_work = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False
        self._room: asyncio.Event | None = None
        self._failed: asyncio.Event | None = None
        self.error: BaseException | None = None
        self.max_pending = 0
        """Largest number of bytes ever pending (for tests of the memory bound)."""
        self.writes = 0
        """Writes to stdout so far (each may carry many handoffs)."""
        self._out_fd = fileno_of(stdout)
        self._err_fd = fileno_of(stderr)
        self._nowait = self._out_fd is not None and RWF_NOWAIT is not None
        """Try writing from the event loop with RWF_NOWAIT first (off once the fd refuses it)."""
        self._inflight = 0
        """Items handed to the thread and not done yet.  Only the loop raises it, so a stale
        read can only be too high: the loop then queues, which keeps the order."""

    # -- producer side (event loop thread)
    def write(self, data: bytes) -> None:
        """Buffer ``data`` (complete lines); raises ``OutputClosed`` once stdout is gone."""
        self.write_parts((data,))

    def write_parts(self, parts: Sequence[bytes]) -> None:
        """Buffer ``parts``, which together are complete lines, without joining them."""
        if self.error is not None:
            raise OutputClosed("stdout was closed") from self.error
        self._parts.extend(parts)
        self._buffered += sum(map(len, parts))
        pending = self._buffered + self._queued
        if pending > self.max_pending:
            self.max_pending = pending
        if self._buffered >= self.flush_size:
            self._handoff()
            if self._queued > self.hard_limit:
                self._wait_below(self.high_water)
        elif not self._scheduled:
            loop = self._running_loop()
            if loop is None:
                return
            self._scheduled = True
            loop.call_soon(self._on_idle)

    def write_err(self, text: str) -> None:
        """A stderr line, kept in order with stdout when both go to the terminal."""
        if self.order_stderr and self._running_loop() is not None:
            self._handoff()
            self._put(_ERR, text, 0)
            return
        self._write_err_now(text)

    def _write_err_now(self, text: str) -> None:
        if self._err_fd is None:
            self.stderr.write(text)
            self.stderr.flush()
            return
        encoding = getattr(self.stderr, "encoding", None) or "utf-8"
        with contextlib.suppress(OSError):
            write_all(self._err_fd, [text.encode(encoding, "backslashreplace")])

    def _write_out_now(self, parts: Parts) -> None:
        self.writes += 1
        if self._out_fd is None:
            self.stdout.write(b"".join(parts))
            self.stdout.flush()
        else:
            write_all(self._out_fd, parts)

    def pending(self) -> int:
        """Bytes buffered or queued but not yet written."""
        return self._buffered + self._queued

    async def drain(self) -> None:
        """Wait while too much output is pending (a slow reader); raise ``OutputClosed`` if gone."""
        if self.error is not None:
            raise OutputClosed("stdout was closed") from self.error
        if self.pending() <= self.high_water:
            return
        self._handoff()
        await self._wait_room(self.low_water)
        if self.error is not None:
            raise OutputClosed("stdout was closed") from self.error

    def flush(self) -> None:
        """Write out everything now (blocking); raises ``OutputClosed`` if stdout is gone."""
        if self._thread is None and self._running_loop() is None:
            self._write_direct()
        else:
            self._handoff()
            self._wait_below(0)
        if self.error is not None:
            raise OutputClosed("stdout was closed") from self.error

    def _above(self, level: int) -> bool:
        """More than ``level`` bytes are queued; at level 0, also any item the thread has not
        finished (queued stderr lines count no bytes, and closing must wait for them too)."""
        return self._queued > level or (level == 0 and self._inflight > 0)

    def _wait_below(self, level: int) -> None:
        # Blocking the loop: flush(), or a producer that ignores drain() (the hard limit).
        with self._idle:
            while self._above(level) and self.error is None:
                self._idle.wait(0.05)

    async def _wait_room(self, level: int) -> None:
        """Wait (without blocking the loop) until ``_above(level)`` no longer holds."""
        while True:
            room = self._room_event()
            room.clear()
            with self._lock:
                if not self._above(level) or self.error is not None:
                    self._room_waiter = False
                    return
                self._room_waiter = True
            await room.wait()

    async def aclose(self) -> None:
        """Write out everything and stop the thread."""
        self._handoff()
        await self._wait_room(0)
        if self._thread is not None:
            self._put(_STOP, [], 0)
            self._thread = None
        if self._parts and self.error is None:
            self._write_direct()
        if self.error is not None:
            raise OutputClosed("stdout was closed") from self.error

    # -- internals
    def _running_loop(self) -> asyncio.AbstractEventLoop | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        self._loop = loop
        return loop

    def _room_event(self) -> asyncio.Event:
        if self._room is None:
            self._room = asyncio.Event()
        return self._room

    def _on_idle(self) -> None:
        self._scheduled = False
        self._handoff()

    def _take_parts(self) -> tuple[Parts, int]:
        parts, size = self._parts, self._buffered
        self._parts, self._buffered = [], 0
        return parts, size

    def _handoff(self) -> None:
        if not self._parts:
            return
        if self._running_loop() is None and self._thread is None:
            self._write_direct()
            return
        parts, size = self._take_parts()
        if self._nowait and self._inflight == 0:
            parts, size = self._write_from_loop(parts, size)
            if not parts:
                return
        self._put(_OUT, parts, size)

    def _write_from_loop(self, parts: Parts, size: int) -> tuple[Parts, int]:
        """Write what the pipe takes now, from the loop thread; return the rest for the thread."""
        assert self._out_fd is not None
        try:
            written = write_nowait(self._out_fd, parts)
        except BrokenPipeError as exc:
            self._fail(exc)
            return [], 0
        if written is None:
            self._nowait = False  # a terminal or a file: the thread writes from now on
            return parts, size
        if written:
            self.writes += 1
        return drop_written(parts, written), size - written

    def _put(self, kind: str, payload: Parts | str, size: int) -> None:
        with self._has_work:
            self._items.append((kind, payload, size))
            self._queued += size
            self._inflight += 1
            self._has_work.notify()
        if self._thread is None and kind != _STOP:
            self._thread = threading.Thread(target=self._run, name="pystern-stdout", daemon=True)
            self._thread.start()

    def _write_direct(self) -> None:
        if not self._parts:
            return
        parts, _ = self._take_parts()
        try:
            self._write_out_now(parts)
        except (BrokenPipeError, ValueError, OSError) as exc:
            self._fail(exc)

    def _take(self) -> tuple[str, Parts | str, int, int]:
        """Wait for work; return the next item (consecutive stdout items as one list of parts),
        its byte count and the number of items it stands for."""
        items = self._items
        with self._has_work:
            while not items:
                self._has_work.wait()
            kind, payload, size = items.popleft()
            if kind != _OUT:
                return kind, payload, size, 1
            assert isinstance(payload, list)
            if not items or items[0][0] != _OUT:
                return kind, payload, size, 1
            parts = list(payload)
            taken = 1
            while items and items[0][0] == _OUT and size < BATCH_LIMIT:
                _, more, more_size = items.popleft()
                assert isinstance(more, list)
                parts.extend(more)
                size += more_size
                taken += 1
        return kind, parts, size, taken

    def _run(self) -> None:
        while True:
            kind, payload, size, taken = self._take()
            if kind == _STOP:
                with self._lock:
                    self._inflight -= taken
                return
            try:
                if kind == _OUT:
                    assert isinstance(payload, list)
                    if self.error is None:
                        self._write_out_now(payload)
                else:
                    assert isinstance(payload, str)
                    self._write_err_now(payload)
            except Exception as exc:
                # Whatever stops a write is recorded, and the run ends with it: a thread that died
                # of, say, a MemoryError left everything after it queued and pystern waiting for ever.
                if kind == _OUT:
                    self._fail(exc)
            finally:
                with self._idle:
                    self._queued -= size
                    self._inflight -= taken
                    self._idle.notify_all()
                    wake = self._room_waiter
                    self._room_waiter = False
                if wake:
                    self._wake()

    def _wake(self) -> None:
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(self._signal_room)

    def _signal_room(self) -> None:
        # Waiters re-check their own condition (drain: low water; aclose: nothing queued).
        if self._room is not None:
            self._room.set()
