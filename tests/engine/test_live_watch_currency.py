"""The container table says when the pod watch may lag: from the end of a watch until it caught up.

Tails that printed nothing yet have no line to check a stream against, so while the watch
may lag they ask the API server which instance a stream serves (tests/engine/test_live_rotation.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from pystern.containers import ContainerTable
from pystern.discovery import PodWatcher
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


async def test_a_watch_silent_past_the_quiet_limit_lags_until_it_speaks_again(
    sandbox: Any, cluster: Cluster
) -> None:
    """A half-open watch sends nothing, not even the bookmarks API servers send about every
    minute: after ``quiet_watch`` seconds of silence its statuses count as lagging."""
    sb = sandbox.cluster
    sb.bookmark_interval = 0.2
    sb.add_pod("web")
    table = ContainerTable(TargetFilter(Selection()), quiet_watch=1.0)
    watcher = PodWatcher(cluster, "default", table, lambda _: None, lambda _: None, policy=FAST_POLICY)
    await watcher.sync(initial=True)
    watching = asyncio.create_task(watcher.watch())
    try:
        await eventually(lambda: sb.store.watcher_count == 1, what="the watch open")
        await asyncio.sleep(1.5)
        assert not table.lagging(WEB)  # quiet but alive: its bookmarks keep it current
        sb.break_watches("stall")
        await eventually(lambda: table.lagging(WEB), within=5, what="lagging once the watch went silent")
        assert not table.lagging(ELSEWHERE)  # another namespace's watch is not this one
        sb.break_watches("reset")  # the connection breaks at last: relisted, current again
        await eventually(lambda: not table.lagging(WEB), what="current after the relist")
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)


async def test_a_listed_namespace_without_a_watch_never_lags_for_silence(
    sandbox: Any, cluster: Cluster
) -> None:
    """``--no-follow`` lists and never watches: no silence to suspect, no extra server checks."""
    sb = sandbox.cluster
    sb.add_pod("web")
    table = ContainerTable(TargetFilter(Selection()), quiet_watch=0.1)
    watcher = PodWatcher(cluster, "default", table, lambda _: None, lambda _: None, policy=FAST_POLICY)
    await watcher.sync(initial=True)
    await asyncio.sleep(0.3)
    assert not table.lagging(WEB)
