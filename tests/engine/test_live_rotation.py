"""A container's log rotated while its tail's stream was broken (the kubelet serves only the current file).

The resumed stream then lacks the last line printed, which is also what a stream of a
*restarted* container looks like; the tail refuses it (``ResumeMismatch``) until it has
seen three such streams with the same instance still running, then accepts the rotated log.
Accepting one rotation must not switch the check off for good: a later restart whose
reconnect races the watch is still to be caught.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from pystern.model import NoticeKind
from pystern.options import Config, Follow, Selection
from pystern.ports import Cluster
from pystern.sandbox.faults import InjectedError
from tests.engine.conftest import FAST_POLICY, RecordingSink, engine, eventually, streams_open

LOG = "/api/v1/namespaces/default/pods/web/log"
# No watchdog: its probes are log requests too, and the test counts the tail's requests.
NO_WATCHDOG = dataclasses.replace(FAST_POLICY, stall_check=0)


def numbered(prefix: str, count: int) -> list[bytes]:
    return [f"{prefix} {i}".encode() for i in range(count)]


async def test_a_log_rotated_while_the_stream_was_broken_is_accepted_after_three_mismatches(
    sandbox: Any, cluster: Cluster
) -> None:
    sb = sandbox.cluster
    sb.add_pod("web")
    sink = RecordingSink()
    old, new, later = numbered("old", 5), numbered("new", 3), numbered("later", 2)
    async with engine(Config(), [cluster], sink, policy=NO_WATCHDOG):
        await streams_open(sandbox, 1)
        sb.write("web", "app", *old)
        await eventually(lambda: sink.messages() == old, what="the lines before the rotation")
        asked = sb.requests_seen[LOG]
        # All in one step of the loop, so no reconnect sees the log before its rotation.
        sb.break_log_streams("reset", mid_line=True)
        sb.write("web", "app", "unsent 1", "unsent 2")  # half of one is sent; both go with the old file
        sb.rotate_log("web", "app")
        sb.write("web", "app", *new)
        await eventually(lambda: sink.messages() == old + new, within=10, what="the rotated log's lines")
        sb.write("web", "app", *later)
        await eventually(lambda: sink.messages() == old + new + later, what="lines after the rotation")
        await asyncio.sleep(0.3)  # room for a repeat or another reconnect to show up
        reconnects = sb.requests_seen[LOG] - asked
    assert sink.messages() == old + new + later
    # Three resumed streams refused (each served the new lines without the last one printed),
    # the fourth accepted: fewer would mean no verification, more an endless refusal.
    assert reconnects == 4
    assert len(sink.kinds(NoticeKind.STARTED)) == 1
    assert len(sink.kinds(NoticeKind.RETRYING)) == 1  # one streak: the reset and the refusals after it
    assert not sink.kinds(NoticeKind.GAVE_UP)
    assert not sink.kinds(NoticeKind.ERROR)


def _instance(sb: Any) -> str:
    """The container ID of web/app's current instance."""
    return str(sb.pod("web").container("app").current.container_id)


def _instance_of(sb: Any, container: str) -> str:
    """The container ID of web/<container>'s current instance."""
    return str(sb.pod("web").container(container).current.container_id)


def _by_instance(sink: RecordingSink) -> dict[str, list[bytes]]:
    """The printed messages, grouped by the container instance they were printed under."""
    grouped: dict[str, list[bytes]] = {}
    for target, line in sink.lines:
        grouped.setdefault(target.container_id, []).append(line.split(b" ", 1)[1])
    return grouped


FAILING = 1000
"""How many of the server's answers to the tail's own question fail in the "server-check-failing" cases."""


async def _silent_until_settled(
    sink: RecordingSink, instance: str, failing: InjectedError | None = None
) -> None:
    """Keep the watch silent until the tail of ``instance`` has done all it can without it.

    That tail stops (it asked the API server, and read the previous log or found it gone): from
    then on nothing happens until the watch reports the new instance, which has no tail before.
    Or, while the server cannot answer (``failing``, an injected error), the tail has asked it
    three times (the refusals repeat for as long as the server fails; a fixed 4 s saw about six).
    The assertions after the watch is back say whether anything unverified was printed.
    """
    if failing is not None:

        def settled() -> bool:
            return FAILING - failing.remaining >= 3

    else:

        def settled() -> bool:
            return any(n.target and n.target.container_id == instance for n in sink.kinds(NoticeKind.STOPPED))

    await eventually(settled, within=10, what=f"the tail of {instance} settled while the watch is silent")


LAGGING_WATCH = dataclasses.replace(NO_WATCHDOG, eof_grace=0.5)
"""Each reconnect waits 0.5 s for the watch: three refusals take about 2 s."""


