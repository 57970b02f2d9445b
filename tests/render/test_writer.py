"""The stdout writer: idle flush, bounded memory with a slow reader, broken pipes, no torn lines."""

from __future__ import annotations

import asyncio
import errno
import fcntl
import io
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from pystern.model import Notice, NoticeKind, Target
from pystern.options import ColorMode, Output, OutputFormat
from pystern.render import OutputClosed, build_sink, descriptors
from pystern.render import writer as writer_module
from pystern.render.descriptors import write_nowait
from pystern.render.writer import Writer
from tests.render.conftest import TS

NEVER = ColorMode.NEVER


class SlowOut(io.RawIOBase):
    """A stdout whose reader is slow: every write sleeps, and at most ``limit`` bytes go per call."""

    def __init__(self, delay: float = 0.002, limit: int = 2048) -> None:
        self.data = bytearray()
        self.delay = delay
        self.limit = limit
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        chunk = bytes(b)  # type: ignore[call-overload]
        self.calls += 1
        time.sleep(self.delay)
        self.data += chunk
        return len(chunk)


def _records(target: str, count: int, size: int = 100) -> list[bytes]:
    return [TS + b" " + (f"{target}-{i:06d}-".encode() + b"x" * size)[:size] for i in range(count)]


async def test_idle_flush_without_explicit_flush() -> None:
    out = io.BytesIO()
    sink = build_sink(Output(color=NEVER), stdout=out, stderr=io.StringIO(), stdout_isatty=True, env={})
    sink.emit(Target("n", "p", "c"), [TS + b" one line"])
    for _ in range(200):
        if out.getvalue():
            break
        await asyncio.sleep(0.005)
    assert out.getvalue() == b"p c one line\n"
    await sink.aclose()


async def test_slow_reader_bounds_memory_and_loses_nothing() -> None:
    slow = SlowOut()
    sink = build_sink(Output(), stdout=slow, stderr=io.StringIO(), stdout_isatty=False, env={})  # type: ignore[arg-type]
    sink.writer = Writer(slow, io.StringIO(), flush_size=4096, high_water=16384, low_water=4096)  # type: ignore[arg-type]
    target = Target("n", "p", "c")
    records = _records("p", 3000)
    for start in range(0, len(records), 50):
        sink.emit(target, records[start : start + 50])
        await sink.drain()
    await sink.aclose()
    expected = b"".join(b"p c " + r[31:] + b"\n" for r in records)
    assert bytes(slow.data) == expected
    batch = 50 * len(b"p c ") + 50 * 101
    assert sink.writer.max_pending <= 16384 + batch
    assert slow.calls > 10  # it really was written in pieces, while emitting


async def test_broken_pipe_raises_output_closed() -> None:
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    with os.fdopen(write_fd, "wb", buffering=0) as stdout:
        sink = build_sink(Output(), stdout=stdout, stderr=io.StringIO(), stdout_isatty=False, env={})
        target = Target("n", "p", "c")
        sink.emit(target, _records("p", 10))
        for _ in range(200):
            if sink.writer.error is not None:
                break
            await asyncio.sleep(0.005)
        with pytest.raises(OutputClosed):
            await sink.drain()
        with pytest.raises(OutputClosed):
            sink.emit(target, _records("p", 1))
        with pytest.raises(OutputClosed):
            await sink.aclose()
    assert issubclass(OutputClosed, BrokenPipeError)


async def test_wait_closed_sees_the_reader_leave_without_a_write() -> None:
    # This loop is asyncio's own (the subprocess tests run uvloop): both must report the hang-up.
    read_fd, write_fd = os.pipe()
    with os.fdopen(write_fd, "wb", buffering=0) as stdout:
        sink = build_sink(Output(), stdout=stdout, stderr=io.StringIO(), stdout_isatty=False, env={})
        watch = asyncio.create_task(sink.wait_closed())
        await asyncio.sleep(0.05)
        assert not watch.done()  # a reader that is there: nothing to report
        os.close(read_fd)
        with pytest.raises(OutputClosed):
            await asyncio.wait_for(watch, 5)


