"""The "empty body" fault of issue 6: ``200 OK`` with ``Content-Length: 0`` where data was due.

A log request answered so looks like a stream that ended at once, a watch like one closed before
its first event, and a list has no JSON at all.  Follow mode keeps going, no line is lost or
repeated, and each fault costs at most one notice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pystern.model import NoticeKind
from pystern.options import Config
from pystern.ports import Cluster
from tests.engine.conftest import RecordingSink, engine, eventually, streams_open

NOISY = (NoticeKind.RETRYING, NoticeKind.WARNING, NoticeKind.ERROR, NoticeKind.GAVE_UP)


def noise(sink: RecordingSink) -> list[str]:
    """Notices beyond the ``+``/``-`` lines."""
    return [f"{n.kind.value}: {n.text}" for n in sink.notices if n.kind in NOISY]


async def test_empty_log_bodies_lose_and_repeat_nothing(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.write("a", "app", "before start")
    sb.empty_responses(times=2, path_contains="/pods/a/log")  # the first two opens get nothing
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink) as task:
        await eventually(lambda: sink.messages() == [b"before start"], what="the first line")
        await streams_open(sandbox, 1)
        sb.write("a", "app", "one")
        await eventually(lambda: len(sink.lines) == 2, what="line one")
        assert len(noise(sink)) <= 1, noise(sink)  # one notice at most for the fault
        # The stream ends cleanly; the reconnects get empty bodies while lines keep coming.
        sb.empty_responses(times=3, path_contains="/pods/a/log")
        sb.break_log_streams("eof")
        sb.write("a", "app", "two")
        await eventually(lambda: not sb.injected, what="every empty answer served")
        sb.write("a", "app", "three")
        await eventually(lambda: len(sink.lines) == 4, what="lines two and three")
        await asyncio.sleep(0.3)  # a repeat would show up now
        assert not task.done()
    assert sink.messages() == [b"before start", b"one", b"two", b"three"]
    assert len(noise(sink)) <= 2, noise(sink)
    assert len(sink.kinds(NoticeKind.STARTED)) == 1


async def test_empty_watch_bodies_and_an_empty_list(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink) as task:
        await streams_open(sandbox, 1)
        sb.write("a", "app", "a1")
        await eventually(lambda: sink.messages() == [b"a1"], what="a1")
        # Re-watches answered with nothing, then a new pod must still be found.
        sb.empty_responses(times=3, path_contains="watch=")
        sb.break_watches("close")
        await eventually(lambda: not sb.injected, what="every empty watch served")
        sb.add_pod("b")
        sb.write("b", "app", "b1")
        await eventually(lambda: sorted(sink.messages()) == [b"a1", b"b1"], what="b1")
        assert len(noise(sink)) <= 1, noise(sink)
        # The watch expires (410) and the relist gets an empty body: listed again, nothing lost.
        sb.empty_responses(times=1, path_contains="/pods?")
        sb.expire_watches()
        await eventually(lambda: not sb.injected, within=10, what="the empty list served")
        sb.add_pod("c")
        sb.write("c", "app", "c1")
        sb.write("a", "app", "a2")
        await eventually(lambda: len(sink.lines) == 4, within=10, what="c1 and a2")
        await asyncio.sleep(0.3)
        assert not task.done()
    assert sorted(sink.messages()) == [b"a1", b"a2", b"b1", b"c1"]
    assert [n.target.pod for n in sink.kinds(NoticeKind.STARTED) if n.target] == ["a", "b", "c"]
    assert len(noise(sink)) <= 2, noise(sink)
    assert any("sent an empty body" in n for n in noise(sink)), noise(sink)  # says what it saw


async def test_empty_watch_answers_are_retried_with_backoff(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink) as task:
        await streams_open(sandbox, 1)
        empty = sb.empty_responses(times=100_000, path_contains="watch=")
        sb.break_watches("close")
        await asyncio.sleep(1.5)
        served = 100_000 - empty.remaining
        sb.injected.clear()
        assert not task.done()
    # The fast test policy backs off 0.05, 0.1, 0.2, 0.3, 0.3 ... s: about 8 requests in 1.5 s.
    assert served <= 20, f"{served} watch requests in 1.5 s"
