"""After an API server outage, tails reconnect when the pod watch reaches the server again.

Each tail backs off on its own (up to 30 s); waiting that long after the server is back would
lose the lines of pods deleted meanwhile.  The pod watch polls an unreachable server every
``unreachable_poll`` seconds and its relist wakes the tails.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pystern.options import Config
from pystern.ports import Cluster
from pystern.tail import RetryPolicy
from tests.engine.conftest import RecordingSink, engine, eventually

# Tails back off 20 s, 40 s, ...; the watch polls every 0.2 s.
SLOW_TAILS = RetryPolicy(initial=20.0, maximum=30.0, jitter=0.0, eof_grace=0.1, unreachable_poll=0.2)


async def test_tails_reconnect_as_soon_as_the_server_is_back(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink, policy=SLOW_TAILS):
        sb.write("a", "app", "before")
        await eventually(lambda: sink.messages() == [b"before"])
        await sandbox.stop_serving()
        sb.write("a", "app", "during")
        await asyncio.sleep(1.0)
        await sandbox.resume_serving()
        # The tail's own first retry would come 20 s after the break.
        await eventually(lambda: len(sink.lines) == 2, within=5, what="the line written during the outage")
    assert sink.messages() == [b"before", b"during"]
