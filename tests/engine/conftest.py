"""Engine test helpers: a recording Sink, an in-memory log server for pure tail tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from pystern import errors
from pystern.model import ContainerStatus, Notice, NoticeKind, Pod, PodList, Target
from pystern.options import Config, Connection
from pystern.ports import Cluster, LogRequest, Sink
from pystern.tail import RetryPolicy
from pystern.timefmt import NS_PER_SECOND, format_rfc3339_nano_fixed, parse_rfc3339_ns


@dataclass
class RecordingSink:
    """Collects emitted lines and notices (the engine's view of the output)."""

    lines: list[tuple[Target, bytes]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    batches: int = 0

    def emit(self, target: Target, lines: Sequence[bytes]) -> None:
        self.batches += 1
        self.lines.extend((target, line) for line in lines)

    def notice(self, notice: Notice) -> None:
        self.notices.append(notice)

    async def drain(self) -> None:
        return None

    def flush(self) -> None:
        return None

    def messages(self, container: str | None = None, pod: str | None = None) -> list[bytes]:
        """Messages without their timestamps, optionally of one container / pod."""
        return [
            line.split(b" ", 1)[1] if b" " in line else line
            for t, line in self.lines
            if (container is None or t.container == container) and (pod is None or t.pod == pod)
        ]

    def kinds(self, kind: NoticeKind) -> list[Notice]:
        return [n for n in self.notices if n.kind is kind]


@pytest.fixture
def recording_sink() -> RecordingSink:
    return RecordingSink()


def ts(ns: int) -> bytes:
    return format_rfc3339_nano_fixed(ns).encode()


@dataclass
class ScriptedLog:
    """A fake kubelet log for one container: records plus a script of how each request ends.

    Each script entry is ("reset", n) / ("eof", n): serve up to ``n`` bytes then break
    (ConnectionLost) or end cleanly; ("full", 0): serve everything and end; ("error", exc).
    Requests after the script serve everything.  ``sinceTime`` is truncated to seconds,
    as the kubelet does.
    """

    records: list[bytes]
    script: list[tuple[str, Any]] = field(default_factory=list)
    requests: list[LogRequest] = field(default_factory=list)
    chunk: int = 7
    finished: bool = False
    """Set once a request served the whole log to a clean end (the container has stopped)."""

    def serve(self, request: LogRequest) -> bytes:
        lines = self.records
        if request.since_time is not None:
            since = parse_rfc3339_ns(request.since_time) // NS_PER_SECOND * NS_PER_SECOND
            lines = [r for r in lines if parse_rfc3339_ns(r.split(b" ", 1)[0]) >= since]
        if request.tail_lines is not None:
            lines = lines[len(lines) - request.tail_lines :] if request.tail_lines else []
        return b"".join(r + b"\n" for r in lines)


class FakeCluster:
    """``stream_log`` from scripted logs, and ``list_pods`` from fixed pods (tail tests)."""

    context = ""
    default_namespace = "default"

    def __init__(self, logs: dict[str, ScriptedLog], pods: tuple[Pod, ...] = ()) -> None:
        self.logs = logs
        self.pods = pods
        """What ``list_pods`` answers (a tail asks when it cannot verify a resumed stream)."""

    async def list_pods(self, namespace: str | None, label_selector: str, field_selector: str) -> PodList:
        """The fixed pods in ``namespace`` named by a ``metadata.name=`` field selector."""
        name = field_selector.removeprefix("metadata.name=")
        found = tuple(p for p in self.pods if p.name == name and namespace in (None, p.namespace))
        return PodList(found, "1")

    @asynccontextmanager
    async def _open(self, request: LogRequest) -> AsyncIterator[AsyncIterator[bytes]]:
        log = self.logs[request.container]
        log.requests.append(request)
        step = log.script.pop(0) if log.script else ("full", 0)
        if step[0] == "error":
            raise step[1]
        data = log.serve(request)

        async def chunks() -> AsyncIterator[bytes]:
            limit = len(data) if step[0] == "full" else min(step[1], len(data))
            for i in range(0, limit, log.chunk):
                yield data[i : min(i + log.chunk, limit)]
            if step[0] == "reset":
                raise errors.ConnectionLost("connection reset by peer")
            if step[0] == "full":
                log.finished = True

        yield chunks()

    def stream_log(self, request: LogRequest) -> Any:
        return self._open(request)


class StaticStatus:
    """A StatusSource whose answers the test sets."""

    def __init__(self, status: ContainerStatus | None) -> None:
        self.current = status
        self.waits = 0

    def status(self, target: Target) -> ContainerStatus | None:
        return self.current

    async def wait_change(self, target: Target, within: float) -> None:
        self.waits += 1

    def deleting(self, target: Target) -> bool:
        return False

    def lagging(self, target: Target) -> bool:
        return False


# ---------------------------------------------------------------- live (sandbox + real client)


FAST_POLICY = RetryPolicy(
    initial=0.05, maximum=0.3, jitter=0.1, eof_grace=0.2, give_up_after=10, stall_check=0.3
)


@pytest.fixture
async def cluster(sandbox: Any) -> AsyncIterator[Cluster]:
    """The real kube client connected to the sandbox."""
    from pystern.kube import connect

    c = await connect(Connection(kubeconfig=str(sandbox.kubeconfig_path)))
    try:
        yield c
    finally:
        await c.aclose()


@contextlib.asynccontextmanager
async def engine(
    config: Config, clusters: Sequence[Cluster], sink: Sink, **kw: Any
) -> AsyncIterator[asyncio.Task[int]]:
    """Run the engine in the background; cancelling it at the end surfaces any crash."""
    from pystern.run import run

    kw.setdefault("policy", FAST_POLICY)
    task = asyncio.create_task(run(config, clusters, sink, **kw))
    try:
        yield task
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def eventually(predicate: Callable[[], bool], within: float = 5.0, what: str = "") -> None:
    """Poll ``predicate`` until it holds (fails the test after ``within`` seconds)."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


async def streams_open(sandbox: Any, count: int) -> None:
    """Wait until the sandbox serves ``count`` follow streams (``+`` is printed before the request)."""
    await eventually(lambda: len(sandbox.cluster.streams) >= count, what=f"{count} open log streams")
