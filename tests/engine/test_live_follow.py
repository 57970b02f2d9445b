"""The engine in follow mode against the sandbox, through the real kube client."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest

from pystern.model import NoticeKind
from pystern.options import Config, Follow, Selection
from pystern.ports import Cluster
from tests.engine.conftest import RecordingSink, engine, eventually, streams_open


def numbered(prefix: str, start: int, stop: int) -> list[str]:
    return [f"{prefix} {i}" for i in range(start, stop)]


async def test_a_pod_added_later_is_tailed_from_its_first_line(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("early")
    sb.write("early", "app", *numbered("early", 0, 5))
    sink = RecordingSink()
    # --tail 1 applies to containers already running at start only (stern's restart gap, fixed).
    async with engine(Config(follow=Follow(tail_lines=1)), [cluster], sink):
        await eventually(lambda: sink.messages(pod="early") == [b"early 4"], what="early's last line")
        sb.add_pod("late")
        sb.write("late", "app", *numbered("late", 0, 3))
        await eventually(lambda: sink.messages(pod="late") == [b"late 0", b"late 1", b"late 2"], what="late")
    started = [n.target.pod for n in sink.kinds(NoticeKind.STARTED) if n.target]
    assert sorted(started) == ["early", "late"]


async def test_a_deleted_pod_ends_its_tail(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("web")
    sb.write("web", "app", "hello")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await eventually(lambda: sink.messages() == [b"hello"])
        sb.delete_pod("web")
        await eventually(lambda: len(sink.kinds(NoticeKind.STOPPED)) == 1, what="'-' after deletion")
    assert not sink.kinds(NoticeKind.GAVE_UP)


async def test_a_restart_is_tailed_from_the_new_instance_first_line(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("web")
    sb.write("web", "app", "before")
    sink = RecordingSink()
    async with engine(Config(follow=Follow(tail_lines=0)), [cluster], sink):
        await streams_open(sandbox, 1)
        sb.write("web", "app", "old 1")
        await eventually(lambda: sink.messages() == [b"old 1"])
        sb.restart_container("web", "app", reason="OOMKilled", exit_code=137)
        sb.write("web", "app", "new 1", "new 2")
        await eventually(lambda: sink.messages() == [b"old 1", b"new 1", b"new 2"], what="new instance")
        await eventually(lambda: len(sink.kinds(NoticeKind.TERMINATED)) == 1)
    (note,) = sink.kinds(NoticeKind.TERMINATED)
    assert note.text == "terminated: OOMKilled (exit 137), restart 1"
    ids = {t.container_id for t, _ in sink.lines}
    assert len(ids) == 2


async def test_resets_mid_line_and_clean_eofs_lose_and_repeat_nothing(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    pods = ["a", "b", "c"]
    for name in pods:
        sb.add_pod(name, containers=("app", "side"))
    sink = RecordingSink()
    expected: Counter[tuple[str, str, bytes]] = Counter()

    def write(start: int, stop: int) -> None:
        for name in pods:
            for cont in ("app", "side"):
                lines = numbered(f"{name}/{cont}", start, stop)
                sb.write(name, cont, *lines)
                expected.update((name, cont, line.encode()) for line in lines)

    def got() -> Counter[tuple[str, str, bytes]]:
        return Counter((t.pod, t.container, line.split(b" ", 1)[1]) for t, line in sink.lines)

    async with engine(Config(), [cluster], sink):
        write(0, 50)
        await eventually(lambda: got() == expected, what="first batch")
        write(50, 80)
        assert sb.break_log_streams("reset", mid_line=True) > 0
        write(80, 120)
        await eventually(lambda: sum(got().values()) >= sum(expected.values()), what="after reset")
        assert sb.break_log_streams("eof") > 0
        write(120, 160)
        await eventually(lambda: sum(got().values()) >= sum(expected.values()), what="after eof")
        write(160, 170)
        await eventually(lambda: got() == expected, what="every line")
    assert got() == expected
    assert not sink.kinds(NoticeKind.GAVE_UP)
    retries = [n.text for n in sink.kinds(NoticeKind.RETRYING)]
    assert any("ended while the container runs" in text for text in retries)
    assert len(retries) >= 12  # each of the 6 streams was reset once and ended once
    # No container was tailed twice: one "+" per container.
    assert len(sink.kinds(NoticeKind.STARTED)) == 6


async def test_expired_watch_relists_without_duplicate_tails(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("one")
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await eventually(lambda: len(sink.kinds(NoticeKind.STARTED)) == 1)
        sb.expire_watches()
        sb.add_pod("two")
        sb.write("two", "app", "two says hi")
        sb.expire_watches()
        sb.write("one", "app", "one says hi")
        await eventually(lambda: sorted(sink.messages()) == [b"one says hi", b"two says hi"])
    assert sorted(n.target.pod for n in sink.kinds(NoticeKind.STARTED) if n.target) == ["one", "two"]


async def test_150_containers_followed_at_once(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    for i in range(50):
        sb.add_pod(f"p{i:02d}", containers=("a", "b", "c"))
    sink = RecordingSink()
    async with engine(Config(follow=Follow(max_log_requests=0)), [cluster], sink):
        await eventually(lambda: len(sink.kinds(NoticeKind.STARTED)) == 150, within=15, what="150 tails")
        for i in range(50):
            for c in "abc":
                sb.write(f"p{i:02d}", c, f"hello from {i} {c}")
        await eventually(lambda: len(sink.lines) == 150, within=15, what="150 lines")
    assert len({(t.pod, t.container) for t, _ in sink.lines}) == 150


async def test_max_log_requests_queues_instead_of_failing(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    for name in ("a", "b", "c"):
        sb.add_pod(name)
        sb.write(name, "app", f"{name} line")
    sink = RecordingSink()
    async with engine(Config(follow=Follow(max_log_requests=2)), [cluster], sink):
        await eventually(lambda: len(sink.kinds(NoticeKind.STARTED)) == 2)
        await eventually(lambda: len(sink.kinds(NoticeKind.WAITING)) == 1)
        (waiting,) = sink.kinds(NoticeKind.WAITING)
        assert "1 container" in waiting.text
        assert "--max-log-requests" in waiting.text
        tailed = {n.target.pod for n in sink.kinds(NoticeKind.STARTED) if n.target}
        (first,) = sorted(tailed)[:1]
        sb.delete_pod(first)
        await eventually(lambda: len(sink.kinds(NoticeKind.STARTED)) == 3, what="the queued one starts")
        await eventually(lambda: len(sink.lines) == 3)
    assert sorted(sink.messages()) == [b"a line", b"b line", b"c line"]


async def test_selection_flags_reach_the_right_containers(sandbox: Any, cluster: Cluster) -> None:
    import regex

    sb = sandbox.cluster
    sb.add_pod("web-1", containers=("app", "istio-proxy"), init_containers=("setup",), labels={"app": "web"})
    sb.add_pod("web-2", containers=("app",), labels={"app": "web"})
    sb.add_pod("db-1", containers=("app",), labels={"app": "db"})
    for pod, conts in (("web-1", ("app", "istio-proxy")), ("web-2", ("app",)), ("db-1", ("app",))):
        for c in conts:
            sb.write(pod, c, f"{pod}/{c}")
    selection = Selection(
        pod_query=regex.compile("web"),
        label_selector="app=web",
        exclude_pods=(regex.compile("-2$"),),
        exclude_containers=(regex.compile("istio"),),
        init_containers=False,
    )
    sink = RecordingSink()
    async with engine(Config(selection=selection), [cluster], sink):
        await eventually(lambda: sink.messages() == [b"web-1/app"])
        sb.add_pod("web-3", labels={"app": "web"})
        sb.write("web-3", "app", "web-3/app")
        await eventually(lambda: len(sink.lines) == 2)
    assert sorted(sink.messages()) == [b"web-1/app", b"web-3/app"]


async def test_deployment_query_follows_owned_pods_through_a_rollout(sandbox: Any, cluster: Cluster) -> None:
    from pystern.kube.workloads import resolve_workload
    from pystern.options import ResourceQuery

    sb = sandbox.cluster
    sb.add_deployment("web", replicas=2, labels={"app": "web"})
    # Same labels, another owner: a label selector alone would tail it (stern does).
    sb.add_pod("impostor", labels={"app": "web"})
    sb.write("impostor", "app", "not mine")
    for pod in list(sb.pods.values()):
        if pod.name.startswith("web-"):
            sb.write(pod.name, "app", f"{pod.name} v1")
    sink = RecordingSink()
    config = Config(selection=Selection(resource=ResourceQuery("deployments", "web")))
    async with engine(config, [cluster], sink, resolve_workload=resolve_workload):
        await eventually(lambda: len(sink.lines) == 2, what="both replicas")
        new = sb.rolling_step("web")
        new_name = new["metadata"]["name"]
        await eventually(
            lambda: any(n.target and n.target.pod == new_name for n in sink.kinds(NoticeKind.STARTED))
        )
        sb.write(new_name, "app", "v2")
        await eventually(lambda: sink.messages(pod=new_name) == [b"v2"])
    assert b"not mine" not in sink.messages()


async def test_namespaces_all_and_several(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    for ns in ("default", "team-a", "team-b"):
        sb.add_pod(f"pod-{ns}", namespace=ns)
        sb.write(f"pod-{ns}", "app", ns, namespace=ns)
    sink = RecordingSink()
    async with engine(Config(selection=Selection(all_namespaces=True)), [cluster], sink):
        await eventually(lambda: len(sink.lines) == 3)
    assert sorted(t.namespace for t, _ in sink.lines) == ["default", "team-a", "team-b"]
    sink = RecordingSink()
    async with engine(Config(selection=Selection(namespaces=("team-a", "team-b"))), [cluster], sink):
        await eventually(lambda: len(sink.lines) == 2)
        sb.add_pod("late", namespace="team-b")
        sb.write("late", "app", "late", namespace="team-b")
        await eventually(lambda: len(sink.lines) == 3)
    assert sorted(sink.messages()) == [b"late", b"team-a", b"team-b"]


async def test_a_container_that_terminates_ends_with_a_notice(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("job", containers=("work",))
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await streams_open(sandbox, 1)
        sb.write("job", "work", "working", "done")
        sb.terminate_container("job", "work", reason="Error", exit_code=3)
        await eventually(lambda: len(sink.kinds(NoticeKind.STOPPED)) == 1)
        await eventually(lambda: len(sink.kinds(NoticeKind.TERMINATED)) == 1)
    assert sink.messages() == [b"working", b"done"]
    assert sink.kinds(NoticeKind.TERMINATED)[0].text == "terminated: Error (exit 3), restart 0"
    assert not sink.kinds(NoticeKind.RETRYING)


@pytest.mark.parametrize(
    "follow", [Follow(tail_lines=0), Follow(since_seconds=2.0)], ids=["tail-0", "since-2s"]
)
async def test_a_quiet_container_that_restarts_keeps_the_history_window(
    sandbox: Any, cluster: Cluster, follow: Follow
) -> None:
    """``--tail 0`` (or ``--since``) hides the lines written before pystern started.  A container
    that wrote nothing since and then restarts has its old instance read to its end
    (``previous``), which must not bring those hidden lines back: the read is bounded by when
    the tail began."""
    sb = sandbox.cluster
    sb.add_pod("web")
    sb.write("web", "app", "hidden 1", "hidden 2", ts_ns=time.time_ns() - 5_000_000_000)
    sink = RecordingSink()
    async with engine(Config(follow=follow), [cluster], sink):
        await streams_open(sandbox, 1)
        sb.restart_container("web", "app")
        sb.write("web", "app", "new 1")
        await eventually(lambda: sink.messages() == [b"new 1"], what="the new instance's line")
        await asyncio.sleep(0.5)  # room for the old instance's read to print what it should not
    assert sink.messages() == [b"new 1"]


async def test_names_that_join_alike_are_told_apart(sandbox: Any, cluster: Cluster) -> None:
    # stern keys its container table by "<ns>-<pod>-<container>": pod web's api-proxy and pod
    # web-api's proxy share a key, so each status update of one started another tail of the other.
    sb = sandbox.cluster
    sb.add_pod("web", containers=("api-proxy",))
    sb.add_pod("web-api", containers=("proxy",))
    sink = RecordingSink()
    async with engine(Config(), [cluster], sink):
        await streams_open(sandbox, 2)
        for status in ("False", "True", "False"):
            sb.set_condition("web", "Ready", status)
            sb.set_condition("web-api", "Ready", status)
        sb.write("web", "api-proxy", "from web")
        sb.write("web-api", "proxy", "from web-api")
        await eventually(lambda: len(sink.lines) == 2, what="one line from each")
        await asyncio.sleep(0.3)  # a duplicate tail would print its copy meanwhile
    assert sorted(sink.messages()) == [b"from web", b"from web-api"]
    started = sorted((n.target.pod, n.target.container) for n in sink.kinds(NoticeKind.STARTED) if n.target)
    assert started == [("web", "api-proxy"), ("web-api", "proxy")]
