"""The stall watchdog acts on pod changes, not only on 60 s of silence (issue 6).

A half-open stream sends neither lines nor EOF.  These tests set ``stall_check`` to a minute,
so only the pod-change path can rescue the lines within the test's time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pystern.model import NoticeKind
from pystern.options import Config
from pystern.ports import Cluster
from pystern.tail import RetryPolicy
from tests.engine.conftest import RecordingSink, engine, eventually

SLOW_WATCHDOG = RetryPolicy(initial=0.05, maximum=0.3, jitter=0.1, eof_grace=0.2, stall_check=60.0)


async def test_a_stopped_container_behind_a_half_open_stream_is_read_to_its_end(
    sandbox: Any, cluster: Cluster
) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink, policy=SLOW_WATCHDOG):
        sb.write("a", "app", "1")
        await eventually(lambda: sink.messages() == [b"1"])
        sb.break_log_streams("stall")
        sb.write("a", "app", "2", "3")
        sb.terminate_container("a", "app")
        await eventually(lambda: len(sink.lines) == 3, within=3, what="the lines behind the stall")
        await eventually(lambda: len(sink.kinds(NoticeKind.STOPPED)) == 1, what="the tail's end")
    assert sink.messages() == [b"1", b"2", b"3"]


async def test_a_terminating_pod_behind_a_half_open_stream_is_probed_before_its_log_goes(
    sandbox: Any, cluster: Cluster
) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.add_pod("b")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink, policy=SLOW_WATCHDOG):
        sb.write("a", "app", "a1")
        sb.write("b", "app", "b1")
        await eventually(lambda: len(sink.lines) == 2)
        sb.break_log_streams("stall")
        sb.write("a", "app", "a2")
        sb.delete_pod("a", grace=2.0)
        await eventually(lambda: (b"a2") in sink.messages(), within=1.9, what="a2 before the pod goes")
        await asyncio.sleep(0.5)
    assert sorted(sink.messages()) == [b"a1", b"a2", b"b1"]
    # Only the terminating pod was probed and cut; the other half-open stream waits for stall_check.
    stalls = [n.target.pod for n in sink.kinds(NoticeKind.RETRYING) if n.target and "stalled" in n.text]
    assert stalls == ["a"]