@contextlib.asynccontextmanager
async def _following_web(
    sandbox: Any, cluster: Cluster, sink: RecordingSink, first_lines: list[bytes]
) -> AsyncIterator[str]:
    """Pod web followed with LAGGING_WATCH, ``first_lines`` written and printed; yields the instance ID."""
    sb = sandbox.cluster
    sb.add_pod("web")
    first = _instance(sb)
    async with engine(Config(), [cluster], sink, policy=LAGGING_WATCH):
        await streams_open(sandbox, 1)
        sb.write("web", "app", *first_lines)
        await eventually(lambda: sink.messages() == first_lines, what="the first lines")
        yield first


@pytest.mark.parametrize(
    ("rotated_before", "watch_lag", "server_check_fails"),
    [(False, 1.0, False), (True, 1.0, False), (False, None, False), (False, None, True)],
    ids=["fresh-tail", "after-a-rotation", "watch-silent-past-three-refusals", "server-check-failing"],
)
async def test_a_restart_behind_a_lagging_watch_is_still_verified(
    sandbox: Any, cluster: Cluster, rotated_before: bool, watch_lag: float | None, server_check_fails: bool
) -> None:
    """The third refusal would accept the stream as a rotated log; a watch silent that long
    must not make the new instance's lines pass as the old one's (the tail asks the API
    server for the pod itself before it accepts).  Nor may a server that cannot answer that
    question (restarting, say): accepting then lost the old instance's last lines and printed
    the new one's twice in a soak with an API server restart."""
    sb = sandbox.cluster
    sink = RecordingSink()
    old = numbered("old", 3)
    async with _following_web(sandbox, cluster, sink, old) as first:
        failing = None
        if server_check_fails:
            failing = sb.fail_requests(503, times=FAILING, path_contains="metadata.name=web")
        if rotated_before:
            sb.break_log_streams("reset", mid_line=False)
            sb.rotate_log("web", "app")
            sb.write("web", "app", *numbered("rotated", 2))
            old += numbered("rotated", 2)
            await eventually(lambda: sink.messages() == old, within=10, what="the rotated lines")
        # The container restarts while the stream is broken, and the watch says nothing for a while:
        # the reconnects meanwhile serve the new instance, which must not pass as the old one.
        sb.break_watches("stall")
        sb.break_log_streams("reset", mid_line=False)
        sb.write("web", "app", "last 1", "last 2")
        sb.restart_container("web", "app")
        sb.write("web", "app", "next 1", "next 2")
        old += [b"last 1", b"last 2"]
        if watch_lag is None:
            await _silent_until_settled(sink, first, failing)  # past three refusals and the question
        else:
            await asyncio.sleep(watch_lag)  # during the refusals
        sb.break_watches("reset")
        await eventually(lambda: len(sink.lines) >= len(old) + 2, what="every line")
        await asyncio.sleep(0.3)  # room for repeats to show up
    assert _by_instance(sink) == {first: old, _instance(sb): [b"next 1", b"next 2"]}


async def test_two_restarts_behind_a_silent_watch_print_no_instance_as_another(
    sandbox: Any, cluster: Cluster
) -> None:
    """The container restarts twice while the stream is broken and the watch is silent: the
    old instance's log is gone (the kubelet keeps one previous), and the previous log is the
    middle instance's.  The old tail must stop rather than print the middle instance's lines
    as its own (each line appears once, under the instance that wrote it)."""
    sb = sandbox.cluster
    sink = RecordingSink()
    old = numbered("old", 3)
    async with _following_web(sandbox, cluster, sink, old) as first:
        sb.break_watches("stall")
        sb.break_log_streams("reset", mid_line=False)
        sb.write("web", "app", "last 1")
        sb.restart_container("web", "app")
        middle = _instance(sb)
        sb.write("web", "app", "mid 1", "mid 2")
        sb.restart_container("web", "app")
        sb.write("web", "app", "next 1", "next 2")
        await _silent_until_settled(sink, first)
        sb.break_watches("reset")
        await eventually(lambda: len(sink.lines) >= len(old) + 4, what="every line still served")
        await asyncio.sleep(0.5)  # room for repeats to show up
        third = _instance(sb)
        requests = sb.requests_seen[LOG]
    assert _by_instance(sink) == {first: old, middle: [b"mid 1", b"mid 2"], third: [b"next 1", b"next 2"]}
    assert not sink.kinds(NoticeKind.GAVE_UP)
    # The old tail: its stream, three refused resumes, three refused reads of the previous log,
    # then it stops; the other two instances' tails one request each.  Without the stop it
    # re-asks for the previous log in a tight loop (hundreds of requests a few seconds) and never
    # stops, so the wait for its stop above times out.
    assert requests <= 12


