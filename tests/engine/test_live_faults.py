"""Faults the follow engine survives (issue 6): each loses and repeats no line."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from pystern.kube import connect
from pystern.model import Notice, NoticeKind
from pystern.options import Config, Connection, Follow, Selection
from pystern.ports import Cluster
from pystern.tail import TRUNCATED
from tests.engine.conftest import FAST_POLICY, RecordingSink, engine, eventually, streams_open


def lines_of(sink: RecordingSink) -> Counter[tuple[str, bytes]]:
    return Counter((t.pod, line.split(b" ", 1)[1]) for t, line in sink.lines)


async def test_api_server_restart(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        sb.write("a", "app", "before")
        await eventually(lambda: sink.messages() == [b"before"])
        await sandbox.stop_serving()
        sb.write("a", "app", "during")
        sb.add_pod("b")
        sb.write("b", "app", "b during")
        await asyncio.sleep(0.3)
        await sandbox.resume_serving()
        sb.write("a", "app", "after")
        expected = Counter(
            {("a", b"before"): 1, ("a", b"during"): 1, ("a", b"after"): 1, ("b", b"b during"): 1}
        )
        await eventually(lambda: lines_of(sink) == expected, within=10, what="every line once")
    assert not sink.kinds(NoticeKind.GAVE_UP)


async def test_errors_opening_a_stream_are_retried(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.fail_requests(500, times=2, path_contains="/pods/a/log")
    sb.fail_requests(429, times=1, path_contains="/pods/b/log", retry_after=0)
    sb.add_pod("a")
    sb.add_pod("b")
    sb.write("a", "app", "a1")
    sb.write("b", "app", "b1")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await eventually(lambda: sorted(sink.messages()) == [b"a1", b"b1"], within=10)
    assert not sink.kinds(NoticeKind.GAVE_UP)
    # At most one notice per stream for its streak of failures.
    assert len(sink.kinds(NoticeKind.RETRYING)) <= 2


async def test_pod_starting_kubelet_404_and_unscheduled_pod(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.kubelet_not_found("starting", times=2)
    sb.add_pod("starting")
    sb.write("starting", "app", "up")
    sb.add_pod("pending", node="")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await eventually(lambda: sink.messages(pod="starting") == [b"up"], within=10)
        sb.schedule("pending")
        sb.write("pending", "app", "scheduled at last")
        await eventually(lambda: sink.messages(pod="pending") == [b"scheduled at last"])
    assert not sink.kinds(NoticeKind.GAVE_UP)


async def test_broken_and_closed_watches(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await asyncio.sleep(0.1)
        sb.break_watches("reset")
        sb.add_pod("one")
        sb.write("one", "app", "one")
        await eventually(lambda: sink.messages() == [b"one"])
        sb.break_watches("close")
        sb.add_pod("two")
        sb.write("two", "app", "two")
        await eventually(lambda: sorted(sink.messages()) == [b"one", b"two"])
    assert len(sink.kinds(NoticeKind.STARTED)) == 2


async def test_kubelet_error_text_is_printed_once(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.write("a", "app", "normal")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await eventually(lambda: len(sink.lines) == 1)
        sb.write_error_text("a", "app", "unable to retrieve container logs for containerd://abc")
        await eventually(lambda: len(sink.lines) == 2)
        await asyncio.sleep(0.5)  # several resume attempts happen meanwhile
    assert [line for _, line in sink.lines][1] == b"unable to retrieve container logs for containerd://abc"
    assert len(sink.lines) == 2


async def test_a_huge_line_is_cut_with_a_marker(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sink = RecordingSink()
    async with engine(Config(follow=Follow(tail_lines=0)), [cluster], sink):
        await streams_open(sandbox, 1)
        sb.write_long_line("a", "app", 3 * 1024 * 1024)
        sb.write("a", "app", "after the long one")
        await eventually(lambda: len(sink.lines) == 2, within=10)
    first, second = (line for _, line in sink.lines)
    assert first.endswith(TRUNCATED)
    assert len(first) <= 1024 * 1024 + len(TRUNCATED)
    assert second.endswith(b" after the long one")


async def test_condition_stops_and_restarts_tails(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.set_condition("a", "Ready", "False")
    sink = RecordingSink()
    config = Config(selection=Selection(condition=("ready", "false")), follow=Follow(tail_lines=0))
    async with engine(config, [cluster], sink):
        await streams_open(sandbox, 1)
        sb.write("a", "app", "not ready 1")
        await eventually(lambda: len(sink.lines) == 1)
        sb.set_condition("a", "Ready", "True")
        await eventually(lambda: len(sink.kinds(NoticeKind.STOPPED)) == 1)
        await eventually(lambda: not sb.streams, what="the cancelled stream closed")
        sb.write("a", "app", "ready: not shown")
        await asyncio.sleep(0.2)
        sb.set_condition("a", "Ready", "False")
        await eventually(lambda: len(sink.kinds(NoticeKind.STARTED)) == 2)
        await streams_open(sandbox, 1)
        sb.write("a", "app", "not ready 2")
        await eventually(lambda: len(sink.lines) == 2)
    assert sink.messages() == [b"not ready 1", b"not ready 2"]


async def test_forbidden_stream_gives_one_error_and_others_continue(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.fail_requests(403, times=5, path_contains="/pods/secret/log", message='pods "secret" is forbidden')
    sb.add_pod("secret")
    sb.add_pod("open")
    sb.write("open", "app", "visible")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await eventually(lambda: sink.messages() == [b"visible"])
        await eventually(lambda: len(sink.kinds(NoticeKind.ERROR)) == 1)
    (error,) = sink.kinds(NoticeKind.ERROR)
    assert "default/secret" in error.text


async def test_token_rotated_mid_run(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox.cluster
    token_file = tmp_path / "token"
    token_file.write_text(sandbox.token)
    config = sandbox.kubeconfig_dict()
    config["users"][0]["user"] = {"tokenFile": str(token_file)}
    kubeconfig = tmp_path / "rotating-kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    cluster = await connect(Connection(kubeconfig=str(kubeconfig)))
    sb.add_pod("a")
    sink = RecordingSink()
    try:
        async with engine(Config(), [cluster], sink):
            sb.write("a", "app", "old token")
            await eventually(lambda: len(sink.lines) == 1)
            token_file.write_text("rotated-token")
            sb.rotate_token("rotated-token")
            # New connections must use the new token: cut every stream and watch.
            sb.break_log_streams("reset", mid_line=False)
            sb.break_watches("reset")
            sb.write("a", "app", "new token")
            sb.add_pod("b")
            sb.write("b", "app", "b with new token")
            await eventually(lambda: len(sink.lines) == 3, within=10)
    finally:
        await cluster.aclose()
    assert sorted(sink.messages()) == [b"b with new token", b"new token", b"old token"]
    assert not sink.kinds(NoticeKind.GAVE_UP)


async def test_several_clusters_side_by_side(sandbox: Any, cluster: Cluster, tmp_path: Path) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.write("a", "app", "hi")
    path = sandbox.write_kubeconfig(tmp_path / "second", context="second")
    second = await connect(Connection(kubeconfig=str(path)))
    sink = RecordingSink()
    try:
        async with engine(Config(), [cluster, second], sink):
            await eventually(lambda: len(sink.lines) == 2)
    finally:
        await second.aclose()
    assert sorted(t.context for t, _ in sink.lines) == sorted([cluster.context, "second"])


async def test_a_stalled_stream_is_detected_and_resumed(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.add_pod("quiet")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        sb.write("a", "app", "1", "2")
        await eventually(lambda: len(sink.lines) == 2)
        sb.break_log_streams("stall")
        sb.write("a", "app", "3", "4")
        await eventually(lambda: len(sink.lines) == 4, within=5, what="lines after the stall")
        await asyncio.sleep(0.7)  # the quiet container is probed too, but nothing is cut there
    assert sink.messages() == [b"1", b"2", b"3", b"4"]
    stalls = [n for n in sink.kinds(NoticeKind.RETRYING) if "stalled" in n.text]
    assert [n.target.pod for n in stalls if n.target] == ["a"]


async def test_lines_of_an_instance_that_restarted_while_the_stream_was_broken(
    sandbox: Any, cluster: Cluster
) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        sb.write("a", "app", "old 1")
        await eventually(lambda: len(sink.lines) == 1)
        # Unsent lines, a reset mid-line, a failing reconnect, and meanwhile the container restarts.
        sb.fail_requests(503, times=1, path_contains="/pods/a/log")
        sb.write("a", "app", "old 2", "old 3")
        sb.break_log_streams("reset", mid_line=True)
        sb.restart_container("a", "app")
        sb.write("a", "app", "new 1")
        await eventually(lambda: len(sink.lines) >= 4, what="old and new lines")
        await asyncio.sleep(0.2)
    assert sorted(sink.messages()) == [b"new 1", b"old 1", b"old 2", b"old 3"]


async def test_cancelling_the_run_closes_every_stream(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    for i in range(5):
        sb.add_pod(f"p{i}")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink) as task:
        await streams_open(sandbox, 5)
        task.cancel()
        await asyncio.wait({task})
    await eventually(lambda: not sb.streams, what="every stream closed")
    assert task.cancelled()


async def test_a_token_expiring_during_a_streak_of_errors_is_reported(sandbox: Any, cluster: Cluster) -> None:
    # The first notice of the streak names the server error; the 401 that follows is what the user
    # must act on, so it gets a notice of its own (not only the give-up of each tail, minutes later).
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.write("a", "app", "hi")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await eventually(lambda: len(sink.lines) == 1)
        sb.fail_requests(500, times=10_000, path_contains="/pods?")
        sb.break_watches("close")
        await eventually(lambda: len(sink.kinds(NoticeKind.RETRYING)) == 1, what="the 500's notice")
        sb.rotate_token("rotated-token")
        await eventually(lambda: len(sink.kinds(NoticeKind.RETRYING)) == 2, what="the 401's notice")
    first, second = (n.text for n in sink.kinds(NoticeKind.RETRYING))
    assert first.startswith("watching pods in namespace default: Internal error occurred")
    assert second.startswith(
        "watching pods in namespace default: You must be logged in to the server (Unauthorized); retrying in"
    )


async def test_a_token_expiring_during_a_tails_streak_of_errors_is_reported(
    sandbox: Any, cluster: Cluster
) -> None:
    # The same for a log stream: its streak began with a server error, and the 401 that follows
    # gets a notice of its own instead of silence until the tail gives up.
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.write("a", "app", "hi")
    sink = RecordingSink()

    def tail_notices() -> list[Notice]:
        return [n for n in sink.kinds(NoticeKind.RETRYING) if n.target is not None]

    async with engine(Config(), [cluster], sink, policy=dataclasses.replace(FAST_POLICY, stall_check=0)):
        await eventually(lambda: len(sink.lines) == 1)
        sb.fail_requests(500, times=10_000, path_contains="/log")
        sb.break_log_streams("reset", mid_line=False)
        await eventually(
            lambda: any(n.text.startswith("Internal error occurred") for n in tail_notices()),
            what="the 500's notice",
        )
        sb.rotate_token("rotated-token")
        await eventually(lambda: "Unauthorized" in tail_notices()[-1].text, what="the 401's notice")
    texts = [n.text for n in tail_notices()]
    # The stream's break, the server's error, then the 401: one notice each, no repeats.
    assert texts[0].startswith("log stream of default/a app broke")
    assert texts[1].startswith("Internal error occurred")
    assert texts[2].startswith("You must be logged in to the server (Unauthorized); retrying in")
    assert len(texts) == 3


async def test_a_tail_waits_out_refused_credentials_and_resumes_when_they_work_again(
    sandbox: Any, cluster: Cluster
) -> None:
    # Following, a 401 is not a reason to give up: the credentials may be renewed (an exec
    # plugin, a rotated token file, a new login).  The tail waits for the pod watch to get
    # through again and then prints what was written meanwhile, each line once.
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.write("a", "app", "before")
    sink = RecordingSink()
    token = sb.token
    async with engine(Config(), [cluster], sink, policy=dataclasses.replace(FAST_POLICY, stall_check=0)):
        await eventually(lambda: sink.messages() == [b"before"], what="the first line")

        def attempts() -> int:  # requests for a's log, refused ones too
            return sum(1 for path, _ in sb.headers_seen if path == "/api/v1/namespaces/default/pods/a/log")

        before = attempts()
        sb.rotate_token("renewed-elsewhere")
        sb.break_log_streams("reset", mid_line=False)
        sb.write("a", "app", "during")
        # More refused attempts than give_up_after (10): counted, not timed (about 3 s at this pace).
        more = FAST_POLICY.give_up_after + 1
        await eventually(lambda: attempts() - before >= more, within=10, what=f"{more} refused attempts")
        sb.rotate_token(token)  # the credentials work again
        sb.write("a", "app", "after")
        await eventually(lambda: sink.messages() == [b"before", b"during", b"after"], within=10)
        await asyncio.sleep(0.3)  # room for repeats to show up
    assert sink.messages() == [b"before", b"during", b"after"]
    assert not sink.kinds(NoticeKind.GAVE_UP)


async def test_a_broken_stream_is_reported_in_words_not_in_the_http_librarys(
    sandbox: Any, cluster: Cluster
) -> None:
    """A body cut short and a closed connection read as what happened; aiohttp's text named its
    parser ("Response payload is not completed: <TransferEncodingError: 400, ...>")."""
    sb = sandbox.cluster
    sb.add_pod("web")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await streams_open(sandbox, 1)
        sb.write("web", "app", "one")
        await eventually(lambda: len(sink.lines) == 1, what="the first line")
        sb.break_log_streams("reset", mid_line=True)
        sb.break_watches("reset")
        await eventually(lambda: len(sink.kinds(NoticeKind.RETRYING)) >= 2, what="both notices")
    texts = sorted(n.text for n in sink.kinds(NoticeKind.RETRYING))
    assert texts[0].startswith(
        "log stream of default/web app broke: the connection was closed in the middle of the answer;"
    ), texts
    assert texts[1].startswith(
        "watching pods in namespace default: pod watch broke: the connection was closed in the middle"
    ), texts
