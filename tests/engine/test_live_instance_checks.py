"""The checks a tail makes of which container instance a stream serves, when the answer comes late.

The log endpoint cannot name an instance, so a tail that has printed nothing (no last line to
verify a stream against) asks the API server before printing from a stream it cannot vouch
for.  These tests make that answer, or the watchdog's probe, slow (a 429 with Retry-After)
and let the pod or the container change meanwhile, as a stress run of the churn scenario did.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pystern.model import NoticeKind
from pystern.options import Config
from pystern.ports import Cluster
from tests.engine.conftest import FAST_POLICY, RecordingSink, engine, eventually, streams_open
from tests.engine.test_live_rotation import NO_WATCHDOG, _by_instance, _instance_of

# The tail's question to the server: its pod, listed by name.
BY_NAME = "fieldSelector=metadata.name=web"


async def _reconnected_with_lines(sandbox: Any, sink: RecordingSink, *lines: str) -> None:
    """Break web/app's silent stream (nothing printed yet), then write ``lines``: the reconnect
    serves them, and a tail with no last line to check them against asks the server first."""
    sb = sandbox.cluster
    await streams_open(sandbox, 1)
    sb.break_log_streams("reset", mid_line=False)
    await eventually(
        lambda: sink.kinds(NoticeKind.RETRYING) and len(sb.streams) >= 1, what="the reconnected stream"
    )
    sb.write("web", "app", *lines)


async def test_lines_read_before_their_pod_was_deleted_are_printed_though_the_server_no_longer_knows_it(
    sandbox: Any, cluster: Cluster
) -> None:
    """The server is asked after the stream served lines; by the time it answers, the pod is
    deleted.  The stream was opened while the pod ran its one instance, and no later instance
    was ever seen: those lines are the container's and nobody else can read them any more.
    (The tail took "no such pod" for "replaced" and dropped them.)"""
    sb = sandbox.cluster
    sb.add_pod("web", containers=("app",))
    instance = _instance_of(sb, "app")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink, policy=NO_WATCHDOG):
        slow = sb.fail_requests(429, times=1, path_contains=BY_NAME, retry_after=1)
        await _reconnected_with_lines(sandbox, sink, "last 1", "last 2")
        await eventually(lambda: slow.remaining == 0, what="the tail asking the server")
        sb.delete_pod("web")
        await eventually(lambda: sink.kinds(NoticeKind.STOPPED), within=10, what="the tail's end")
    assert _by_instance(sink) == {instance: [b"last 1", b"last 2"]}


async def test_an_answer_that_is_slow_to_come_does_not_make_the_watchdog_cut_the_stream(
    sandbox: Any, cluster: Cluster
) -> None:
    """While the tail waits for the server's answer, its stream is silent because the tail is
    busy, not because the stream stalled: the watchdog must leave it alone.  It cut the stream
    (a terminating pod's silent streams are checked soonest) and threw the lines in hand away;
    here the reconnect then fails until the pod is gone, so they were lost."""
    sb = sandbox.cluster
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink, policy=FAST_POLICY):  # watchdog after 0.3 s
        # Started after pystern: the watchdog can tell from its first line that the log has
        # lines the stream did not deliver.
        sb.add_pod("web", containers=("app",))
        slow = sb.fail_requests(429, times=1, path_contains=BY_NAME, retry_after=1)
        await _reconnected_with_lines(sandbox, sink, "line 1", "line 2")
        await eventually(lambda: slow.remaining == 0, what="the tail asking the server")
        sb.fail_requests(503, times=20, path_contains="follow=true")
        sb.delete_pod("web", grace=0.8)
        await eventually(lambda: sink.kinds(NoticeKind.STOPPED), within=10, what="the tail's end")
    assert sink.messages() == [b"line 1", b"line 2"]


async def test_a_previous_log_read_after_a_second_restart_is_not_printed_under_the_first_instance(
    sandbox: Any, cluster: Cluster
) -> None:
    """The first instance printed nothing and restarted; its tail asks for the previous log,
    but the request is answered only after a second restart, when "previous" is the second
    instance's log.  Those lines belong to the second instance's tail (they were printed twice,
    once under the wrong instance)."""
    sb = sandbox.cluster
    sb.add_pod("web", containers=("app",))
    first = _instance_of(sb, "app")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink, policy=NO_WATCHDOG):
        await streams_open(sandbox, 1)
        slow = sb.fail_requests(429, times=1, path_contains="previous=true", retry_after=1)
        sb.restart_container("web", "app")
        second = _instance_of(sb, "app")
        sb.write("web", "app", "second 1", "second 2")
        await eventually(lambda: slow.remaining == 0, what="the first tail's request for the previous log")
        await eventually(
            lambda: sink.messages() == [b"second 1", b"second 2"], what="the second instance's lines"
        )
        sb.restart_container("web", "app")
        third = _instance_of(sb, "app")
        sb.write("web", "app", "third 1")
        await eventually(lambda: len(sink.lines) >= 3, within=10, what="every line")
        await eventually(
            lambda: len([n for n in sink.kinds(NoticeKind.STOPPED) if n.target]) >= 2,
            within=10,
            what="both old tails ending",
        )
        await asyncio.sleep(0.3)  # room for repeats to show up
    assert _by_instance(sink) == {second: [b"second 1", b"second 2"], third: [b"third 1"]}
    assert first not in _by_instance(sink)


async def test_an_attempt_that_fails_while_the_watchdog_probes_is_retried_at_once(
    sandbox: Any, cluster: Cluster
) -> None:
    """A terminating pod's stream stalls; the watchdog's probe (a request of its own) is kept
    waiting by a 429, and meanwhile the stalled stream breaks.  The tail must reconnect at once:
    it waited for the probe's answer first, and the pod's log was gone by then."""
    sb = sandbox.cluster
    sb.add_pod("web", containers=("app",))
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink, policy=FAST_POLICY):
        await streams_open(sandbox, 1)
        sb.write("web", "app", "before")
        await eventually(lambda: sink.messages() == [b"before"], what="the first line")
        sb.break_log_streams("stall")
        sb.write("web", "app", "during 1", "during 2")
        # The probe asks for at most 256 KiB since the last line printed; the stream never does.
        slow = sb.fail_requests(429, times=1, path_contains="limitBytes", retry_after=3)
        sb.delete_pod("web", grace=1.5)
        await eventually(lambda: slow.remaining == 0, what="the watchdog's probe")
        sb.break_log_streams("reset", mid_line=False)
        await eventually(lambda: len(sink.lines) >= 3, within=10, what="the lines written during the stall")
        await asyncio.sleep(0.3)  # room for repeats to show up
    assert sink.messages() == [b"before", b"during 1", b"during 2"]


async def test_a_pod_deleted_while_its_stream_was_broken_is_named_in_a_warning(
    sandbox: Any, cluster: Cluster
) -> None:
    """Its last lines may have gone with it: the warning says the log was not read to the end.
    (When the watch reports the deletion first, the tail ends with its ``-`` line alone.)"""
    sb = sandbox.cluster
    sb.add_pod("web", containers=("app",))
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink, policy=NO_WATCHDOG):
        await streams_open(sandbox, 1)
        refused = sb.fail_requests(503, times=3, path_contains="/log")
        sb.break_log_streams("reset", mid_line=False)
        await eventually(lambda: refused.remaining < 3, what="a refused reconnect")
        sb.break_watches("stall")  # the deletion goes unreported: the next reconnect finds it
        sb.delete_pod("web")
        await eventually(lambda: sink.kinds(NoticeKind.STOPPED), within=10, what="the tail's end")
    warnings = [n.text for n in sink.kinds(NoticeKind.WARNING)]
    assert warnings == ["pod default/web was deleted before its log was read to the end"]
