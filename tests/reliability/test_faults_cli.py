"""Faults through the whole program: the real ``pystern`` process in follow mode against the sandbox.

tests/engine and tests/kube check each fault on its own layer with fast retry policies; here the
shipped defaults run end to end, faults pile up in one run, and stdout must hold every line
written exactly once.  (A stalled half-open stream is detected after the default 60 s watchdog,
so it is exercised by ``bench/soak.py`` and by tests/engine with a short policy, not here.)
"""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from pystern.sandbox import Sandbox
from tests.reliability.conftest import Proc, clean_env, pystern, rss_kib

ERROR_TEXT = b"failed to try resolving symlinks in path: no such file"
PODS = "/api/v1/namespaces/default/pods"
ARGS = ["--color", "never", "--only-log-lines", "-o", "raw"]


class Lines:
    """Writes uniquely numbered lines and remembers them."""

    def __init__(self, cluster: Any) -> None:
        self.c = cluster
        self.seq = itertools.count()
        self.written: list[bytes] = []

    def write(self, pod: str, count: int = 3, container: str = "app") -> None:
        lines = [f"{pod}/{container} n={next(self.seq):05d}".encode() for _ in range(count)]
        self.c.write(pod, container, *lines)
        self.written.extend(lines)

    async def all_printed(self, p: Proc, within: float = 15.0) -> None:
        want = Counter(self.written)
        await p.until(lambda: Counter(p.lines()) >= want, within=within, what="every written line")


def exactly_once(p: Proc, expected: list[bytes], extra: list[bytes] = ()) -> None:  # type: ignore[assignment]
    got = Counter(p.lines())
    want = Counter(expected) + Counter(extra)
    missing = want - got
    repeated = {line: n for line, n in got.items() if n > 1}
    unexpected = got - want
    assert not missing, f"lost: {sorted(missing)[:10]}"
    assert not repeated, f"repeated: {sorted(repeated.items())[:10]}"
    assert not unexpected, f"unexpected: {sorted(unexpected)[:10]}"


async def _start(sandbox: Sandbox, tmp_path: Path, pods: list[str]) -> tuple[Lines, list[str]]:
    for pod in pods:
        sandbox.cluster.add_pod(pod, containers=("app",))
    return Lines(sandbox.cluster), [".", "--kubeconfig", str(sandbox.kubeconfig_path), *ARGS]


async def test_streams_and_watches_broken_in_every_way(sandbox: Sandbox, tmp_path: Path) -> None:
    sb = sandbox.cluster
    lines, args = await _start(sandbox, tmp_path, ["a", "b"])
    async with pystern(args, clean_env(tmp_path)) as p:
        lines.write("a")
        lines.write("b")
        await lines.all_printed(p)
        # Reset mid-line, with unsent lines pending.
        lines.write("a")
        sb.break_log_streams("reset", mid_line=True)
        lines.write("b")
        await lines.all_printed(p)
        # Clean EOF while the containers run.
        sb.break_log_streams("eof")
        lines.write("a")
        lines.write("b")
        await lines.all_printed(p)
        # 503 then 429 with Retry-After when reopening the streams.
        sb.fail_requests(503, times=2, path_contains="/log")
        sb.fail_requests(429, times=1, path_contains="/log", retry_after=1)
        sb.break_log_streams("reset", mid_line=False)
        lines.write("a")
        lines.write("b")
        await lines.all_printed(p)
        # The watch: closed, then 5xx and 429 when re-opened, then expired (410), then junk on it.
        sb.fail_requests(500, times=1, path_contains=PODS + "?")
        sb.fail_requests(429, times=1, path_contains=PODS + "?", retry_after=1)
        sb.break_watches("close")
        await asyncio.sleep(0.3)
        sb.add_pod("c", containers=("app",))
        lines.write("c")
        await lines.all_printed(p)
        sb.expire_watches()
        sb.send_watch_raw(b"{this is not json\n")
        sb.send_watch_raw(b'{"type": "ADDED", "object": {"kind": "Pod"}}\n')
        sb.send_watch_raw(b"\n\n")
        sb.break_watches("reset")
        await asyncio.sleep(0.3)
        sb.add_pod("d", containers=("app",))
        lines.write("d")
        lines.write("a")
        await lines.all_printed(p)
        # Non-UTF-8 bytes are passed through as written.
        sb.write("a", "app", b"latin-1 \xe9\xff\xfe end")
        await p.until(lambda: b"latin-1 \xe9\xff\xfe end" in p.lines(), what="binary line")
        assert not sb.injected, "an injected error was never requested: the fault did not happen"
        assert p.proc.returncode is None
        await p.finish(signal.SIGINT)
    exactly_once(p, lines.written, [b"latin-1 \xe9\xff\xfe end"])
    assert b"Traceback" not in p.err
    # Each fault gives at most a notice or two on stderr, not a flood.
    assert bytes(p.err).count(b"\n") <= 20, bytes(p.err)