class FullDisk(io.RawIOBase):
    """A stdout on a full disk: every write fails with ENOSPC."""

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


async def test_wait_closed_reports_a_failed_write_at_once() -> None:
    sink = build_sink(Output(), stdout=FullDisk(), stderr=io.StringIO(), stdout_isatty=False, env={})
    watch = asyncio.create_task(sink.wait_closed())
    sink.emit(Target("n", "p", "c"), _records("p", 3))
    # No second write comes: the watch alone must report the first one's failure.
    with pytest.raises(OutputClosed) as raised:
        await asyncio.wait_for(watch, 5)
    assert isinstance(raised.value.__cause__, OSError)
    assert raised.value.__cause__.errno == errno.ENOSPC


class Exploding(io.RawIOBase):
    """A stdout whose writes fail with something other than an OSError (a bug, a MemoryError)."""

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        raise RuntimeError("boom")


async def test_an_unexpected_error_in_the_writer_thread_ends_the_run_instead_of_a_hang() -> None:
    sink = build_sink(Output(), stdout=Exploding(), stderr=io.StringIO(), stdout_isatty=False, env={})
    target = Target("n", "p", "c")
    watch = asyncio.create_task(sink.wait_closed())
    sink.emit(target, _records("p", 3))
    with pytest.raises(OutputClosed) as raised:
        await asyncio.wait_for(watch, 5)
    assert isinstance(raised.value.__cause__, RuntimeError)
    with pytest.raises(OutputClosed):
        sink.emit(target, _records("p", 1))


def test_broken_pipe_without_a_loop() -> None:
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    with os.fdopen(write_fd, "wb", buffering=0) as stdout:
        sink = build_sink(Output(), stdout=stdout, stderr=io.StringIO(), stdout_isatty=False, env={})
        sink.emit(Target("n", "p", "c"), _records("p", 3))
        with pytest.raises(OutputClosed):
            sink.flush()


