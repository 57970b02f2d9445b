"""Pods first seen in a relist (after an API outage or a 410) whose containers already restarted.

A watch shows every container ID in turn, so each instance gets its tail.  A relist collapses the
history: a pod created and restarted while pystern could not see the cluster shows up with its
second instance only, and the first instance's lines (still readable with ``previous=true``) are
never asked for.  The short soak with faults every 1.8 s instead of 2.5 s loses ~100 lines of
pods created during its API-server restart this way.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pystern.options import Config
from pystern.ports import Cluster
from tests.engine.conftest import RecordingSink, engine, eventually, streams_open


async def test_pod_created_and_restarted_during_an_outage(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await streams_open(sandbox, 1)
        sb.write("a", "app", "a1")
        await eventually(lambda: sink.messages() == [b"a1"], what="a1")
        await sandbox.stop_serving()
        sb.add_pod("x")
        sb.write("x", "app", "x first instance")
        sb.restart_container("x", "app")
        sb.write("x", "app", "x second instance")
        await asyncio.sleep(0.2)
        await sandbox.resume_serving()
        await eventually(lambda: b"x second instance" in sink.messages(), within=5, what="second instance")
        await asyncio.sleep(0.5)
    assert sorted(sink.messages(pod="x")) == [b"x first instance", b"x second instance"]
