"""kind/name -> selector + ownership, against the sandbox (deployments during a rollout, cronjobs, ...)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pystern.errors import ApiError
from pystern.kube import connect, parse_pod
from pystern.kube.cluster import KubeCluster
from pystern.kube.workloads import WorkloadError, resolve_workload
from pystern.model import Pod
from pystern.options import Connection
from pystern.sandbox import Sandbox


@pytest.fixture
async def cluster(sandbox: Sandbox) -> AsyncIterator[KubeCluster]:
    assert sandbox.kubeconfig_path is not None
    async with await connect(Connection(kubeconfig=str(sandbox.kubeconfig_path))) as kube:
        yield kube


async def owned_names(cluster: KubeCluster, kind: str, name: str, namespace: str = "default") -> list[str]:
    workload = await resolve_workload(cluster, kind, name, namespace)
    listed = await cluster.list_pods(None, workload.label_selector, "")
    return sorted([p.name for p in listed.pods if await workload.owns(p)])


async def test_deployment_owns_only_its_replicasets_pods_across_a_rollout(
    sandbox: Sandbox, cluster: KubeCluster
) -> None:
    sandbox.cluster.add_deployment("web", replicas=2, labels={"app": "web"})
    sandbox.cluster.add_deployment("web-canary", replicas=1, labels={"app": "web", "track": "canary"})
    workload = await resolve_workload(cluster, "deploy", "web", "default")
    assert workload.label_selector == "app=web"
    listed = await cluster.list_pods("default", workload.label_selector, "")
    assert len(listed.pods) == 3  # the selector also matches the canary's pod
    mine = [p for p in listed.pods if await workload.owns(p)]
    assert len(mine) == 2
    assert all(p.name.startswith("web-") and "canary" not in p.name for p in mine)
    known_before = len(workload._known)
    # A rollout creates a new ReplicaSet while we run: its pods are looked up, not rejected.
    sandbox.cluster.rollout("web")
    after = await cluster.list_pods("default", workload.label_selector, "")
    new_pods = [p for p in after.pods if await workload.owns(p)]
    assert len(new_pods) == 2
    assert {p.name for p in new_pods}.isdisjoint({p.name for p in mine})
    assert len(workload._known) == known_before + 1  # one new ReplicaSet, looked up once and cached


async def test_match_expressions_become_selector_text(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_statefulset(
        "db",
        replicas=2,
        labels={"app": "db"},
        match_expressions=[
            {"key": "tier", "operator": "NotIn", "values": ["cache", "batch"]},
            {"key": "app", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist"},
        ],
    )
    workload = await resolve_workload(cluster, "sts", "db", "default")
    assert workload.label_selector == "app=db,app,!legacy,tier notin (batch,cache)"
    assert len(await owned_names(cluster, "statefulsets", "db")) == 2


async def test_cronjob_owns_the_pods_of_its_jobs(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_cronjob("nightly", labels={"app": "nightly"})
    sandbox.cluster.add_job("manual", labels={"app": "nightly"})  # same labels, not the cronjob's
    sandbox.cluster.run_cronjob("nightly")
    names = await owned_names(cluster, "cronjobs", "nightly")
    assert len(names) == 1
    assert names[0].startswith("nightly-")
    sandbox.cluster.run_cronjob("nightly")  # a new Job during the run
    assert len(await owned_names(cluster, "cj", "nightly")) == 2


async def test_job_daemonset_rc_and_service(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_job("once")
    sandbox.cluster.add_daemonset("agent")
    sandbox.cluster.add_replication_controller("legacy", replicas=2)
    sandbox.cluster.add_service("front", {"app": "agent"})
    assert len(await owned_names(cluster, "jobs", "once")) == 1
    assert len(await owned_names(cluster, "ds", "agent")) == 1
    assert len(await owned_names(cluster, "rc", "legacy")) == 2
    assert len(await owned_names(cluster, "svc", "front")) == 1
    pod = await resolve_workload(cluster, "pod", (await owned_names(cluster, "jobs", "once"))[0], "default")
    assert pod.field_selector.startswith("metadata.name=once-")


async def test_errors_are_clear(sandbox: Sandbox, cluster: KubeCluster) -> None:
    # The namespace is named: with -n a,b the object is looked up in each, and the context's
    # namespace is easy to forget.
    with pytest.raises(ApiError, match=r'^deployments.apps "ghost" not found in namespace "default"$'):
        await resolve_workload(cluster, "deployments", "ghost", "default")
    sandbox.cluster.add_service("headless", {})
    with pytest.raises(WorkloadError, match=r'^service "headless" in namespace "default" has no selector'):
        await resolve_workload(cluster, "services", "headless", "default")
    with pytest.raises(WorkloadError, match="cannot select pods of 'configmaps'"):
        await resolve_workload(cluster, "configmaps", "x", "default")


async def test_all_namespaces_finds_the_one_namespace(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_deployment("api", namespace="team-a")
    workload = await resolve_workload(cluster, "deployments", "api", "")
    assert workload.namespace == "team-a"
    sandbox.cluster.add_deployment("api", namespace="team-b")
    with pytest.raises(
        WorkloadError, match=r"exists in several namespaces \(team-a, team-b\); choose one with -n"
    ):
        await resolve_workload(cluster, "deployments", "api", "")
    with pytest.raises(ApiError, match=r'^deployments\.apps "nope" not found in any namespace$'):
        await resolve_workload(cluster, "deployments", "nope", "")


async def test_owner_that_disappeared_or_was_recreated_is_not_ours(
    sandbox: Sandbox, cluster: KubeCluster
) -> None:
    sandbox.cluster.add_deployment("web")
    workload = await resolve_workload(cluster, "deployments", "web", "default")
    stray = parse_pod(
        {
            "metadata": {
                "name": "stray",
                "namespace": "default",
                "ownerReferences": [
                    {"kind": "ReplicaSet", "name": "web-gone", "uid": "u-1", "controller": True}
                ],
            }
        }
    )
    assert isinstance(stray, Pod)
    assert not await workload.owns(stray)  # 404 on the ReplicaSet
    other_ns = parse_pod({"metadata": {"name": "x", "namespace": "elsewhere"}})
    assert not await workload.owns(other_ns)
