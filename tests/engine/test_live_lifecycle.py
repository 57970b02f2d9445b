"""Pod and container lifecycle as a stern user meets it: history rules, conditions, restarts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import regex

from pystern.model import NoticeKind
from pystern.options import Config, Connection, ContainerState, Follow, ResourceQuery, Selection
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


@pytest.mark.parametrize("resource", ["deployments", "statefulsets", "jobs"])
async def test_a_workload_deleted_and_created_again_is_still_followed(
    sandbox: Any, cluster: Cluster, resource: str
) -> None:
    # `kubectl delete -f app.yaml && kubectl apply -f app.yaml` while following deploy/api: the new
    # object has a new UID, but it is what the user asked for (stern, by labels, follows it too).
    from pystern.kube.workloads import resolve_workload

    sb = sandbox.cluster
    add = {"deployments": sb.add_deployment, "statefulsets": sb.add_statefulset, "jobs": sb.add_job}[resource]
    add("api", labels={"app": "api"}, containers=("app",))
    sb.add_pod("impostor", labels={"app": "api"})  # same labels, not the workload's
    config = Config(selection=Selection(resource=ResourceQuery(resource, "api")))
    sink = RecordingSink()
    async with engine(config, [cluster], sink, resolve_workload=resolve_workload):
        await eventually(lambda: len(sink.kinds(NoticeKind.STARTED)) == 1, what="the first pod")
        sb.delete_workload(resource, "api")
        await eventually(lambda: len(sink.kinds(NoticeKind.STOPPED)) == 1, what="the old pod's end")
        add("api", labels={"app": "api"}, containers=("app",))
        (pod,) = [p.name for p in sb.pods.values() if p.name.startswith("api-")]
        await eventually(lambda: len(sink.kinds(NoticeKind.STARTED)) == 2, what="the new pod")
        sb.write(pod, "app", "from the new api")
        sb.write("impostor", "app", "not mine")
        await eventually(lambda: sink.messages(pod=pod) == [b"from the new api"], what="its line")
    assert b"not mine" not in sink.messages()


async def test_nothing_to_tail_says_which_pods_have_not_started(sandbox: Any, cluster: Cluster) -> None:
    # `pystern my-pod --no-follow` while the pod is still Pending: "no container matched" alone reads
    # as a wrong query.
    from pystern.run import run

    sb = sandbox.cluster
    sb.add_pod("web-1", node="")  # not scheduled yet
    sb.add_pod("web-2", running=False)  # ContainerCreating
    sb.add_pod("other")
    query = regex.compile("web-1")
    sink = RecordingSink()
    config = Config(selection=Selection(pod_query=query), follow=Follow(follow=False))
    assert await run(config, [cluster], sink) == 0
    (warning,) = sink.kinds(NoticeKind.WARNING)
    assert warning.text == (
        'no container matched in namespace "default" (pod "web-1" has not started a container yet)'
    )
    sink = RecordingSink()
    config = Config(selection=Selection(pod_query=regex.compile("web")), follow=Follow(tail_lines=0))
    async with engine(config, [cluster], sink):
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the warning")
    (warning,) = sink.kinds(NoticeKind.WARNING)
    assert warning.text == (
        'no container matched in namespace "default" yet; waiting for one'
        " (2 pods have not started a container yet)"
    )
    sink = RecordingSink()
    config = Config(selection=Selection(pod_query=regex.compile("other"), container_query=regex.compile("x")))
    async with engine(config, [cluster], sink):  # filtered out, not waiting: nothing to add
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the warning")
    assert sink.kinds(NoticeKind.WARNING)[0].text.endswith("waiting for one")


async def test_nothing_to_tail_names_the_chosen_container_that_has_not_started(
    sandbox: Any, cluster: Cluster
) -> None:
    # `pystern web -c side --no-follow` while side is still being created: the pod has started app,
    # so "no container matched" alone reads as a typo in -c.  A container -c leaves out is no reason.
    from pystern.run import run

    sb = sandbox.cluster
    sb.add_pod("web", containers=("app", "side"), running=False)
    sb.set_running("web", "app")
    selection = Selection(pod_query=regex.compile("web"), container_query=regex.compile("side"))
    sink = RecordingSink()
    assert await run(Config(selection=selection, follow=Follow(follow=False)), [cluster], sink) == 0
    (warning,) = sink.kinds(NoticeKind.WARNING)
    assert warning.text == (
        'no container matched in namespace "default" (pod "web" has not started container "side" yet)'
    )
    sb.add_pod("api", containers=("app",), running=False)
    selection = Selection(pod_query=regex.compile("api"), container_query=regex.compile("nope"))
    sink = RecordingSink()
    assert await run(Config(selection=selection, follow=Follow(follow=False)), [cluster], sink) == 0
    (warning,) = sink.kinds(NoticeKind.WARNING)
    assert warning.text == 'no container matched in namespace "default"'


@pytest.mark.parametrize("ephemeral", [True, False])
async def test_a_debug_container_added_to_a_running_pod_is_followed(
    sandbox: Any, cluster: Cluster, ephemeral: bool
) -> None:
    # `kubectl debug -it web --image=busybox` adds an ephemeral container to a pod already followed.
    sb = sandbox.cluster
    sb.add_pod("web")
    sink = RecordingSink()
    config = Config(selection=Selection(ephemeral_containers=ephemeral), follow=Follow(tail_lines=0))
    async with engine(config, [cluster], sink):
        await streams_open(sandbox, 1)
        sb.add_ephemeral_container("web", "debugger-x7k2p")
        sb.write("web", "debugger-x7k2p", "/ # ps")
        sb.write("web", "app", "app goes on")
        await eventually(lambda: b"app goes on" in sink.messages(), what="the app's line")
        if ephemeral:
            await eventually(lambda: sink.messages(container="debugger-x7k2p") == [b"/ # ps"])
    started = [n.target.container for n in sink.kinds(NoticeKind.STARTED) if n.target]
    assert started == (["app", "debugger-x7k2p"] if ephemeral else ["app"])


async def test_a_container_restarted_while_its_pod_did_not_match_condition_shows_no_history(
    sandbox: Any, cluster: Cluster
) -> None:
    # The instance that ran while the pod did not match, and the one before it, are not the
    # user's business: matching again means new lines only (stern's --tail=0 rule).
    sb = sandbox.cluster
    sb.add_pod("a")
    sb.write("a", "app", "first instance, before pystern started")
    sink = RecordingSink()
    config = Config(selection=Selection(condition=("ready", "false")), follow=Follow(tail_lines=0))
    async with engine(config, [cluster], sink):
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the nothing-matched notice")
        sb.restart_container("a", "app")
        sb.write("a", "app", "second instance, while ready")
        await asyncio.sleep(0.2)  # the restart reaches pystern while the pod does not match
        sb.set_condition("a", "Ready", "False")
        await streams_open(sandbox, 1)
        sb.write("a", "app", "not ready")
        await eventually(lambda: b"not ready" in sink.messages(), what="the new line")
        await asyncio.sleep(0.2)
    assert sink.messages() == [b"not ready"]


async def test_container_state_running_skips_a_crashed_instance_for_good(
    sandbox: Any, cluster: Cluster
) -> None:
    # --container-state running: a CrashLoopBackOff container at start is skipped (stern's rule);
    # when it runs again the new instance is tailed, and the crashed one is not read back.
    from pystern.options import ContainerState

    sb = sandbox.cluster
    sb.add_pod("crashy")
    sb.write("crashy", "app", "crashed instance")
    sb.set_waiting("crashy", "app", "CrashLoopBackOff")
    sink = RecordingSink()
    config = Config(selection=Selection(container_states=frozenset({ContainerState.RUNNING})))
    async with engine(config, [cluster], sink):
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the nothing-matched notice")
        sb.set_running("crashy", "app")
        sb.write("crashy", "app", "running again")
        await eventually(lambda: b"running again" in sink.messages(), what="the new instance")
        await asyncio.sleep(0.2)
    assert sink.messages() == [b"running again"]


async def test_container_state_does_not_filter_a_pod_created_later(sandbox: Any, cluster: Cluster) -> None:
    # stern.md 3.2: a new pod shows up with no container ID first (ContainerCreating), so its
    # containers are tailed whatever their state; --container-state filters what ran at start-up.
    from pystern.options import ContainerState

    sb = sandbox.cluster
    sb.add_pod("old")
    sb.write("old", "app", "old is running")
    sink = RecordingSink()
    config = Config(selection=Selection(container_states=frozenset({ContainerState.TERMINATED})))
    async with engine(config, [cluster], sink):
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the nothing-matched notice")
        sb.add_pod("new")
        sb.write("new", "app", "new is running")
        await eventually(lambda: sink.messages() == [b"new is running"], what="the new pod's line")
    assert [n.target.pod for n in sink.kinds(NoticeKind.STARTED) if n.target] == ["new"]


async def test_a_pod_relabelled_into_the_selector_gets_the_start_up_window(
    sandbox: Any, cluster: Cluster
) -> None:
    # It ran before pystern started, only without the label: --tail applies to it as to the pods
    # that matched at start-up; it printed its whole log.
    sb = sandbox.cluster
    sb.add_pod("web", labels={"app": "other"}, age=5)
    for n in range(1, 4):
        sb.write("web", "app", f"old {n}")
    sink = RecordingSink()
    config = Config(selection=Selection(label_selector="app=web"), follow=Follow(tail_lines=1))
    async with engine(config, [cluster], sink):
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the nothing-matched notice")
        sb.set_labels("web", {"app": "web"})
        await streams_open(sandbox, 1)
        sb.write("web", "app", "new")
        await eventually(lambda: b"new" in sink.messages(), what="the new line")
    assert sink.messages() == [b"old 3", b"new"]


@pytest.mark.parametrize("clock_ahead", [0, 3600], ids=["same-clock", "local-clock-an-hour-ahead"])
async def test_a_pod_created_after_start_up_and_labelled_later_shows_its_whole_log(
    sandbox: Any, cluster: Cluster, clock_ahead: int
) -> None:
    # With this machine's clock ahead of the cluster's, what ran "before start-up" is still judged
    # by the API server's own clock (the Date of its first list), so the new pod is read in full.
    sb = sandbox.cluster
    sink = RecordingSink()
    config = Config(selection=Selection(label_selector="app=web"), follow=Follow(tail_lines=1))
    skewed = lambda: time.time_ns() + clock_ahead * 10**9  # noqa: E731
    async with engine(config, [cluster], sink, wall_clock=skewed):
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the nothing-matched notice")
        sb.add_pod("web", labels={"app": "other"})
        sb.write("web", "app", "one")
        sb.write("web", "app", "two")
        sb.set_labels("web", {"app": "web"})
        await streams_open(sandbox, 1)
        await eventually(lambda: len(sink.messages()) == 2, what="both lines")
    assert sink.messages() == [b"one", b"two"]


async def test_verbosity_1_says_once_why_each_container_is_not_tailed(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("web", containers=("app", "sidecar", "metrics"), init_containers=("setup",))
    sb.add_pod("done")
    sb.terminate_container("done", "app")
    sb.add_pod("skip-me")
    sink = RecordingSink()
    selection = Selection(
        exclude_pods=(regex.compile("skip"),),
        container_query=regex.compile("app|sidecar"),
        exclude_containers=(regex.compile("side"),),
        init_containers=False,
        container_states=frozenset({ContainerState.RUNNING}),
    )
    config = Config(selection=selection, connection=Connection(verbosity=1))
    async with engine(config, [cluster], sink):
        await streams_open(sandbox, 1)
        sb.add_pod("new", running=False)
        sb.set_labels("new", {"touched": "yes"})  # a second event: no second line for the same reason
        await eventually(lambda: len(sink.kinds(NoticeKind.DIAGNOSTIC)) >= 6, what="the skip reasons")
        sb.set_running("new", "app")
        await streams_open(sandbox, 2)
        await eventually(lambda: len(sink.kinds(NoticeKind.DIAGNOSTIC)) >= 7, what="the history choice")
    said = sorted(n.text for n in sink.kinds(NoticeKind.DIAGNOSTIC))
    assert said == [
        "default/done › app: not tailed: its state terminated is not in --container-state running",
        "default/new › app: not tailed: not started yet: waiting (ContainerCreating)",
        "default/new › app: reading from its first line (it started after pystern did)",
        "default/skip-me: not tailed: its name matches --exclude-pod",
        "default/web › metrics: not tailed: its name does not match --container",
        "default/web › setup: not tailed: an init container (--init-containers=false)",
        "default/web › sidecar: not tailed: its name matches --exclude-container",
    ]


async def test_without_verbosity_no_reasons_are_given(sandbox: Any, cluster: Cluster) -> None:
    sb = sandbox.cluster
    sb.add_pod("web", containers=("app", "sidecar"))
    sink = RecordingSink()
    config = Config(selection=Selection(exclude_containers=(regex.compile("side"),)))
    async with engine(config, [cluster], sink):
        await streams_open(sandbox, 1)
    assert sink.kinds(NoticeKind.DIAGNOSTIC) == []


async def test_a_pod_relabelled_out_and_back_does_not_print_its_log_again(
    sandbox: Any, cluster: Cluster
) -> None:
    sb = sandbox.cluster
    sink = RecordingSink()
    config = Config(selection=Selection(label_selector="app=web"))
    async with engine(config, [cluster], sink):
        await eventually(lambda: bool(sink.kinds(NoticeKind.WARNING)), what="the nothing-matched notice")
        sb.add_pod("web", labels={"app": "web"})
        sb.write("web", "app", "one")
        await eventually(lambda: sink.messages() == [b"one"], what="the first line")
        sb.set_labels("web", {"app": "other"})
        await eventually(lambda: len(sandbox.cluster.streams) == 0, what="the stream to end")
        sb.write("web", "app", "while not selected")
        sb.set_labels("web", {"app": "web"})
        await streams_open(sandbox, 1)
        sb.write("web", "app", "two")
        await eventually(lambda: b"two" in sink.messages(), what="the new line")
    assert sink.messages() == [b"one", b"two"]
