"""Pod and container lifecycle as a stern user meets it: history rules, conditions, restarts."""

from __future__ import annotations

from typing import Any

import pytest

from pystern.model import NoticeKind
from pystern.options import Config, Follow, ResourceQuery, Selection
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


@pytest.mark.parametrize("resource", ["deployments", "statefulsets"])
async def test_a_workload_deleted_and_created_again_is_still_followed(
    sandbox: Any, cluster: Cluster, resource: str
) -> None:
    # `kubectl delete -f app.yaml && kubectl apply -f app.yaml` while following deploy/api: the new
    # object has a new UID, but it is what the user asked for (stern, by labels, follows it too).
    from pystern.kube.workloads import resolve_workload

    sb = sandbox.cluster
    add = sb.add_deployment if resource == "deployments" else sb.add_statefulset
    add("api", labels={"app": "api"})
    sb.add_pod("impostor", labels={"app": "api"})  # same labels, not the workload's
    config = Config(selection=Selection(resource=ResourceQuery(resource, "api")))
    sink = RecordingSink()
    async with engine(config, [cluster], sink, resolve_workload=resolve_workload):
        await eventually(lambda: len(sink.kinds(NoticeKind.STARTED)) == 1, what="the first pod")
        sb.delete_workload(resource, "api")
        await eventually(lambda: len(sink.kinds(NoticeKind.STOPPED)) == 1, what="the old pod's end")
        add("api", labels={"app": "api"})
        (pod,) = [p.name for p in sb.pods.values() if p.name.startswith("api-")]
        await eventually(lambda: len(sink.kinds(NoticeKind.STARTED)) == 2, what="the new pod")
        sb.write(pod, "app", "from the new api")
        sb.write("impostor", "app", "not mine")
        await eventually(lambda: sink.messages(pod=pod) == [b"from the new api"], what="its line")
    assert b"not mine" not in sink.messages()
