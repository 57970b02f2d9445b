"""--no-follow and --sort against the sandbox, through the real kube client."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import regex

from pystern.model import NoticeKind
from pystern.options import Config, Follow, Output, Selection
from pystern.ports import Cluster
from pystern.run import run
from tests.engine.conftest import FAST_POLICY, RecordingSink, engine, eventually, streams_open

NOW = time.time_ns()


async def test_no_follow_prints_everything_and_exits_0(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    for name in ("a", "b", "c", "d"):
        sb.add_pod(name, containers=("app", "side"))
        for cont in ("app", "side"):
            sb.write(name, cont, *[f"{name}/{cont} {i}" for i in range(20)])
    sink = RecordingSink()
    config = Config(follow=Follow(follow=False, max_log_requests=3))
    code = await asyncio.wait_for(run(config, [cluster], sink, policy=FAST_POLICY), 10)
    assert code == 0
    assert len(sink.lines) == 160
    assert len(sink.kinds(NoticeKind.STARTED)) == len(sink.kinds(NoticeKind.STOPPED)) == 8
    for name in ("a", "b", "c", "d"):
        assert sink.messages(pod=name, container="app") == [f"{name}/app {i}".encode() for i in range(20)]


async def test_no_follow_tail_and_partial_last_line(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.write("a", "app", "one", "two", "three")
    sb.write_partial("a", "app", "no newline at the end")
    sink = RecordingSink()
    code = await run(Config(follow=Follow(follow=False, tail_lines=2, max_log_requests=5)), [cluster], sink)
    assert code == 0
    assert sink.messages() == [b"three", b"no newline at the end"]


def _good_and_forbidden(sandbox: Any) -> None:
    """Two pods with a line each; reading the log of "bad" is forbidden (403) ten times over."""
    sb = sandbox.cluster
    for name in ("good", "bad"):
        sb.add_pod(name)
        sb.write(name, "app", f"{name} line")
    sb.fail_requests(403, times=10, path_contains="/pods/bad/log", message='pods "bad" is forbidden: no')


async def test_no_follow_exit_1_after_the_others_finished(sandbox: Any, cluster: Cluster) -> None:
    _good_and_forbidden(sandbox)
    sink = RecordingSink()
    code = await run(
        Config(follow=Follow(follow=False, max_log_requests=1)), [cluster], sink, policy=FAST_POLICY
    )
    assert code == 1
    assert sink.messages() == [b"good line"]
    (error,) = sink.kinds(NoticeKind.ERROR)[-1:]
    assert "forbidden" in error.text


async def test_no_follow_failure_summary_counts_and_names_the_first(sandbox: Any, cluster: Cluster) -> None:
    _good_and_forbidden(sandbox)
    sink = RecordingSink()
    config = Config(follow=Follow(follow=False, max_log_requests=1))
    assert await run(config, [cluster], sink, policy=FAST_POLICY) == 1
    # The per-stream notice came first; the summary adds what it could not: how many failed of how many.
    summary = sink.kinds(NoticeKind.ERROR)[-1]
    first = 'default/bad app: pods "bad" is forbidden: no'
    assert summary.text == f"1 of 2 log streams failed; the first: {first}"


async def test_no_follow_says_when_nothing_matched(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("web")
    sb.write("web", "app", "hello")
    sink = RecordingSink()
    config = Config(selection=Selection(pod_query=regex.compile("nomatch")), follow=Follow(follow=False))
    assert await run(config, [cluster], sink, policy=FAST_POLICY) == 0
    (warning,) = sink.kinds(NoticeKind.WARNING)
    assert warning.text == 'no container matched in namespace "default"'
    sink = RecordingSink()
    everywhere = Selection(all_namespaces=True, pod_query=regex.compile("x"))
    config = Config(selection=everywhere, follow=Follow(follow=False))
    assert await run(config, [cluster], sink, policy=FAST_POLICY) == 0
    assert [n.text for n in sink.kinds(NoticeKind.WARNING)] == ["no container matched in any namespace"]


async def test_nothing_matched_names_a_namespace_that_does_not_exist(sandbox: Any, cluster: Cluster) -> None:
    # `-n kube-sytem`: the API server lists pods of a missing namespace as an empty list, so
    # stern shows nothing at all; the warning says which namespace is the typo.
    sandbox.cluster.add_namespace("shop")
    sink = RecordingSink()
    config = Config(selection=Selection(namespaces=("shop", "shpo")), follow=Follow(follow=False))
    assert await run(config, [cluster], sink, policy=FAST_POLICY) == 0
    (warning,) = sink.kinds(NoticeKind.WARNING)
    assert (
        warning.text == 'no container matched in namespaces "shop", "shpo" (namespace "shpo" does not exist)'
    )


async def test_nothing_matched_says_nothing_of_namespaces_it_may_not_read(
    sandbox: Any, cluster: Cluster
) -> None:
    # Most users may not read Namespace objects (a cluster-scope right): a 403 is no evidence.
    sandbox.cluster.forbid("", resource="namespaces")
    sink = RecordingSink()
    config = Config(selection=Selection(namespaces=("shpo",)), follow=Follow(follow=False))
    assert await run(config, [cluster], sink, policy=FAST_POLICY) == 0
    (warning,) = sink.kinds(NoticeKind.WARNING)
    assert warning.text == 'no container matched in namespace "shpo"'


async def test_no_follow_survives_a_transient_error(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.write("a", "app", "x", "y")
    sb.fail_requests(503, times=1, path_contains="/pods/a/log")
    sink = RecordingSink()
    code = await run(
        Config(follow=Follow(follow=False, max_log_requests=5)), [cluster], sink, policy=FAST_POLICY
    )
    assert code == 0
    assert sink.messages() == [b"x", b"y"]
    assert len(sink.kinds(NoticeKind.RETRYING)) == 1


async def test_no_follow_sort_is_exact_across_containers(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    base = NOW - 60 * 1_000_000_000
    names = [f"p{i}" for i in range(7)]
    for i, name in enumerate(names):
        sb.add_pod(name)
        # Interleaved times: pod i writes at base + i, base + i + 7, ... (ms apart).
        for k in range(30):
            sb.write(name, "app", f"{name} {k}", ts_ns=base + (k * 7 + i) * 1_000_000)
    sink = RecordingSink()
    # A pool of 2 must not deadlock the merge: --sort opens every stream.
    config = Config(follow=Follow(follow=False, max_log_requests=2), output=Output(sort=True))
    code = await asyncio.wait_for(run(config, [cluster], sink), 10)
    assert code == 0
    stamps = [line[:30] for _, line in sink.lines]
    assert len(stamps) == 210
    assert stamps == sorted(stamps)
    assert sink.messages()[:8] == [b"p0 0", b"p1 0", b"p2 0", b"p3 0", b"p4 0", b"p5 0", b"p6 0", b"p0 1"]


async def test_follow_sort_window_orders_lines(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("x")
    sb.add_pod("y")
    sink = RecordingSink()
    config = Config(follow=Follow(tail_lines=0), output=Output(sort=True, sort_window=0.8))
    async with engine(config, [cluster], sink):
        await streams_open(sandbox, 2)
        t0 = time.time_ns()
        sb.write("x", "app", "second", ts_ns=t0 + 2_000_000)
        await asyncio.sleep(0.05)
        sb.write("y", "app", "first", ts_ns=t0 + 1_000_000)
        await eventually(lambda: len(sink.lines) == 2)
    assert sink.messages() == [b"first", b"second"]


async def test_follow_says_when_nothing_matches_yet(sandbox: Any, cluster: Cluster) -> None:
    sink = RecordingSink()
    config = Config(selection=Selection(pod_query=regex.compile("^web")), follow=Follow(tail_lines=0))
    async with engine(config, [cluster], sink):
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the warning")
        sandbox.cluster.add_pod("web-1")
        await streams_open(sandbox, 1)
        sandbox.cluster.write("web-1", "app", "hello")
        await eventually(lambda: sink.messages() == [b"hello"])
    (warning,) = sink.kinds(NoticeKind.WARNING)
    assert warning.text == 'no container matched in namespace "default" yet; waiting for one'


async def test_follow_names_a_namespace_that_does_not_exist(sandbox: Any, cluster: Cluster) -> None:
    sink = RecordingSink()
    config = Config(selection=Selection(namespaces=("kube-sytem",)), follow=Follow(tail_lines=0))
    async with engine(config, [cluster], sink):
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the warning")
    (warning,) = sink.kinds(NoticeKind.WARNING)
    missing = '(namespace "kube-sytem" does not exist)'
    assert warning.text == f'no container matched in namespace "kube-sytem" yet; waiting for one {missing}'


async def test_follow_is_silent_when_something_matched(sandbox: Any, cluster: Cluster) -> None:
    sandbox.cluster.add_pod("web-1")
    sink = RecordingSink()
    async with engine(Config(follow=Follow(tail_lines=0)), [cluster], sink):
        await streams_open(sandbox, 1)
        await asyncio.sleep(0.1)
    assert not sink.kinds(NoticeKind.WARNING)


async def test_pod_resource_query_is_an_exact_name(sandbox: Any, cluster: Cluster) -> None:
    from pystern.options import ResourceQuery

    sb = sandbox.cluster
    for name in ("web", "web-2", "xweb"):
        sb.add_pod(name)
        sb.write(name, "app", name)
    sink = RecordingSink()
    selection = Selection(resource=ResourceQuery("pods", "web"), pod_query=regex.compile(""))
    code = await run(
        Config(selection=selection, follow=Follow(follow=False, max_log_requests=5)), [cluster], sink
    )
    assert code == 0
    assert sink.messages() == [b"web"]