async def test_api_server_restart_mid_run(sandbox: Sandbox, tmp_path: Path) -> None:
    sb = sandbox.cluster
    lines, args = await _start(sandbox, tmp_path, ["a", "b"])
    async with pystern(args, clean_env(tmp_path)) as p:
        lines.write("a")
        lines.write("b")
        await lines.all_printed(p)
        down = asyncio.create_task(sandbox.restart(down_for=2.0))
        await asyncio.sleep(0.2)
        lines.write("a")  # written while the server refuses connections
        sb.add_pod("c", containers=("app",))
        lines.write("c")
        await down
        lines.write("b")
        await lines.all_printed(p, within=20)
        await p.finish(signal.SIGINT)
    exactly_once(p, lines.written)
    assert b"Traceback" not in p.err


async def test_pods_that_are_not_ready_yet(sandbox: Sandbox, tmp_path: Path) -> None:
    """A pod not scheduled yet (no log), then scheduled; runtime error text inside a 200 body."""
    sb = sandbox.cluster
    lines, args = await _start(sandbox, tmp_path, ["a"])
    async with pystern(args, clean_env(tmp_path)) as p:
        lines.write("a")
        await lines.all_printed(p)
        sb.add_pod("late", containers=("app",), node="")
        await asyncio.sleep(0.5)
        sb.schedule("late")
        lines.write("late")
        await lines.all_printed(p)
        # The runtime's error text in a 200 body: one line, then the container restarts.
        sb.write_error_text("a", "app", ERROR_TEXT)
        await p.until(lambda: any(ERROR_TEXT in line for line in p.lines()), what="the error text")
        # A reconnect sees the same text; it must not be printed again.
        asked = sb.requests_seen[f"{PODS}/a/log"]
        await p.until(lambda: sb.requests_seen[f"{PODS}/a/log"] > asked, what="a reconnect")
        await asyncio.sleep(0.3)  # what it got is on stdout by now
        sb.restart_container("a", "app")
        lines.write("a")
        await lines.all_printed(p)
        await p.finish(signal.SIGINT)
    # The text has no timestamp; it is shown once, marked as such (stern's "[missing timestamp]").
    shown = [line for line in p.lines() if ERROR_TEXT in line]
    assert len(shown) == 1, shown
    exactly_once(p, lines.written, shown)
    assert b"Traceback" not in p.err


async def test_kubelet_404_while_the_pod_starts(sandbox: Sandbox, tmp_path: Path) -> None:
    sb = sandbox.cluster
    lines, args = await _start(sandbox, tmp_path, ["a"])
    async with pystern(args, clean_env(tmp_path)) as p:
        lines.write("a")
        await lines.all_printed(p)
        sb.kubelet_not_found("starting", times=2)
        sb.add_pod("starting", containers=("app",))
        lines.write("starting")
        await lines.all_printed(p, within=3)
        await p.finish(signal.SIGINT)
    exactly_once(p, lines.written)


