"""A slow consumer slows the connections instead of growing buffers; nothing is lost after."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pystern.model import NoticeKind
from pystern.options import Config, Follow
from pystern.ports import Cluster
from pystern.run import run
from tests.engine.conftest import RecordingSink, engine, eventually

N = 100_000


class GatedSink(RecordingSink):
    """``drain()`` blocks until the test opens the gate (a consumer that stopped reading)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def drain(self) -> None:
        await self.gate.wait()


async def test_a_blocked_consumer_stops_reading_then_gets_every_line(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("busy")
    sink = GatedSink()
    async with engine(Config(), [cluster], sink):
        await eventually(lambda: bool(sb.streams))
        sb.bulk_write("busy", "app", (b"line %d" % i for i in range(N)), start_ns=time.time_ns() - 10**9)
        await eventually(lambda: len(sink.lines) > 0)
        await asyncio.sleep(1.0)  # longer than the stall watchdog's interval in these tests
        held = len(sink.lines)
        assert held < N // 4  # one chunk went out, then the tail waited on drain()
        sink.gate.set()
        await eventually(
            lambda: len(sink.lines) == N, within=15, what="every line after the consumer resumed"
        )
    assert not sink.kinds(NoticeKind.RETRYING)  # waiting on the consumer is not a stalled stream
    assert sink.messages()[:2] == [b"line 0", b"line 1"]
    assert sink.messages()[-1] == b"line %d" % (N - 1)


async def test_no_follow_throughput_is_sane(sandbox: Any, cluster: Cluster) -> None:
    """Not a benchmark: guards against a per-line await or a quadratic buffer on the hot path."""
    sb = sandbox.cluster
    sb.add_pod("big")
    sb.bulk_write("big", "app", (b"payload %d" % i for i in range(N)), start_ns=time.time_ns() - 10**9)
    sink = RecordingSink()
    code = await asyncio.wait_for(
        run(Config(follow=Follow(follow=False, max_log_requests=5)), [cluster], sink), 20
    )
    assert code == 0
    assert len(sink.lines) == N
    assert sink.batches < N // 20  # chunks, not lines, reach the sink
