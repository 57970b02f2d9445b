"""Raw-HTTP tests of list and watch semantics (B1), auth (B3) and discovery."""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import time
from typing import Any

import aiohttp

from pystern.sandbox import Sandbox
from tests.sandbox.conftest import Api

PODS = "/api/v1/namespaces/default/pods"


async def next_event(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    line = await asyncio.wait_for(resp.content.readline(), 5)
    assert line.endswith(b"\n"), line
    event: dict[str, Any] = json.loads(line)
    return event


def summary(event: dict[str, Any]) -> tuple[str, str]:
    return event["type"], event["object"]["metadata"].get("name", "")


async def test_list_shape(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("a")
    sandbox.cluster.add_pod("b", namespace="other")
    body = await api.json(PODS)
    assert body["kind"] == "PodList"
    assert body["apiVersion"] == "v1"
    assert body["metadata"]["resourceVersion"] == str(sandbox.cluster.store.rv)  # type: ignore[index]
    items: list[dict[str, Any]] = body["items"]  # type: ignore[assignment]
    assert [i["metadata"]["name"] for i in items] == ["a"]
    assert "kind" not in items[0]
    everything = await api.json("/api/v1/pods")
    assert sorted(i["metadata"]["name"] for i in everything["items"]) == ["a", "b"]  # type: ignore[attr-defined]


async def test_selectors_on_list(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("web", labels={"app": "web", "tier": "fe"})
    c.add_pod("db", labels={"app": "db"}, node="node-2")
    c.add_pod("bare")

    async def names(query: str) -> list[str]:
        body = await api.json(PODS + "?" + query)
        return [i["metadata"]["name"] for i in body["items"]]  # type: ignore[attr-defined]

    assert await names("labelSelector=app%3Dweb") == ["web"]
    assert await names("labelSelector=app!%3Dweb") == ["bare", "db"]
    assert await names("labelSelector=app+in+(web,db)") == ["db", "web"]
    assert await names("labelSelector=app+notin+(web)") == ["bare", "db"]
    assert await names("labelSelector=!app") == ["bare"]
    assert await names("labelSelector=tier") == ["web"]
    assert await names("fieldSelector=spec.nodeName%3Dnode-2") == ["db"]
    assert await names("fieldSelector=metadata.name!%3Dweb,status.phase%3DRunning") == ["bare", "db"]
    assert await names("fieldSelector=spec.host%3Dnode-2") == ["db"]
    bad = await api.json(PODS + "?fieldSelector=spec.containers%3Dx", status=400)
    assert bad["message"] == "field label not supported: spec.containers"
    assert bad["reason"] == "BadRequest"
    await api.json(PODS + "?labelSelector=app+in+web", status=400)
    bad = await api.json(PODS + "?fieldSelector=metadata.name%3Da%3Db", status=400)
    assert bad["message"] == "invalid field selector: unescaped character in value: 61"
    bad = await api.json(PODS + "?labelSelector=app%3D-x", status=400)
    assert (bad["reason"], bad["code"]) == ("BadRequest", 400)
    assert str(bad["message"]).startswith('unable to parse requirement: values[0][app]: Invalid value: "-x"')


async def test_watch_initial_added_then_changes(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("a")
    async with api.get(PODS + "?watch=1") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        first = await next_event(resp)
        assert summary(first) == ("ADDED", "a")
        assert first["object"]["kind"] == "Pod"
        assert first["object"]["apiVersion"] == "v1"
        c.add_pod("b")
        assert summary(await next_event(resp)) == ("ADDED", "b")  # creating its container
        assert summary(await next_event(resp)) == ("MODIFIED", "b")  # running
        c.restart_container("b", "app")
        modified = await next_event(resp)
        assert summary(modified) == ("MODIFIED", "b")
        assert modified["object"]["status"]["containerStatuses"][0]["restartCount"] == 1
        c.delete_pod("b")
        deleting = await next_event(resp)
        assert summary(deleting) == ("MODIFIED", "b")
        assert deleting["object"]["metadata"]["deletionTimestamp"]
        # The kubelet reports the stopped containers and the terminal phase, then the pod goes.
        stopped = await next_event(resp)
        assert summary(stopped) == ("MODIFIED", "b")
        assert stopped["object"]["status"]["phase"] == "Succeeded"
        assert "terminated" in stopped["object"]["status"]["containerStatuses"][0]["state"]
        assert summary(await next_event(resp)) == ("DELETED", "b")


async def test_watch_from_resource_version_replays_only_later(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("a")
    rv = (await api.json(PODS))["metadata"]["resourceVersion"]  # type: ignore[index]
    c.add_pod("b")
    async with api.get(PODS + f"?watch=true&resourceVersion={rv}") as resp:
        event = await next_event(resp)
        assert summary(event) == ("ADDED", "b")
        assert int(event["object"]["metadata"]["resourceVersion"]) > int(rv)


async def test_expired_resource_version_and_expire_watches(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("a")
    old_rv = (await api.json(PODS))["metadata"]["resourceVersion"]  # type: ignore[index]
    async with api.get(PODS + f"?watch=true&resourceVersion={old_rv}") as resp:
        c.expire_watches()
        event = await next_event(resp)
        assert await asyncio.wait_for(resp.content.read(), 5) == b""
    assert event["type"] == "ERROR"
    status = event["object"]
    assert list(status) == ["kind", "apiVersion", "metadata", "status", "message", "reason", "code"]
    assert (status["reason"], status["code"], status["status"]) == ("Expired", 410, "Failure")
    assert status["message"].startswith(f"too old resource version: {old_rv} (")
    # A watch from the old RV now gets HTTP 200 and one 410 ERROR event.
    async with api.get(PODS + f"?watch=true&resourceVersion={old_rv}") as resp:
        assert resp.status == 200
        lines = (await asyncio.wait_for(resp.read(), 5)).splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["object"]["code"] == 410
    # Relisting gives a fresh RV that watches fine.
    new_rv = (await api.json(PODS))["metadata"]["resourceVersion"]  # type: ignore[index]
    async with api.get(PODS + f"?watch=true&resourceVersion={new_rv}") as resp:
        c.add_pod("b")
        assert summary(await next_event(resp)) == ("ADDED", "b")


async def test_too_large_resource_version(sandbox: Sandbox, api: Api) -> None:
    async with api.get(PODS + "?watch=true&resourceVersion=999999") as resp:
        event = await next_event(resp)
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 504
    assert event["object"]["message"].startswith("Timeout: Too large resource version: 999999, current: ")
    # A list or get at a resourceVersion the server has not reached: the watch cache waits for it,
    # then answers 504 Timeout with Retry-After (client-go retries on that header).
    sandbox.cluster.add_pod("a")
    current = sandbox.cluster.store.rv
    for path in (PODS, PODS + "/a"):
        async with api.get(path + "?resourceVersion=999999") as resp:
            body = await resp.json()
            assert (resp.status, resp.headers.get("Retry-After")) == (504, "1"), body
        assert body["reason"] == "Timeout"
        assert body["message"] == f"Timeout: Too large resource version: 999999, current: {current}"
        assert body["details"]["retryAfterSeconds"] == 1
    for rv in ("0", str(current), "1"):  # any, the current one, an older one: served
        await api.json(PODS + f"?resourceVersion={rv}")


async def test_timeout_seconds_ends_cleanly(sandbox: Sandbox, api: Api) -> None:
    started = time.monotonic()
    body = await asyncio.wait_for(api.text(PODS + "?watch=true&timeoutSeconds=1"), 5)
    assert body == b""
    assert 0.9 <= time.monotonic() - started < 3


async def test_bookmarks_only_when_allowed(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.bookmark_interval = 0.2
    sandbox.cluster.add_pod("a")
    body = await asyncio.wait_for(api.text(PODS + "?watch=1&timeoutSeconds=1&allowWatchBookmarks=true"), 5)
    events = [json.loads(line) for line in body.splitlines()]
    assert events[0]["type"] == "ADDED"
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert len(bookmarks) >= 2
    mark = bookmarks[0]["object"]
    assert mark["kind"] == "Pod"
    assert mark["metadata"]["resourceVersion"] == str(sandbox.cluster.store.rv)
    body = await asyncio.wait_for(api.text(PODS + "?watch=1&timeoutSeconds=1&allowWatchBookmarks=false"), 5)
    assert [json.loads(line)["type"] for line in body.splitlines()] == ["ADDED"]


async def test_send_initial_events_bookmark(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("a")
    query = "?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
    async with api.get(PODS + query) as resp:
        assert summary(await next_event(resp)) == ("ADDED", "a")
        mark = await next_event(resp)
        assert mark["type"] == "BOOKMARK"
        assert mark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    bad = await api.json(PODS + "?watch=1&sendInitialEvents=true", status=422)
    assert bad["reason"] == "Invalid"


async def test_a_watch_from_a_resource_version_replays_only_its_own_resource(
    sandbox: Sandbox, api: Api
) -> None:
    c = sandbox.cluster
    rv = (await api.json(PODS))["metadata"]["resourceVersion"]  # type: ignore[index]
    c.add_deployment("web", replicas=0)  # a Deployment and a ReplicaSet, no pod
    c.add_pod("a")
    async with api.get(PODS + f"?watch=1&resourceVersion={rv}") as resp:
        event = await next_event(resp)
    assert (event["object"]["kind"], *summary(event)) == ("Pod", "ADDED", "a")


async def test_selector_enter_and_leave(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("a", labels={"app": "x"})
    async with api.get(PODS + "?watch=1&labelSelector=app%3Dweb") as resp:
        c.set_labels("a", {"app": "web"})
        assert summary(await next_event(resp)) == ("ADDED", "a")
        c.set_labels("a", {"app": "other"})
        left = await next_event(resp)
        assert summary(left) == ("DELETED", "a")
        assert left["object"]["metadata"]["labels"] == {"app": "web"}  # previous content, new RV
        assert left["object"]["metadata"]["resourceVersion"] == str(c.store.rv)
    async with api.get(PODS + "?watch=1&fieldSelector=status.phase%3DRunning") as resp:
        assert summary(await next_event(resp)) == ("ADDED", "a")
        c.set_phase("a", "Failed")
        assert summary(await next_event(resp)) == ("DELETED", "a")


async def test_single_object_watch_by_name(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("a")
    c.add_pod("b")
    async with api.get(PODS + "?watch=1&fieldSelector=metadata.name%3Db") as resp:
        assert summary(await next_event(resp)) == ("ADDED", "b")
        c.set_labels("a", {"x": "y"})
        c.set_labels("b", {"x": "y"})
        assert summary(await next_event(resp)) == ("MODIFIED", "b")


async def test_get_table_for_kubectl(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("a", containers=("x", "y"))
    c.restart_container("a", "y")
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    headers = {"Authorization": f"Bearer {sandbox.token}", "Accept": accept}
    async with api.get(PODS, headers=headers) as resp:
        table = await resp.json()
    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert [col["name"] for col in table["columnDefinitions"]][:5] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    cells = table["rows"][0]["cells"]
    assert cells[:3] == ["a", "2/2", "Running"]
    assert cells[3].startswith("1 (")
    assert table["rows"][0]["object"]["metadata"]["name"] == "a"


async def test_auth_401_and_rotation(sandbox: Sandbox, api: Api) -> None:
    expected = (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized",'
        b'"reason":"Unauthorized","code":401}\n'
    )
    async with api.get(PODS, headers={"Authorization": "Bearer wrong"}) as resp:
        assert resp.status == 401
        assert await resp.read() == expected
    async with api.get(PODS, headers={"X-Nothing": "1"}) as resp:
        assert resp.status == 401
    old = sandbox.token
    sandbox.cluster.rotate_token("fresh")
    async with api.get(PODS, headers={"Authorization": f"Bearer {old}"}) as resp:
        assert resp.status == 401
    await api.json(PODS)  # the Api helper uses the current token


async def test_forbidden_namespace(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p", namespace="prod")
    c.forbid("prod")
    body = await api.json("/api/v1/namespaces/prod/pods?watch=1", status=403)
    assert body["message"] == (
        'pods is forbidden: User "sandbox-user" cannot watch resource "pods" in API group "" '
        'in the namespace "prod"'
    )
    assert body["details"] == {"kind": "pods"}
    body = await api.json("/api/v1/namespaces/prod/pods/p/log", status=403)
    assert body["message"] == (
        'pods "p" is forbidden: User "sandbox-user" cannot get resource "pods/log" in API group "" '
        'in the namespace "prod"'
    )
    await api.json(PODS)  # other namespaces still work


async def test_discovery(api: Api) -> None:
    version = await api.json("/version")
    assert version["major"] == "1"
    core = await api.json("/api/v1")
    names = {r["name"] for r in core["resources"]}  # type: ignore[attr-defined]
    assert {"pods", "pods/log", "namespaces", "nodes", "services", "replicationcontrollers"} <= names
    apps = await api.json("/apis/apps/v1")
    assert {r["name"] for r in apps["resources"]} == {  # type: ignore[attr-defined]
        "deployments",
        "deployments/scale",
        "replicasets",
        "statefulsets",
        "daemonsets",
    }
    batch = await api.json("/apis/batch/v1")
    assert {r["name"] for r in batch["resources"]} == {"jobs", "cronjobs"}  # type: ignore[attr-defined]
    groups = await api.json("/apis")
    assert [g["name"] for g in groups["groups"]] == [  # type: ignore[attr-defined]
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "batch",
        "coordination.k8s.io",
    ]
    assert await api.text("/apis/nope/v1", status=404) == b"404 page not found\n"


async def test_workload_objects(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    deploy = c.add_deployment("web", replicas=2, match_expressions=[{"key": "tier", "operator": "Exists"}])
    got = await api.json("/apis/apps/v1/namespaces/default/deployments/web")
    assert got["kind"] == "Deployment"
    assert got["spec"]["selector"]["matchExpressions"] == [{"key": "tier", "operator": "Exists"}]  # type: ignore[index]
    pods = (await api.json(PODS + "?labelSelector=app%3Dweb"))["items"]
    assert len(pods) == 2  # type: ignore[arg-type]
    rs_ref = pods[0]["metadata"]["ownerReferences"][0]  # type: ignore[index]
    assert rs_ref["kind"] == "ReplicaSet"
    assert rs_ref["controller"] is True
    rs = await api.json(f"/apis/apps/v1/namespaces/default/replicasets/{rs_ref['name']}")
    assert rs["metadata"]["ownerReferences"][0]["uid"] == deploy["metadata"]["uid"]  # type: ignore[index]
    assert pods[0]["metadata"]["labels"]["pod-template-hash"] in rs_ref["name"]  # type: ignore[index]
    job = c.add_job("batch1")
    got = await api.json("/apis/batch/v1/namespaces/default/jobs/batch1")
    uid = job["metadata"]["uid"]
    assert got["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}  # type: ignore[index]
    c.add_statefulset("db")
    await api.json("/api/v1/namespaces/default/pods/db-0")
    c.add_service("svc", {"app": "web"})
    svc = await api.json("/api/v1/namespaces/default/services/svc")
    assert svc["spec"]["selector"] == {"app": "web"}  # type: ignore[index]
    c.add_cronjob("nightly")
    made = c.run_cronjob("nightly")
    assert made["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    c.add_daemonset("agent")
    c.add_replication_controller("legacy")
    for path in (
        "apps/v1/namespaces/default/daemonsets/agent",
        "batch/v1/namespaces/default/cronjobs/nightly",
    ):
        await api.json("/apis/" + path)
    await api.json("/api/v1/namespaces/default/replicationcontrollers/legacy")
    await api.json("/apis/apps/v1/namespaces/default/deployments/missing", status=404)
    old_pods = {p["metadata"]["name"] for p in pods}  # type: ignore[attr-defined]
    c.rollout("web")
    new_pods = {p["metadata"]["name"] for p in (await api.json(PODS + "?labelSelector=app%3Dweb"))["items"]}  # type: ignore[attr-defined]
    assert len(new_pods) == 2
    assert not new_pods & old_pods


async def test_rolling_step_moves_one_pod_per_step(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_deployment("web", replicas=3)

    def hashes() -> list[str]:
        return sorted(rec.labels["pod-template-hash"] for rec in c.pods.values())

    first = hashes()
    assert len(set(first)) == 1
    c.rolling_step("web")
    assert len(set(hashes())) == 2
    deploy = await api.json("/apis/apps/v1/namespaces/default/deployments/web")
    assert deploy["status"]["updatedReplicas"] == 1  # type: ignore[index]
    c.rolling_step("web")
    c.rolling_step("web")
    assert len(set(hashes())) == 1
    assert hashes() != first
    c.rolling_step("web")  # a new revision starts
    assert len(set(hashes())) == 2
    assert len(c.pods) == 3


async def test_boolean_spellings_and_legacy_watch_path(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("a")
    for query in ("watch=", "watch=True", "watch=yes", "watch=1"):
        async with api.get(PODS + "?" + query + "&timeoutSeconds=5") as resp:
            assert summary(await next_event(resp)) == ("ADDED", "a"), query
    for query in ("watch=0", "watch=false", "watch=False"):
        body = await api.json(PODS + "?" + query)
        assert body["kind"] == "PodList", query
    async with api.get("/api/v1/watch/namespaces/default/pods?timeoutSeconds=5") as resp:
        assert summary(await next_event(resp)) == ("ADDED", "a")


async def test_list_option_validation(sandbox: Sandbox, api: Api) -> None:
    body = await api.json(PODS + "?sendInitialEvents=false", status=422)
    assert body["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: '
        "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"
    )
    assert body["details"]["group"] == "meta.k8s.io"  # type: ignore[index]
    body = await api.json(PODS + "?resourceVersionMatch=Exact&resourceVersion=0", status=422)
    assert body["message"].endswith(  # type: ignore[union-attr]
        'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'
    )
    body = await api.json(PODS + "?watch=1&resourceVersionMatch=NotOlderThan", status=422)
    assert (
        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided" in body["message"]
    )  # type: ignore[operator]
    await api.json(PODS + "?resourceVersionMatch=NotOlderThan&resourceVersion=0")


async def test_graceful_delete_keeps_pod_terminating(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("a")
    async with api.get(PODS + "?watch=1") as resp:
        assert summary(await next_event(resp)) == ("ADDED", "a")
        c.delete_pod("a", grace=0.2)
        terminating = await next_event(resp)
        assert terminating["type"] == "MODIFIED"
        c.write("a", "app", "still writing while terminating")
        assert ("default", "a") in c.pods
        assert summary(await next_event(resp)) == ("MODIFIED", "a")  # its containers stopped
        assert summary(await next_event(resp)) == ("DELETED", "a")
    assert ("default", "a") not in c.pods


async def test_forbidden_cluster_scope_and_per_token(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.forbid("")
    body = await api.json("/api/v1/pods", status=403)
    assert body["message"] == (
        'pods is forbidden: User "sandbox-user" cannot list resource "pods" in API group "" '
        "at the cluster scope"
    )
    c.allow("")
    await api.json("/api/v1/pods")
    c.forbid("default", token="other-token")  # another token's rule does not apply to ours
    await api.json(PODS)


def test_history_window_expires_old_resource_versions() -> None:
    from pystern.sandbox.store import Store

    store = Store(history=3)
    store.put("pods", {"metadata": {"name": "a", "namespace": "d"}})
    first = store.rv
    for i in range(5):
        store.put("pods", {"metadata": {"name": f"p{i}", "namespace": "d"}})
    assert store.min_rv > first
    assert [c.rv for c in store.since(store.min_rv)] == list(range(store.min_rv + 1, store.rv + 1))


async def test_delete_workload_cascades(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_deployment("web", replicas=2)
    c.add_pod("bystander")
    c.delete_workload("deployments", "web")
    assert [name for (_, name) in c.pods] == ["bystander"]
    assert c.store.items("replicasets") == []
    await api.json("/apis/apps/v1/namespaces/default/deployments/web", status=404)
    c.add_cronjob("nightly")
    c.run_cronjob("nightly")
    c.delete_workload("cronjobs", "nightly")
    assert c.store.items("jobs") == []
    assert [name for (_, name) in c.pods] == ["bystander"]


async def test_forbid_only_logs(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    c.forbid("default", resource="pods/log")
    await api.json(PODS)
    await api.json(PODS + "/p")
    body = await api.json(PODS + "/p/log", status=403)
    assert body["message"].startswith(
        'pods "p" is forbidden: User "sandbox-user" cannot get resource "pods/log"'
    )  # type: ignore[union-attr]
    c.forbid("default", verb="watch")
    await api.json(PODS)
    await api.json(PODS + "?watch=1", status=403)


async def test_list_pages_with_limit_and_continue_from_one_snapshot(sandbox: Sandbox, api: Api) -> None:
    # kubectl (--chunk-size, 500 by default) and pystern list in pages; a real API server serves
    # every page from the first page's snapshot.
    c = sandbox.cluster
    for i in range(5):
        c.add_pod(f"p{i}")
    first = await api.json(PODS + "?limit=2")
    meta: Any = first["metadata"]
    assert [p["metadata"]["name"] for p in first["items"]] == ["p0", "p1"]  # type: ignore[attr-defined]
    assert meta["remainingItemCount"] == 3
    c.add_pod("p5")  # after the snapshot: not in this list
    c.delete_pod("p4")  # nor is this deletion
    second = await api.json(PODS + f"?limit=2&continue={meta['continue']}")
    assert [p["metadata"]["name"] for p in second["items"]] == ["p2", "p3"]  # type: ignore[attr-defined]
    assert second["metadata"]["resourceVersion"] == meta["resourceVersion"]  # type: ignore[index]
    token = second["metadata"]["continue"]  # type: ignore[index]
    last = await api.json(PODS + f"?limit=2&continue={token}")
    assert [p["metadata"]["name"] for p in last["items"]] == ["p4"]  # type: ignore[attr-defined]
    assert "continue" not in last["metadata"]  # type: ignore[operator]
    expired = await api.json(PODS + f"?limit=2&continue={_token(2, 'p1')}", status=410)
    assert expired["reason"] == "Expired"
    everything = await api.json(PODS)
    assert "continue" not in everything["metadata"]  # type: ignore[operator]
    assert len(everything["items"]) == 5  # type: ignore[arg-type]


async def test_a_deleted_pod_with_a_failed_container_ends_failed(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("a", containers=("app", "side"))
    c.terminate_container("a", "side", reason="Error", exit_code=2)
    async with api.get(PODS + "?watch=1") as resp:
        assert summary(await next_event(resp)) == ("ADDED", "a")
        c.delete_pod("a")
        assert (await next_event(resp))["object"]["metadata"]["deletionTimestamp"]
        stopped = await next_event(resp)
        assert stopped["object"]["status"]["phase"] == "Failed"
        assert summary(await next_event(resp)) == ("DELETED", "a")


async def test_a_new_bare_pod_is_first_seen_creating_its_containers(sandbox: Sandbox, api: Api) -> None:
    # As from a real API server: no container has an ID at a watcher's first sight of a new pod, so
    # --container-state (applied at a container's first sighting with an ID) does not filter it.
    c = sandbox.cluster
    async with api.get(PODS + "?watch=1") as resp:
        c.add_pod("b", init_containers=("setup",))
        created = await next_event(resp)
        assert summary(created) == ("ADDED", "b")
        status = created["object"]["status"]
        assert status["phase"] == "Pending"
        assert status["initContainerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
        assert status["containerStatuses"][0]["state"]["waiting"]["reason"] == "PodInitializing"
        assert all(
            "containerID" not in s for s in status["initContainerStatuses"] + status["containerStatuses"]
        )
        running = await next_event(resp)
        assert summary(running) == ("MODIFIED", "b")
        assert running["object"]["status"]["phase"] == "Running"
        assert running["object"]["status"]["containerStatuses"][0]["containerID"]


async def test_access_review_in_json_and_its_validation(sandbox: Sandbox, api: Api) -> None:
    # kubectl POSTs protobuf (test_kubectl.py); other clients POST JSON and get the same answer.
    sandbox.cluster.forbid("prod", resource="pods/log")
    url = sandbox.url + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    headers = {"Authorization": f"Bearer {sandbox.token}"}

    async def review(spec: dict[str, Any]) -> tuple[int, Any]:
        doc = {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "spec": spec}
        async with api.session.post(url, json=doc, headers=headers) as resp:
            return resp.status, await resp.json()

    attrs = {"namespace": "prod", "verb": "get", "resource": "pods", "subresource": "log"}
    code, body = await review({"resourceAttributes": attrs})
    assert (code, body["status"], body["spec"]["resourceAttributes"]) == (201, {"allowed": False}, attrs)
    code, body = await review({"resourceAttributes": {**attrs, "namespace": "dev"}})
    assert body["status"] == {"allowed": True}
    code, body = await review({})
    assert (code, body["reason"]) == (422, "Invalid")
    assert body["details"]["causes"][0]["field"] == "spec.resourceAttributes"


async def test_a_continue_token_can_be_used_again(sandbox: Sandbox, api: Api) -> None:
    # A real token encodes where the page starts and the snapshot's resourceVersion: a client that
    # retries a page (after a 429 or a dropped connection) gets the same page again.
    for i in range(3):
        sandbox.cluster.add_pod(f"p{i}")
    token = (await api.json(PODS + "?limit=1"))["metadata"]["continue"]  # type: ignore[index]
    pages = [await api.json(PODS + f"?limit=1&continue={token}") for _ in range(2)]
    names = [[p["metadata"]["name"] for p in page["items"]] for page in pages]  # type: ignore[attr-defined]
    assert names == [["p1"], ["p1"]]
    last = await api.json(PODS + f"?limit=1&continue={pages[1]['metadata']['continue']}")  # type: ignore[index]
    assert [p["metadata"]["name"] for p in last["items"]] == ["p2"]  # type: ignore[attr-defined]


async def test_a_create_only_resource_refuses_reads_as_the_api_server_does(api: Api) -> None:
    # Discovery lists the reviews with the verb "create" only: a GET of the collection is 405, of
    # anything under it 404 (no such route), each a Status.
    reviews = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    body = await api.json(reviews, status=405)
    assert (body["reason"], body["message"]) == (
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
    )
    assert (await api.json(reviews + "/x", status=404))["reason"] == "NotFound"
    group = await api.json("/apis/authentication.k8s.io/v1")
    assert group["resources"] == [
        {
            "name": "selfsubjectreviews",
            "singularName": "selfsubjectreview",
            "namespaced": False,
            "kind": "SelfSubjectReview",
            "verbs": ["create"],
        }
    ]


async def test_unknown_paths_and_methods_are_answered_as_the_api_server_routes_them(
    sandbox: Sandbox, api: Api
) -> None:
    # Under an API root the go-restful router answers with a generic Status ("details":{}): 404
    # for a path it has no route for, whatever the method, 405 for a method a route lacks. Outside
    # every root, the final handler is Go's http.NotFound: plain text.
    headers = {"Authorization": f"Bearer {sandbox.token}"}

    async def call(method: str, path: str) -> tuple[int, str, bytes]:
        async with api.session.request(method, sandbox.url + path, headers=headers, json={}) as resp:
            return resp.status, resp.content_type, await resp.read()

    def generic(code: int, reason: str, message: str) -> bytes:
        return (
            b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"%s",'
            b'"reason":"%s","details":{},"code":%d}\n' % (message.encode(), reason.encode(), code)
        )

    missing = generic(404, "NotFound", "the server could not find the requested resource")
    for method in ("GET", "POST", "PUT"):
        assert await call(method, PODS.replace("pods", "foos")) == (404, "application/json", missing)
        assert await call(method, "/apis/apps/v1/namespaces/default/foos/x") == (
            404,
            "application/json",
            missing,
        )
    refused = generic(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )
    assert await call("POST", PODS) == (405, "application/json", refused)
    assert await call("PUT", PODS + "/x") == (405, "application/json", refused)
    for method in ("GET", "POST"):
        assert await call(method, "/nothing/here") == (404, "text/plain", b"404 page not found\n")
        assert await call(method, "/apis/nosuch.example.com/v1/things") == (
            404,
            "text/plain",
            b"404 page not found\n",
        )


def _raw(doc: str) -> str:
    return base64.urlsafe_b64encode(doc.encode()).decode().rstrip("=")


def _token(rv: int, start: str, version: str = "meta.k8s.io/v1") -> str:
    """A continue token as the API server writes one: unpadded URL-safe base64 of a small JSON."""
    doc = json.dumps({"v": version, "rv": rv, "start": start + "\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(doc.encode()).decode().rstrip("=")


async def test_a_continue_token_that_does_not_decode_is_a_bad_request(sandbox: Sandbox, api: Api) -> None:
    # 410 is for a token whose snapshot is gone; one the server cannot read is 400 (storage
    # ValidateListOptions), with the decoder's reason.
    for i in range(3):
        sandbox.cluster.add_pod(f"p{i}")
    first = await api.json(PODS + "?limit=1")
    token = first["metadata"]["continue"]  # type: ignore[index]
    padded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert json.loads(padded) == {
        "v": "meta.k8s.io/v1",
        "rv": int(first["metadata"]["resourceVersion"]),
        "start": "p0\x00",
    }  # type: ignore[index]
    cases = {
        "forgotten": "illegal base64 data at input byte 8",
        "ab=c": "illegal base64 data at input byte 2",
        "eHh4": "invalid character 'x' looking for beginning of value",
        "garbage": "invalid character '\\u0081' looking for beginning of value",
        _raw("\u00e9"): "invalid character 'Ã' looking for beginning of value",
        "e30": "server does not recognize this encoded version ",
        _token(5, "p0", "meta.k8s.io/v2"): "server does not recognize this encoded version meta.k8s.io/v2",
        _token(0, "p0"): "incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        _token(5, "../p0"): "../p0\x00",
        _raw('{"v":"meta.k8s.io/v1","rv":"5"}'): (
            "json: cannot unmarshal string into Go struct field continueToken.rv of type int64"
        ),
        _raw(
            '{"RV":1.5}'
        ): "json: cannot unmarshal number 1.5 into Go struct field continueToken.rv of type int64",
        _raw("[1]"): "json: cannot unmarshal array into Go value of type storage.continueToken",
        _raw('{"v" 1}'): "invalid character '1' after object key",
        _raw('{"v":'): "unexpected end of JSON input",
    }
    for bad, reason in cases.items():
        body = await api.json(PODS + f"?limit=1&continue={bad}", status=400)
        assert (body["reason"], body["message"]) == (
            "BadRequest",
            f"invalid continue token: continue key is not valid: {reason}",
        )
    body = await api.json(
        PODS
        + "?limit=1&continue="
        + base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":3}').decode().rstrip("="),
        status=400,
    )
    assert body["message"] == (
        "invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)"
    )
    body = await api.json(PODS + f"?limit=1&continue={token}&resourceVersion=1", status=400)
    assert body["message"] == "specifying resource version is not allowed when using continue"


async def test_an_expired_continue_token_offers_one_at_the_latest_version(sandbox: Sandbox, api: Api) -> None:
    # etcd compacted the snapshot: 410 with a token (rv -1) that goes on from the same key at the
    # newest resourceVersion, which a client may follow to finish an inconsistent list.
    c = sandbox.cluster
    for i in range(4):
        c.add_pod(f"p{i}")
    c.add_pod("q", namespace="other")
    expired = await api.json("/api/v1/pods" + f"?limit=2&continue={_token(1, 'default/p1')}", status=410)
    assert expired["message"].startswith(  # type: ignore[union-attr]
        "The provided continue parameter is too old to display a consistent list result. You can start a new "
        "list without the continue parameter, or use the continue token in this response to retrieve"
    )
    latest = expired["metadata"]["continue"]  # type: ignore[index]
    assert latest == _token(-1, "default/p1")
    c.delete_pod("p2")
    page = await api.json(f"/api/v1/pods?limit=2&continue={latest}")
    assert [p["metadata"]["name"] for p in page["items"]] == ["p3", "q"]  # type: ignore[attr-defined]
    assert page["metadata"]["resourceVersion"] == str(c.store.rv)  # type: ignore[index]


async def test_a_server_dry_run_changes_nothing(sandbox: Sandbox, api: Api) -> None:
    # kubectl delete/label/scale/rollout restart --dry-run=server send dryRun=All: the API server
    # answers as if it had done it and keeps everything as it was.
    c = sandbox.cluster
    c.add_pod("p", labels={"app": "p"})
    c.add_deployment("web", replicas=2)
    c.add_statefulset("db")
    pods_before = set(c.pods)
    headers = {"Authorization": f"Bearer {sandbox.token}", "Content-Type": "application/merge-patch+json"}

    async def call(method: str, path: str, body: object = None) -> tuple[int, Any]:
        url = sandbox.url + path
        async with api.session.request(method, url, headers=headers, json=body) as resp:
            return resp.status, await resp.json(content_type=None)

    code, pod = await call("DELETE", PODS + "/p?dryRun=All")
    assert (code, pod["metadata"]["name"]) == (200, "p")
    assert pod["metadata"]["deletionTimestamp"]
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    # kubectl delete sends it in the DeleteOptions body instead.
    options = {"kind": "DeleteOptions", "apiVersion": "v1", "dryRun": ["All"], "gracePeriodSeconds": 5}
    code, pod = await call("DELETE", PODS + "/p", options)
    assert (code, pod["metadata"]["deletionGracePeriodSeconds"]) == (200, 5)
    code, pod = await call("PATCH", PODS + "/p?dryRun=All", {"metadata": {"labels": {"x": "y"}}})
    assert (code, pod["metadata"]["labels"]) == (200, {"app": "p", "x": "y"})
    deployment = "/apis/apps/v1/namespaces/default/deployments/web"
    code, scale = await call("PATCH", deployment + "/scale?dryRun=All", {"spec": {"replicas": 5}})
    assert (code, scale["spec"]["replicas"]) == (200, 5)
    restart = {
        "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}}}}
    }
    assert (await call("PATCH", deployment + "?dryRun=All", restart))[0] == 200
    sts = "/apis/apps/v1/namespaces/default/statefulsets/db"
    assert (await call("PATCH", sts + "?dryRun=All", restart))[0] == 200
    assert set(c.pods) == pods_before
    assert c.pod("p").labels == {"app": "p"}
    assert not c.pod("p").deleting_ns
    web = c.store.get("deployments", "default", "web")
    assert web is not None
    assert (web["spec"]["replicas"], web["metadata"]["generation"]) == (2, 1)
    code, refused = await call("DELETE", PODS + "/p?dryRun=Some")
    assert (code, refused["message"]) == (
        422,
        'DeleteOptions.meta.k8s.io "" is invalid: '
        'dryRun: Unsupported value: ["Some"]: supported values: "All"',
    )
    assert "p" in {name for _, name in c.pods}


async def test_a_deletion_carries_the_grace_period_asked_for(sandbox: Sandbox, api: Api) -> None:
    # kubectl delete --grace-period=N sends it in the DeleteOptions; watchers see it on the pod.
    sandbox.cluster.add_pod("p")
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    async with api.get(PODS + "?watch=1") as resp:
        assert summary(await next_event(resp)) == ("ADDED", "p")
        options = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 5}
        asked = time.time()
        async with api.session.delete(sandbox.url + PODS + "/p", headers=headers, json=options) as deleted:
            assert deleted.status == 200
        terminating = await next_event(resp)
        meta = terminating["object"]["metadata"]
        assert meta["deletionGracePeriodSeconds"] == 5
        # The deletionTimestamp is when the grace period ends, not when the deletion was asked for.
        deadline = datetime.datetime.fromisoformat(meta["deletionTimestamp"]).timestamp()
        assert deadline >= int(asked) + 5


async def test_a_forced_deletion_is_one_deleted_event(sandbox: Sandbox, api: Api) -> None:
    # kubectl delete --grace-period=0 --force: the API server removes the object at once, so
    # watchers see only DELETED (no Terminating step); the kubelet then kills the containers.
    sandbox.cluster.add_pod("p")
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    async with api.get(PODS + "?watch=1") as resp:
        assert summary(await next_event(resp)) == ("ADDED", "p")
        options = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0}
        async with api.session.delete(sandbox.url + PODS + "/p", headers=headers, json=options) as deleted:
            assert deleted.status == 200
        gone = await next_event(resp)
        assert summary(gone) == ("DELETED", "p")
        assert gone["object"]["metadata"]["deletionGracePeriodSeconds"] == 0
    assert ("default", "p") not in sandbox.cluster.pods


async def test_a_resource_version_that_is_not_a_number_is_refused_as_the_storage_layer_does(
    sandbox: Sandbox, api: Api
) -> None:
    # APIObjectVersioner.ParseResourceVersion (strconv.ParseUint): a list says 400 "invalid
    # resource version"; a get and a watch pass the storage error on unconverted, a 500.
    sandbox.cluster.add_pod("p")
    why = 'resourceVersion: Invalid value: "{0}": strconv.ParseUint: parsing "{0}": {1}'
    body = await api.json(PODS + "?resourceVersion=abc", status=400)
    assert (body["reason"], body["message"]) == (
        "BadRequest",
        "invalid resource version: " + why.format("abc", "invalid syntax"),
    )
    big = "99999999999999999999"
    body = await api.json(PODS + f"?resourceVersion={big}&limit=1", status=400)
    assert body["message"] == "invalid resource version: " + why.format(big, "value out of range")
    for query in ("?watch=1&resourceVersion=-1", "/p?resourceVersion=-1"):
        body = await api.json(PODS + query, status=500)
        assert "reason" not in body
        assert body["message"] == why.format("-1", "invalid syntax")
    await api.json(PODS + "?resourceVersion=0")  # "" and "0" mean any


async def test_a_crash_looping_container_says_its_back_off_as_the_kubelet(sandbox: Sandbox, api: Api) -> None:
    # kuberuntime's doBackOff: "back-off <d> restarting failed container=<c> pod=<name>_<ns>(<uid>)",
    # the delay doubling from 10 s to its 5 min cap.
    c = sandbox.cluster
    c.add_pod("p")
    uid = c.pod("p").uid
    delays = []
    for _ in range(7):
        c.set_waiting("p", "app", "CrashLoopBackOff")
        pod = await api.json(PODS + "/p")
        message = pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"]  # type: ignore[index]
        prefix, _, rest = message.partition(" restarting failed container=app pod=")
        assert rest == f"p_default({uid})"
        delays.append(prefix.removeprefix("back-off "))
        c.set_running("p", "app")
    assert delays == ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"]
