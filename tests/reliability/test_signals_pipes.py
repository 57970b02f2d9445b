"""Signals, closed pipes and slow consumers: the real ``pystern`` process against the sandbox.

tests/cli/test_process.py checks the signal plumbing with a sleeping coroutine; here the whole
program runs with live log streams open and lines flowing.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import mmap
import os
import signal
import struct
import termios
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import PYSTERN, clean_env, pystern, rss_kib

ARGS = ["--color", "never", "--only-log-lines", "-o", "raw", "--namespace", "default"]


async def flood(cluster: Any, pods: list[str], per_tick: int, stop: asyncio.Event, prefix: str = "") -> int:
    """Write ``per_tick`` lines per pod every 10 ms until ``stop``; returns the count written."""
    n = 0
    while not stop.is_set():
        for pod in pods:
            cluster.write(
                pod, "app", *(f"{prefix}{pod} line {n + i:08d} " + "x" * 120 for i in range(per_tick))
            )
        n += per_tick
        await asyncio.sleep(0.01)
    return n * len(pods)


async def _pipe_full(read_end: int, within: float = 10.0) -> None:
    """Wait until the pipe is full and stays so while lines flow: its writer is blocked on it.

    Full means within a page of its capacity (a write that does not fit in the last page's
    room takes a page of its own), unchanged for 0.1 s.
    """
    capacity = fcntl.fcntl(read_end, fcntl.F_GETPIPE_SZ)
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    last, steady = -1, 0
    while steady < 5:
        assert loop.time() < end, f"the pipe never filled: {_unread(read_end)} of {capacity} bytes"
        await asyncio.sleep(0.02)
        now = _unread(read_end)
        steady = steady + 1 if now == last and now > capacity - mmap.PAGESIZE else 0
        last = now


def _unread(fd: int) -> int:
    """Bytes waiting in a pipe."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
async def test_signal_while_lines_flow(sandbox: Any, tmp_path: Path, signum: int, code: int) -> None:
    sb = sandbox.cluster
    for pod in ("a", "b", "c"):
        sb.add_pod(pod, containers=("app",))
    env = clean_env(tmp_path)
    stop = asyncio.Event()
    async with pystern([".", "--kubeconfig", str(sandbox.kubeconfig_path), *ARGS], env) as p:
        writer = asyncio.create_task(flood(sb, ["a", "b", "c"], 20, stop))
        await p.until(lambda: len(p.lines()) > 2000, what="lines flowing")
        rc = await p.finish(signum)
        stop.set()
        await writer
    assert rc == code, bytes(p.err)
    assert b"Traceback" not in p.err
    assert bytes(p.err) == b"", bytes(p.err)
    assert bytes(p.out).endswith(b"\n"), bytes(p.out)[-200:]
    lines = p.lines()
    assert all(line.endswith(b"x" * 120) for line in lines), "a torn line on stdout"
    assert max(Counter(lines).values()) == 1


async def _head(sandbox: Any, tmp_path: Path, extra: list[str]) -> tuple[str, int, bytes]:
    err_path = tmp_path / "stderr"
    rc_path = tmp_path / "rc"
    command = (
        f"{PYSTERN} . --kubeconfig {sandbox.kubeconfig_path} {' '.join(ARGS + extra)} "
        f"2>{err_path} | head -1; "
        f"echo ${{PIPESTATUS[0]}} > {rc_path}"
    )
    proc = await asyncio.create_subprocess_exec(
        "bash", "-c", command, stdout=asyncio.subprocess.PIPE, env=clean_env(tmp_path)
    )
    async with asyncio.timeout(15):
        out, _ = await proc.communicate()
    return out.decode(), int(rc_path.read_text()), err_path.read_bytes()


async def test_head_in_follow_mode_is_quiet(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox.cluster
    sb.add_pod("a", containers=("app",))
    stop = asyncio.Event()
    writer = asyncio.create_task(flood(sb, ["a"], 5, stop))
    try:
        out, rc, err = await _head(sandbox, tmp_path, [])
    finally:
        stop.set()
        await writer
    assert out.startswith("a line 0000"), out
    assert out.count("\n") == 1
    assert err == b"", err
    # 0 is what pystern documents for a closed stdout; 141 (SIGPIPE) is the shell convention.
    assert rc in (0, 141), rc


@pytest.mark.parametrize("later_lines", [0, 1], ids=["silent", "one-more-line"])
async def test_reader_gone_while_the_pods_are_quiet(sandbox: Any, tmp_path: Path, later_lines: int) -> None:
    # `pystern deploy/x | grep -m1 READY`: once grep has its line it exits, and the pod may
    # print nothing for hours.  pystern must end then, not at the second line after it.
    sb = sandbox.cluster
    sb.add_pod("a", containers=("app",))
    sb.write("a", "app", "starting", "READY")
    script = f"{PYSTERN} . --kubeconfig {sandbox.kubeconfig_path} {' '.join(ARGS)} | grep -m1 READY"
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(tmp_path),
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        assert await asyncio.wait_for(proc.stdout.readline(), 15) == b"READY\n"
        for n in range(later_lines):
            sb.write("a", "app", f"later {n}")
        async with asyncio.timeout(5):
            _, err = await proc.communicate()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert err == b"", err


async def test_stdin_mode_ends_when_the_reader_leaves(tmp_path: Path) -> None:
    # `tail -f app.log | pystern --stdin | grep -m1 READY`: stdin stays open and quiet.
    read_fd, write_fd = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        PYSTERN,
        "--stdin",
        "-o",
        "raw",
        stdin=asyncio.subprocess.PIPE,
        stdout=write_fd,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(tmp_path),
    )
    os.close(write_fd)
    try:
        assert proc.stdin is not None
        proc.stdin.write(b"READY\n")
        await proc.stdin.drain()
        assert await asyncio.wait_for(asyncio.to_thread(os.read, read_fd, 100), 10) == b"READY\n"
        os.close(read_fd)
        async with asyncio.timeout(5):
            rc = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.stderr is not None
    assert (rc, await proc.stderr.read()) == (0, b"")


