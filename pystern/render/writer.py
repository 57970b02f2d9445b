"""The one writer that owns stdout: a buffer, idle-time flushes, backpressure, broken pipes.

Rendered bytes collect in a buffer.  When the event loop goes idle (one ``call_soon`` per
burst) or the buffer passes 64 KiB, the buffer is handed to a daemon thread that does the
blocking ``write`` + ``flush``: a terminal sees lines at once, a pipe gets large writes,
and a slow reader blocks that thread, not the event loop.  ``drain()`` waits while more
than ``high_water`` bytes are pending, so a slow consumer slows the log streams instead of
growing memory.  A daemon thread (not the default executor) so that a reader that never
reads again cannot keep the process alive after Ctrl-C.

Whole chunks of complete lines are written, so lines never tear or interleave mid-line.
When stdout is a terminal, stderr notices go through the same thread to keep their order
with the log lines around them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import select
import threading
from typing import BinaryIO, TextIO

FLUSH_SIZE = 64 * 1024
HIGH_WATER = 1024 * 1024
LOW_WATER = 256 * 1024
HARD_LIMIT = 8 * HIGH_WATER
"""Pending bytes at which ``write`` itself blocks: the bound for callers that never ``drain()``."""


def _fileno(stream: object) -> int | None:
    """The stream's fd after flushing its Python buffer, or None (BytesIO, StringIO).

    The thread writes with ``os.write``: a daemon thread blocked inside a ``BufferedWriter``
    holds its lock, and the interpreter aborts when it flushes that stream at exit.
    """
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
        stream.flush()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None
    return fd if isinstance(fd, int) and fd >= 0 else None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            # Someone left O_NONBLOCK on a shared terminal or pipe: wait until it takes more.
            select.select([], [fd], [], 1.0)
            continue
        view = view[written:]


class OutputClosed(BrokenPipeError):
    """stdout was closed by its reader (``| head -1``): stop quietly.

    A ``BrokenPipeError`` rather than a ``PysternError`` on purpose: the tail loop retries
    ``PysternError``s, and a closed stdout must end the run, not be retried.
    """


_STOP = object()


class Writer:
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
        self._buf = bytearray()
        self._queued = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False
        self._room: asyncio.Event | None = None
        self.error: BaseException | None = None
        self.max_pending = 0
        """Largest number of bytes ever pending (for tests of the memory bound)."""
        self._out_fd = _fileno(stdout)
        self._err_fd = _fileno(stderr)

    # -- producer side (event loop thread)
    def write(self, data: bytes) -> None:
        """Buffer ``data`` (complete lines); raises ``OutputClosed`` once stdout is gone."""
        if self.error is not None:
            raise OutputClosed("stdout was closed") from self.error
        self._buf += data
        pending = len(self._buf) + self._queued
        if pending > self.max_pending:
            self.max_pending = pending
        if len(self._buf) >= self.flush_size:
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
            self._put(("err", text), 0)
            return
        self._write_err_now(text)

    def _write_err_now(self, text: str) -> None:
        if self._err_fd is None:
            self.stderr.write(text)
            self.stderr.flush()
            return
        encoding = getattr(self.stderr, "encoding", None) or "utf-8"
        with contextlib.suppress(OSError):
            _write_all(self._err_fd, text.encode(encoding, "backslashreplace"))

    def _write_out_now(self, chunk: bytes) -> None:
        if self._out_fd is None:
            self.stdout.write(chunk)
            self.stdout.flush()
        else:
            _write_all(self._out_fd, chunk)

    def pending(self) -> int:
        """Bytes buffered or queued but not yet written."""
        return len(self._buf) + self._queued

    async def drain(self) -> None:
        """Wait while too much output is pending (a slow reader); raise ``OutputClosed`` if gone."""
        if self.error is not None:
            raise OutputClosed("stdout was closed") from self.error
        if self.pending() <= self.high_water:
            return
        self._handoff()
        while self.pending() > self.low_water and self.error is None:
            room = self._room_event()
            room.clear()
            await room.wait()
        if self.error is not None:
            raise OutputClosed("stdout was closed") from self.error

    def flush(self) -> None:
        """Write out everything now (blocking); raises ``OutputClosed`` if stdout is gone."""
        if self._thread is None and self._running_loop() is None:
            self._write_direct()
        else:
            self._handoff()
            with self._idle:
                while self._queued > 0 and self.error is None:
                    self._idle.wait(0.05)
        if self.error is not None:
            raise OutputClosed("stdout was closed") from self.error

    def _wait_below(self, level: int) -> None:
        # Last resort, blocking the loop: only reached when the producer ignores drain().
        with self._idle:
            while self._queued > level and self.error is None:
                self._idle.wait(0.05)

    async def aclose(self) -> None:
        """Write out everything and stop the thread."""
        self._handoff()
        while self._queued > 0 and self.error is None:
            room = self._room_event()
            room.clear()
            if self._queued > 0:
                await room.wait()
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread = None
        if self._buf and self.error is None:
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

    def _handoff(self) -> None:
        if not self._buf:
            return
        if self._running_loop() is None and self._thread is None:
            self._write_direct()
            return
        chunk = bytes(self._buf)
        self._buf.clear()
        self._put(("out", chunk), len(chunk))

    def _put(self, item: tuple[str, object], size: int) -> None:
        with self._lock:
            self._queued += size
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pystern-stdout", daemon=True)
            self._thread.start()
        self._queue.put(item)

    def _write_direct(self) -> None:
        if not self._buf:
            return
        chunk = bytes(self._buf)
        self._buf.clear()
        try:
            self._write_out_now(chunk)
        except (BrokenPipeError, ValueError, OSError) as exc:
            self.error = exc

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, tuple)
            kind, payload = item
            size = 0
            try:
                if kind == "out":
                    assert isinstance(payload, bytes)
                    size = len(payload)
                    if self.error is None:
                        self._write_out_now(payload)
                else:
                    assert isinstance(payload, str)
                    self._write_err_now(payload)
            except (BrokenPipeError, ValueError, OSError) as exc:
                if kind == "out":
                    self.error = exc
            finally:
                with self._idle:
                    self._queued -= size
                    self._idle.notify_all()
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
