"""The container table says when the pod watch may lag: from the end of a watch until it caught up.

Tails that printed nothing yet have no line to check a stream against, so while the watch
may lag they ask the API server which instance a stream serves (tests/engine/test_live_rotation.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from pystern.discovery import ContainerTable, PodWatcher
from pystern.filters import TargetFilter
from pystern.model import Target
from pystern.options import Selection
from pystern.ports import Cluster
from tests.engine.conftest import FAST_POLICY, eventually

WEB = Target("default", "web", "app")
ELSEWHERE = Target("other", "db", "app")


async def test_a_watch_that_ended_lags_until_an_event_or_a_relist(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("web")
    table = ContainerTable(TargetFilter(Selection()))
    watcher = PodWatcher(cluster, "default", table, lambda _: None, lambda _: None, policy=FAST_POLICY)
    await watcher.sync(initial=True)
    assert not table.lagging(WEB)
    watching = asyncio.create_task(watcher.watch())
    try:
        await eventually(lambda: sb.store.watcher_count == 1, what="the watch open")
        # A clean end (the server's timeout): watched again from the last resourceVersion, but
        # whatever happened meanwhile is unreported until the new watch delivers an event.
        sb.break_watches("close")
        await eventually(lambda: table.lagging(WEB), what="lagging after the watch ended")
        assert not table.lagging(ELSEWHERE)  # another namespace's watch is not this one
        await asyncio.sleep(0.3)
        assert table.lagging(WEB)  # watched again, but nothing came yet
        sb.add_pod("late")
        await eventually(lambda: not table.lagging(WEB), what="current after an event")
        # A broken watch: relisted, then current again.
        sb.break_watches("reset")
        await eventually(lambda: sb.store.watcher_count == 1 and not table.lagging(WEB), what="relist")
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