async def test_empty_bodies(sandbox: Sandbox, tmp_path: Path) -> None:
    """``200 OK`` with ``Content-Length: 0`` for log requests, watches and a relist.

    Each empty log answer costs the shipped eof grace and backoff (about 1.5 s), so this takes
    few of them; tests/engine/test_live_empty_body.py repeats them with a fast policy.
    """
    sb = sandbox.cluster
    lines, args = await _start(sandbox, tmp_path, ["a"])
    async with pystern(args, clean_env(tmp_path)) as p:
        lines.write("a")
        await lines.all_printed(p)
        # A stream ends cleanly and its reconnect gets an empty body while the container writes.
        sb.empty_responses(times=1, path_contains="/log")
        sb.break_log_streams("eof")
        lines.write("a")
        await p.until(lambda: not sb.injected, what="the empty log answer")
        lines.write("a")
        await lines.all_printed(p)
        # Re-watches that end before their first event; a new pod must still be found.
        sb.empty_responses(times=2, path_contains="watch=")
        sb.break_watches("close")
        await p.until(lambda: not sb.injected, what="the empty watch answers")
        sb.add_pod("b", containers=("app",))
        lines.write("b")
        await lines.all_printed(p)
        # The watch expires and the relist has no JSON at all.
        sb.empty_responses(times=1, path_contains="/pods?")
        sb.expire_watches()
        await p.until(lambda: not sb.injected, what="the empty list answer")
        sb.add_pod("c", containers=("app",))
        lines.write("c")
        lines.write("a")
        await lines.all_printed(p)
        assert p.proc.returncode is None
        await p.finish(signal.SIGINT)
    exactly_once(p, lines.written)
    assert b"Traceback" not in p.err
    assert bytes(p.err).count(b"\n") <= 3, bytes(p.err)  # one notice per fault at most


async def test_stalled_stream_of_a_pod_being_deleted(sandbox: Sandbox, tmp_path: Path) -> None:
    sb = sandbox.cluster
    lines, args = await _start(sandbox, tmp_path, ["a"])
    async with pystern(args, clean_env(tmp_path)) as p:
        lines.write("a")
        await lines.all_printed(p)
        sb.break_log_streams("stall")
        lines.write("a")
        sb.delete_pod("a", grace=2.0)  # Terminating: the container runs 2 s more, then its log is gone
        await lines.all_printed(p, within=3.5)
        await p.finish(signal.SIGINT)
    exactly_once(p, lines.written)


async def test_a_torn_record_of_a_deleted_pod_prints_no_timestamp_fragment(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sb = sandbox.cluster
    _, args = await _start(sandbox, tmp_path, ["a"])
    async with pystern(args, clean_env(tmp_path)) as p:
        sb.write("a", "app", "first")
        await p.until(lambda: p.lines() == [b"first"], what="first line")
        sb.write("a", "app", "second line here")
        sb.break_log_streams("reset", mid_line=True)  # cut inside the unsent record's timestamp
        sb.delete_pod("a")  # no grace: the rest of the log is gone for every client
        await asyncio.sleep(2.0)
        await p.finish(signal.SIGINT)
    lines = p.lines()
    assert lines[0] == b"first"
    # The second line may be lost with its pod, or shown cut; never as bytes of the timestamp.
    for line in lines[1:]:
        assert b"second line here".startswith(line), lines


async def test_a_10mb_line_without_newline_is_cut_and_memory_stays_bounded(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sb = sandbox.cluster
    lines, args = await _start(sandbox, tmp_path, ["a"])
    async with pystern(args, clean_env(tmp_path)) as p:
        lines.write("a")
        await lines.all_printed(p)
        before = rss_kib(p.proc.pid)
        # 10 MiB with no newline yet, in 16 KiB records as the container runtime stores it.
        for _ in range(640):
            sb.write_partial("a", "app", b"y" * 16384)
        await asyncio.sleep(1.0)
        during = rss_kib(p.proc.pid)
        sb.write_partial("a", "app", b" tail")
        sb.write("a", "app", b"")  # the newline ending the huge line
        lines.write("a")
        await lines.all_printed(p)
        after = rss_kib(p.proc.pid)
        await p.finish(signal.SIGINT)
    long = [line for line in p.lines() if line.startswith(b"yyyy")]
    assert len(long) == 1
    assert len(long[0]) < 2 * 1024 * 1024, len(long[0])
    assert b"truncated" in long[0][-64:], long[0][-64:]
    assert (max(during, after) - before) / 1024 < 12, (before, during, after)
    exactly_once(p, lines.written, long)