async def test_lines_never_tear_across_targets() -> None:
    read_fd, write_fd = os.pipe()
    received = bytearray()

    def reader() -> None:
        with open(read_fd, "rb", buffering=0) as fh:
            while chunk := fh.read(777):
                received.extend(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    with os.fdopen(write_fd, "wb", buffering=0) as stdout:
        sink = build_sink(Output(), stdout=stdout, stderr=io.StringIO(), stdout_isatty=False, env={})
        sink.writer.flush_size = 8192
        targets = [Target("n", f"pod{i}", "c") for i in range(4)]
        expected: set[bytes] = set()

        async def feed(target: Target) -> None:
            records = _records(target.pod, 600, size=300)
            expected.update(f"{target.pod} c ".encode() + r[31:] for r in records)
            for start in range(0, len(records), 7):
                sink.emit(target, records[start : start + 7])
                await sink.drain()
                await asyncio.sleep(0)

        async with asyncio.TaskGroup() as tg:
            for target in targets:
                tg.create_task(feed(target))
        await sink.aclose()
    thread.join(5)
    lines = bytes(received).split(b"\n")
    assert lines.pop() == b""
    assert len(lines) == 2400
    assert set(lines) == expected


async def test_notices_keep_their_place_on_a_terminal() -> None:
    shared: list[str] = []

    class Out(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b: object) -> int:
            shared.append("out:" + bytes(b).decode())  # type: ignore[call-overload]
            return len(bytes(b))  # type: ignore[call-overload]

    class Err(io.StringIO):
        def write(self, s: str) -> int:
            shared.append("err:" + s)
            return len(s)

    sink = build_sink(Output(color=NEVER), stdout=Out(), stderr=Err(), stdout_isatty=True, env={})  # type: ignore[arg-type]
    target = Target("n", "p", "c")
    sink.emit(target, [TS + b" before"])
    sink.notice(Notice(NoticeKind.STOPPED, target=target))
    sink.emit(target, [TS + b" after"])
    await sink.aclose()
    assert shared == ["out:p c before\n", "err:- p › c\n", "out:p c after\n"]


async def test_write_blocks_at_the_hard_limit_when_nobody_drains() -> None:
    slow = SlowOut(delay=0.001)
    writer = Writer(slow, io.StringIO(), flush_size=1024, high_water=4096, low_water=1024)  # type: ignore[arg-type]
    writer.hard_limit = 8192
    for i in range(400):
        writer.write(b"%05d" % i + b"x" * 94 + b"\n")
    assert writer.max_pending <= 8192 + 1024 + 100
    await writer.aclose()
    assert len(slow.data) == 400 * 100


async def test_nonblocking_pipe_is_waited_for_not_treated_as_closed() -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    received = bytearray()

    def reader() -> None:
        time.sleep(0.2)  # let the pipe fill up first
        with os.fdopen(read_fd, "rb", buffering=0) as fh:
            while chunk := fh.read(65536):
                received.extend(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    with os.fdopen(write_fd, "wb", buffering=0) as stdout:
        sink = build_sink(
            Output(format=OutputFormat.RAW), stdout=stdout, stderr=io.StringIO(), stdout_isatty=False, env={}
        )
        records = _records("p", 3000, size=200)
        sink.emit(Target("n", "p", "c"), records)
        await sink.aclose()
    thread.join(5)
    assert bytes(received) == b"".join(r[31:] + b"\n" for r in records)


async def test_handoffs_queued_behind_a_slow_write_go_out_in_one_write() -> None:
    """While the thread is stuck in a write, later handoffs join into one write (issue 7 latency)."""
    release = threading.Event()
    entered = threading.Event()
    chunks: list[bytes] = []

    class Gate(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b: object) -> int:
            chunk = bytes(b)  # type: ignore[call-overload]
            chunks.append(chunk)
            entered.set()
            release.wait(5)
            return len(chunk)

    writer = Writer(Gate(), io.StringIO())  # type: ignore[arg-type]
    writer.write(b"first\n")
    await asyncio.sleep(0)  # the end-of-pass handoff
    assert await asyncio.to_thread(entered.wait, 5)
    for i in range(50):
        writer.write(b"line %d\n" % i)
        await asyncio.sleep(0)  # one handoff per pass of the loop
    release.set()
    await writer.aclose()
    assert b"".join(chunks) == b"first\n" + b"".join(b"line %d\n" % i for i in range(50))
    assert len(chunks) == 2
    assert writer.writes == 2


def _pipe_takes_nowait_writes() -> bool:
    read_fd, write_fd = os.pipe()
    try:
        return write_nowait(write_fd, [b"x"]) == 1
    finally:
        os.close(read_fd)
        os.close(write_fd)


def _small_pipe_with_reader() -> tuple[int, bytearray, threading.Thread]:
    """A pipe that holds 4 KiB, and a (not yet started) thread that reads it into a buffer."""
    read_fd, write_fd = os.pipe()
    fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, 4096)
    received = bytearray()

    def reader() -> None:
        with open(read_fd, "rb", buffering=0) as fh:
            while chunk := fh.read(65536):
                received.extend(chunk)

    return write_fd, received, threading.Thread(target=reader)


needs_nowait_pipes = pytest.mark.skipif(
    not _pipe_takes_nowait_writes(), reason="pwritev2(RWF_NOWAIT) on pipes needs Linux >= 5.8"
)


@needs_nowait_pipes
async def test_a_pipe_is_written_from_the_loop_without_the_thread() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb", buffering=0) as rd, os.fdopen(write_fd, "wb", buffering=0) as stdout:
        writer = Writer(stdout, io.StringIO())
        writer.write(b"one line\n")
        await asyncio.sleep(0)  # the end-of-pass handoff writes it
        assert rd.read(100) == b"one line\n"
        assert writer._thread is None
        assert writer.writes == 1
        await writer.aclose()


@needs_nowait_pipes
async def test_a_full_pipe_hands_the_rest_to_the_thread_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk larger than the pipe: the loop writes what fits, the thread the rest, and
    later chunks queue behind the thread even when the pipe has room again."""
    gate = threading.Event()
    real_write_all = writer_module.write_all

    def gated_write_all(fd: int, data: Sequence[bytes]) -> None:
        gate.wait(5)  # the thread is slow to get going
        real_write_all(fd, data)

    monkeypatch.setattr(writer_module, "write_all", gated_write_all)
    write_fd, received, thread = _small_pipe_with_reader()
    thread.start()
    big = b"".join(b"%05d " % i + b"x" * 94 + b"\n" for i in range(300))
    small = [b"small %03d\n" % i for i in range(20)]
    with os.fdopen(write_fd, "wb", buffering=0) as stdout:
        writer = Writer(stdout, io.StringIO())
        writer.write(big)
        await asyncio.sleep(0)  # handoff: 4 KiB go at once, the rest waits for the thread
        assert writer.pending() == len(big) - 4096
        for _ in range(500):
            if len(received) >= 4096:
                break  # the pipe is empty again
            await asyncio.sleep(0.002)
        for line in small:
            writer.write(line)
            await asyncio.sleep(0)
        gate.set()
        await writer.aclose()
    thread.join(5)
    assert bytes(received) == big + b"".join(small)


async def test_a_file_that_refuses_nowait_writes_is_written_by_the_thread(tmp_path: Path) -> None:
    lines = [b"line %04d\n" % i for i in range(2000)]
    with (tmp_path / "out").open("wb", buffering=0) as stdout:
        writer = Writer(stdout, io.StringIO(), flush_size=1024)
        for start in range(0, len(lines), 100):
            writer.write(b"".join(lines[start : start + 100]))
            await asyncio.sleep(0)
        await writer.aclose()
    assert (tmp_path / "out").read_bytes() == b"".join(lines)


@pytest.mark.parametrize("written", range(0, 7))
def test_drop_written_keeps_exactly_the_unwritten_bytes(written: int) -> None:
    parts = [b"abc", b"de", b"f"]
    rest = descriptors.drop_written(parts, written)
    assert b"".join(rest) == b"abcdef"[written:]
    assert all(rest)  # no empty parts left to write


def test_empty_parts_are_dropped_so_the_write_loop_ends() -> None:
    assert descriptors.drop_written([b"", b""], 0) == []
    assert descriptors.drop_written([b"", b"ab", b""], 1) == [b"b", b""]


async def test_more_parts_than_one_vectored_write_takes_arrive_in_order(tmp_path: Path) -> None:
    """Parts are written with writev, IOV_MAX at a time, never joined: order and bytes are kept."""
    parts = [b"part %05d\n" % i for i in range(3 * descriptors.IOV_MAX + 7)]
    with (tmp_path / "out").open("wb", buffering=0) as stdout:
        writer = Writer(stdout, io.StringIO(), flush_size=1 << 30)
        writer.write_parts(parts[:10])
        writer.write_parts(parts[10:])
        assert writer.pending() == sum(map(len, parts))
        await writer.aclose()
    assert (tmp_path / "out").read_bytes() == b"".join(parts)


async def test_a_pipe_that_takes_part_of_a_vectored_write_gets_the_rest_in_order() -> None:
    """A partial pwritev2 ends inside a part: the thread writes that part's tail, then the others."""
    write_fd, received, thread = _small_pipe_with_reader()
    parts = [b"head ", b"x" * 3000 + b"\n", b"y" * 3000 + b"\n", b"tail\n"]
    with os.fdopen(write_fd, "wb", buffering=0) as stdout:
        writer = Writer(stdout, io.StringIO())
        writer.write_parts(parts)
        await asyncio.sleep(0)
        thread.start()
        await writer.aclose()
    thread.join(5)
    assert bytes(received) == b"".join(parts)


async def test_aclose_waits_for_a_queued_stderr_line() -> None:
    """A stderr line kept in order with stdout is queued for the writer thread; closing must wait
    until it is written too, or the last ``- pod › container`` line of a run can be lost at exit."""
    written: list[str] = []

    class SlowErr(io.StringIO):
        def write(self, s: str) -> int:
            time.sleep(0.2)  # the thread is still writing this when the loop closes the writer
            written.append(s)
            return len(s)

    writer = Writer(io.BytesIO(), SlowErr(), order_stderr=True)
    writer.write(b"a line\n")
    writer.write_err("- p \u203a c\n")
    await writer.aclose()
    assert written == ["- p \u203a c\n"]
