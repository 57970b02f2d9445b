"""Pod and container lifecycle as a stern user meets it: history rules, conditions, restarts."""

from __future__ import annotations

from typing import Any

from pystern.model import NoticeKind
from pystern.options import Config, Follow, Selection
from pystern.ports import Cluster
from tests.engine.conftest import RecordingSink, engine, eventually, streams_open


async def test_a_pod_running_at_start_that_starts_matching_condition_shows_no_history(
    sandbox: Any, cluster: Cluster
) -> None:
    # --condition needs --tail=0 so that a pod starting to match does not re-print its history
    # (stern's rule); a container already running when pystern started is no new container.
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.write("a", "app", "old history, before pystern started")
    sink = RecordingSink()
    config = Config(selection=Selection(condition=("ready", "false")), follow=Follow(tail_lines=0))
    async with engine(config, [cluster], sink):
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the nothing-matched notice")
        sb.write("a", "app", "while ready: not shown")
        sb.set_condition("a", "Ready", "False")
        await streams_open(sandbox, 1)
        sb.write("a", "app", "not ready")
        await eventually(lambda: sink.messages() != [], what="a line")
        await eventually(lambda: b"not ready" in sink.messages(), what="the new line")
    assert sink.messages() == [b"not ready"]
