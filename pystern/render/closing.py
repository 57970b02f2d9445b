"""Telling that stdout is gone: ``OutputClosed`` and the part of the ``Writer`` that waits for it.

stdout goes away in two ways: a write fails (``EPIPE`` after ``| head -1``, a full disk),
from the event loop or from the writer thread; or the reader of a pipe leaves while nothing
is being written.  ``ClosedWatch`` records the first as ``error`` and wakes the loop, and
watches a stdout pipe for the second, so that ``wait_closed()`` ends the run either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno

from pystern.render.descriptors import watch_pipe_reader


class OutputClosed(BrokenPipeError):
    """stdout was closed by its reader (``| head -1``): stop quietly.

    A ``BrokenPipeError`` rather than a ``PysternError`` on purpose: the tail loop retries
    ``PysternError``s, and a closed stdout must end the run, not be retried.
    """


class ClosedWatch:
    """The ``Writer``'s failure state and ``wait_closed()`` (a base class: the writer's hot
    checks of ``error`` stay plain attribute reads).  The ``Writer`` sets the attributes below."""

    error: BaseException | None
    """The failed write or the reader leaving, once known; None while stdout works."""
    _loop: asyncio.AbstractEventLoop | None
    _failed: asyncio.Event | None
    """Set (on the loop) once ``error`` is: what ``wait_closed()`` waits for."""
    _out_fd: int | None

    async def wait_closed(self) -> None:
        """Return never while stdout works; raise ``OutputClosed`` once it has failed or its reader left.

        A failed write is only raised by the next ``write``, and a reader that left is only
        seen by a write: ``pystern . | grep -m1 READY`` would go on until two more lines came,
        and a quiet pod may print none for hours.  The CLI runs this beside the engine.  For a
        pipe the fd is also watched for its reader going away (the write end of a pipe polls as
        an error then), so the run ends without waiting for a line at all, as ``tail -f`` does.
        """
        loop = asyncio.get_running_loop()
        self._loop = loop
        failed = self._failed_event()
        watched = self._out_fd is not None and watch_pipe_reader(loop, self._out_fd, self._reader_left)
        try:
            if self.error is None:
                await failed.wait()
        finally:
            if watched and self._out_fd is not None:
                loop.remove_reader(self._out_fd)
        raise OutputClosed("stdout was closed") from self.error

    def _failed_event(self) -> asyncio.Event:
        if self._failed is None:
            self._failed = asyncio.Event()
        return self._failed

    def _fail(self, exc: BaseException) -> None:
        """Record a failed write and wake ``wait_closed()`` (from the loop or the writer thread)."""
        self.error = exc
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(self._signal_failed)

    def _signal_failed(self) -> None:
        self._failed_event().set()

    def _reader_left(self) -> None:
        """The reader of the stdout pipe went away (``watch_pipe_reader``): stop as a failed write would."""
        if self.error is None:
            self.error = BrokenPipeError(errno.EPIPE, "the reader of stdout closed the pipe")
        self._signal_failed()