@pytest.mark.parametrize(
    ("restarts", "watch_lag", "server_check_fails"),
    [(1, 1.0, False), (1, None, False), (1, None, True), (2, None, False)],
    ids=["watch-late", "watch-silent-past-three-refusals", "server-check-failing", "two-restarts"],
)
async def test_a_restart_behind_a_lagging_watch_before_any_line_was_printed(
    sandbox: Any, cluster: Cluster, restarts: int, watch_lag: float | None, server_check_fails: bool
) -> None:
    """A tail that has printed nothing has no resume point, so a resumed stream cannot be
    checked against the last line printed: a reconnect racing a restart that the watch has
    not reported would print the new instance's lines as the old one's, and lose the old
    one's (a soak with an API server restart did: lost 52 lines, repeated 39).  The tail
    asks the API server which instance it is reading before it prints from such a stream;
    while the server cannot say, it prints nothing from it.  After two restarts the old
    instance's log is gone, and its tail must not print the middle one's as its own."""
    sb = sandbox.cluster
    sink = RecordingSink()
    sb.add_pod("web")
    first = _instance(sb)
    async with engine(Config(), [cluster], sink, policy=LAGGING_WATCH):
        await streams_open(sandbox, 1)
        failing = None
        if server_check_fails:
            failing = sb.fail_requests(503, times=FAILING, path_contains="metadata.name=web")
        sb.break_watches("stall")
        sb.break_log_streams("reset", mid_line=False)
        sb.write("web", "app", "last 1", "last 2")
        expected = {first: [b"last 1", b"last 2"]}
        for n in range(1, restarts):
            sb.restart_container("web", "app")
            sb.write("web", "app", f"mid {n}")
            expected[_instance(sb)] = [f"mid {n}".encode()]
        if restarts > 1:
            del expected[first]  # the kubelet keeps one previous log: the first instance's is gone
        sb.restart_container("web", "app")
        sb.write("web", "app", "next 1", "next 2")
        expected[_instance(sb)] = [b"next 1", b"next 2"]
        if watch_lag is None:
            await _silent_until_settled(sink, first, failing)
        else:
            await asyncio.sleep(watch_lag)
        sb.break_watches("reset")
        want = sum(map(len, expected.values()))
        await eventually(lambda: len(sink.lines) >= want, what="every line still served")
        await asyncio.sleep(0.3)  # room for repeats to show up
    assert _by_instance(sink) == expected


@pytest.mark.parametrize("watch_fault", ["failing", "half-open", "relisted"])
async def test_a_first_stream_opened_while_the_watch_lags_is_checked_with_the_server(
    sandbox: Any, cluster: Cluster, watch_fault: str
) -> None:
    """A container waits for a ``--max-log-requests`` slot and restarts meanwhile, while the pod
    watch lags: when its tail finally opens its first stream, the kubelet serves the new
    instance, which the watch cannot say yet.  The tail asks the API server before printing
    (a churn test lost the old instance's lines and printed the new one's twice).  The watch
    either fails (it is catching up) or goes silent without an error (half-open): then only
    the missing bookmarks tell, once ``quiet_watch`` seconds have passed.  Or it has relisted
    and its next watch is kept waiting (a 429's Retry-After, the client's rate limit): the
    statuses are current only once that watch is accepted."""
    sb = sandbox.cluster
    sb.bookmark_interval = 0.2
    sink = RecordingSink()
    sb.add_pod("web", containers=("app", "side"), labels={"app": "web"})
    old = _instance_of(sb, "side")
    config = Config(selection=Selection(label_selector="app=web"), follow=Follow(max_log_requests=1))
    policy = dataclasses.replace(NO_WATCHDOG, quiet_watch=1.0)
    async with engine(config, [cluster], sink, policy=policy):
        await streams_open(sandbox, 1)  # app streams; side waits for the slot
        sb.write("web", "side", "old 1", "old 2")
        if watch_fault == "failing":
            # Only the pod watch and its relists carry the label selector: the tail's own
            # question to the server (by name) is answered.
            failing = sb.fail_requests(503, times=10_000, path_contains="labelSelector=app")
            sb.break_watches("reset")
            await eventually(
                lambda: any("watching pods" in n.text for n in sink.notices), what="a failing watch"
            )
        elif watch_fault == "relisted":
            waiting = sb.fail_requests(429, times=1, path_contains="watch=true", retry_after=3)
            sb.break_watches("reset")
            await eventually(lambda: waiting.remaining == 0, what="the watch after the relist kept waiting")
        else:
            sb.break_watches("stall")
            await asyncio.sleep(1.5)  # past the quiet limit: no bookmark came
        sb.restart_container("web", "side")
        new = _instance_of(sb, "side")
        sb.write("web", "side", "new 1")
        # Free the slot: app's tail ends on a 403.
        sb.fail_requests(403, times=1, path_contains="container=app")
        sb.break_log_streams("reset", mid_line=False)
        await eventually(lambda: b"old 2" in sink.messages(), within=10, what="the old instance's lines")
        if watch_fault == "failing":
            failing.remaining = 0  # the watch recovers and reports the new instance
        elif watch_fault == "relisted":
            pass  # the watch is accepted after its Retry-After and reports the new instance
        else:
            sb.break_watches("reset")  # the silent watch breaks at last and reports it
        await eventually(lambda: len(sink.lines) >= 3, within=10, what="every line")
        await asyncio.sleep(0.3)  # room for repeats to show up
    printed = {cid: lines for cid, lines in _by_instance(sink).items() if cid in (old, new)}
    assert printed == {old: [b"old 1", b"old 2"], new: [b"new 1"]}
