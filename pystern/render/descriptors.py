"""What the stdout ``Writer`` does to file descriptors: vectored writes and pipe checks.

``write_all`` writes parts with ``writev``, ``IOV_MAX`` at a time, never joining them;
``write_nowait`` writes what a pipe takes at once with ``pwritev2(RWF_NOWAIT)``, which
never blocks; ``drop_written`` is what is left after a partial write.  ``same_file`` tells
whether stdout and stderr end up in one place (``2>&1``), and ``watch_pipe_reader`` sees the
reader of a stdout pipe go away without a write.  No state: the ``Writer`` owns the fds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import stat
from collections.abc import Callable, Sequence


def fileno_of(stream: object) -> int | None:
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


def same_file(a: object, b: object) -> bool:
    """Whether two streams write to the same file, pipe or terminal (``2>&1``)."""
    fds = [fileno_of(a), fileno_of(b)]
    if None in fds:
        return False
    try:
        first, second = (os.fstat(fd) for fd in fds if fd is not None)
    except (OSError, ValueError):
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


RWF_NOWAIT: int | None = getattr(os, "RWF_NOWAIT", None)
_pwritev = getattr(os, "pwritev", None)
_writev = getattr(os, "writev", None)
try:
    IOV_MAX = min(os.sysconf("SC_IOV_MAX"), 1024)
except (AttributeError, ValueError, OSError):
    IOV_MAX = 16  # POSIX's minimum
if IOV_MAX <= 0:
    IOV_MAX = 16

Parts = list[bytes]
"""Chunks of complete lines, in order, written as one vectored write."""


def drop_written(parts: Sequence[bytes], written: int) -> Parts:
    """What is left of ``parts`` after a write that took its first ``written`` bytes.

    Leading empty parts go too, so a batch of nothing but empty parts ends the write loop.
    """
    for i, part in enumerate(parts):
        if written < len(part):
            rest = [part[written:]] if written else [part]
            rest.extend(parts[i + 1 :])
            return rest
        written -= len(part)
    return []


def write_nowait(fd: int, parts: Sequence[bytes]) -> int | None:
    """Write what ``fd`` takes at once without blocking: bytes written, or None if unsupported.

    ``pwritev2(RWF_NOWAIT)`` (Linux >= 5.8 for pipes) does not block even though the fd is
    in blocking mode, so the event loop can write to a pipe itself, without the thread and
    the GIL handoffs it costs, and without setting ``O_NONBLOCK`` on a file description
    that other processes share.  Terminals and most files answer ``EOPNOTSUPP``.
    """
    if RWF_NOWAIT is None or _pwritev is None:
        return None
    try:
        written: int = _pwritev(fd, parts[:IOV_MAX], -1, RWF_NOWAIT)
    except BlockingIOError:
        return 0
    except BrokenPipeError:
        raise
    except OSError:
        return None
    return written


def write_all(fd: int, parts: Sequence[bytes]) -> None:
    """Write every part, in order, with as few system calls as ``IOV_MAX`` allows."""
    rest: Sequence[bytes] = parts
    while rest:
        batch = rest[:IOV_MAX]
        try:
            written = _writev(fd, batch) if _writev is not None else os.write(fd, batch[0])
        except BlockingIOError:
            # Someone left O_NONBLOCK on a shared terminal or pipe: wait until it takes more.
            select.select([], [fd], [], 1.0)
            continue
        rest = drop_written(rest, written)


def watch_pipe_reader(loop: asyncio.AbstractEventLoop, fd: int, on_gone: Callable[[], None]) -> bool:
    """Watch a pipe on ``fd`` for its reader closing (then call ``on_gone``); False where that cannot be seen.

    The write end of a pipe polls as an error once its reader has gone.
    """
    if not hasattr(select, "poll"):
        return False
    try:
        import fcntl  # POSIX only, like poll()

        # Only a write-only pipe: a read-write one would poll readable with our own output.
        write_only = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY
        if not (write_only and stat.S_ISFIFO(os.fstat(fd).st_mode)):
            return False
        loop.add_reader(fd, _on_pipe_event, fd, on_gone)
    except (ImportError, OSError, ValueError, NotImplementedError, RuntimeError):
        return False
    return True


def _on_pipe_event(fd: int, on_gone: Callable[[], None]) -> None:
    poller = select.poll()
    poller.register(fd, 0)  # no events asked: only POLLERR / POLLHUP can come back
    if not poller.poll(0):
        return
    with contextlib.suppress(ValueError, OSError):
        asyncio.get_running_loop().remove_reader(fd)
    on_gone()