async def test_head_in_no_follow_mode_is_quiet(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox.cluster
    sb.add_pod("a", containers=("app",))
    sb.write("a", "app", *(f"history {i} " + "y" * 200 for i in range(50_000)))
    out, rc, err = await _head(sandbox, tmp_path, ["--no-follow"])
    assert out.startswith("history 0 "), out
    assert err == b"", err
    assert rc in (0, 141), rc


async def test_slow_consumer_bounded_memory_and_nothing_lost(sandbox: Any, tmp_path: Path) -> None:
    """Nobody reads stdout for a while as 23 MB are written: RSS stays flat, then every line arrives once."""
    sb = sandbox.cluster
    pods = ["p0", "p1", "p2", "p3"]
    for pod in pods:
        sb.add_pod(pod, containers=("app",))
    read_fd, write_fd = os.pipe()
    env = clean_env(tmp_path)
    got = bytearray()
    async with pystern(
        [".", "--kubeconfig", str(sandbox.kubeconfig_path), *ARGS], env, read_stdout=False, stdout=write_fd
    ) as p:
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        loop = asyncio.get_running_loop()
        # Warm-up: a first batch, read completely, so the streams are open and the code paths loaded.
        for pod in pods:
            sb.write(pod, "app", *(f"{pod} warm {i:06d} " + "w" * 120 for i in range(2000)))
        while got.count(b"\n") < 8000:
            await _read_some(read_fd, got, loop)
        baseline = rss_kib(p.proc.pid)
        # Stall: write ~23 MB while nobody reads.
        peak = baseline
        total = 0
        for round_ in range(30):
            for pod in pods:
                sb.write(pod, "app", *(f"{pod} r{round_:02d} {i:06d} " + "s" * 140 for i in range(1250)))
            total += 1250 * len(pods)
            await asyncio.sleep(0.05)
            peak = max(peak, rss_kib(p.proc.pid))
        for _ in range(20):
            await asyncio.sleep(0.1)
            peak = max(peak, rss_kib(p.proc.pid))
        assert p.proc.returncode is None, bytes(p.err)
        # Drain: every line arrives exactly once.
        async with asyncio.timeout(30):
            while got.count(b"\n") < 8000 + total:
                await _read_some(read_fd, got, loop)
        await asyncio.sleep(0.3)
        try:
            while chunk := os.read(read_fd, 1 << 20):
                got.extend(chunk)
        except BlockingIOError:
            pass
        os.close(read_fd)
        await p.finish(signal.SIGINT)
    lines = bytes(got).split(b"\n")[:-1]
    counts = Counter(lines)
    assert len(lines) == 8000 + total, (len(lines), 8000 + total)
    assert max(counts.values()) == 1
    growth_mib = (peak - baseline) / 1024
    # ~23 MB went through; the bound is the writer's queue plus socket buffers, not the backlog.
    assert growth_mib < 20, f"RSS grew by {growth_mib:.1f} MiB while stdout was blocked"
    assert b"Traceback" not in p.err


async def _read_some(fd: int, into: bytearray, loop: asyncio.AbstractEventLoop) -> None:
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        async with asyncio.timeout(10):
            await ready
    finally:
        loop.remove_reader(fd)
    try:
        while chunk := os.read(fd, 1 << 20):
            into.extend(chunk)
    except BlockingIOError:
        pass


async def test_sigterm_with_a_reader_that_stopped_reading_still_exits(sandbox: Any, tmp_path: Path) -> None:
    """``pystern ... | less`` left paused: the pipe is full and never read, yet SIGTERM ends pystern."""
    sb = sandbox.cluster
    sb.add_pod("a", containers=("app",))
    read_end, write_end = os.pipe()
    stop = asyncio.Event()
    writer = asyncio.create_task(flood(sb, ["a"], 50, stop))
    try:
        proc = await asyncio.create_subprocess_exec(
            PYSTERN,
            ".",
            "--kubeconfig",
            str(sandbox.kubeconfig_path),
            *ARGS,
            stdout=write_end,
            stderr=asyncio.subprocess.PIPE,
            env=clean_env(tmp_path),
        )
        os.close(write_end)
        write_end = -1
        await _pipe_full(read_end)  # pystern now waits on it
        assert proc.returncode is None
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = await asyncio.wait_for(proc.communicate(), timeout=10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise AssertionError("pystern did not exit after SIGTERM while its stdout was stuck") from None
    finally:
        stop.set()
        await writer
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    assert proc.returncode == 143, err
    assert b"Traceback" not in err
