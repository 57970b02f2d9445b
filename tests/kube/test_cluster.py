"""KubeCluster against the sandbox over a real socket: list, watch, logs, errors, TLS, scale."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import io
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from pystern.errors import ApiError, ConnectionFailed, ConnectionLost, KubeconfigError, WatchExpired
from pystern.kube import cluster as cluster_module
from pystern.kube import connect, streams
from pystern.kube.cluster import KubeCluster
from pystern.kube.sockets import keepalive_socket
from pystern.model import EventType, PodEvent
from pystern.options import Connection
from pystern.ports import LogRequest
from pystern.sandbox import Sandbox


@pytest.fixture
async def cluster(sandbox: Sandbox) -> KubeCluster:
    assert sandbox.kubeconfig_path is not None
    kube = await connect(Connection(kubeconfig=str(sandbox.kubeconfig_path)))
    yield kube  # type: ignore[misc]
    await kube.aclose()


async def collect(cluster: KubeCluster, request: LogRequest) -> bytes:
    async with cluster.stream_log(request) as chunks:
        return b"".join([chunk async for chunk in chunks])


async def test_list_parses_pods_and_context(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_pod(
        "web", labels={"app": "web"}, containers=("app", "side"), init_containers=("init",)
    )
    sandbox.cluster.add_pod("db", labels={"app": "db"})
    listed = await cluster.list_pods("default", "app=web", "")
    assert [p.name for p in listed.pods] == ["web"]
    pod = listed.pods[0]
    assert [s.name for s in pod.statuses] == ["init", "app", "side"]
    assert pod.labels["app"] == "web"
    assert pod.node_name == "node-1"
    assert pod.uid
    assert int(listed.resource_version) > 0
    assert (cluster.context, cluster.default_namespace) == ("sandbox", "default")
    everywhere = await cluster.list_pods(None, "", "metadata.name=db")
    assert [p.name for p in everywhere.pods] == ["db"]


async def test_watch_events_and_bookmarks(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.bookmark_interval = 0.05
    listed = await cluster.list_pods("default", "", "")
    events: list[PodEvent] = []
    async with cluster.watch_pods("default", "", "", listed.resource_version, timeout_seconds=1) as watch:
        sandbox.cluster.add_pod("late")
        sandbox.cluster.delete_pod("late")
        other = sandbox.cluster.add_pod("elsewhere", namespace="other")  # moves the RV, not our watch
        events = [event async for event in watch]  # until the server ends the watch
    assert {e.pod.name for e in events} == {"late"}
    assert (events[0].type, events[-1].type) == (EventType.ADDED, EventType.DELETED)  # MODIFIED between
    # Bookmarks yield nothing but carry the newest RV, so a re-watch skips nothing and repeats nothing.
    assert watch.resource_version == other["metadata"]["resourceVersion"]
    assert int(watch.resource_version) > int(events[-1].pod.resource_version)


async def test_watch_ends_when_the_server_closes_it(sandbox: Sandbox, cluster: KubeCluster) -> None:
    listed = await cluster.list_pods("default", "", "")
    watch = cluster.watch_pods("default", "", "", listed.resource_version, timeout_seconds=1)
    got = [e async for e in watch]
    assert got == []
    assert watch.resource_version


async def test_watch_410_raises_watch_expired(sandbox: Sandbox, cluster: KubeCluster) -> None:
    listed = await cluster.list_pods("default", "", "")
    watch = cluster.watch_pods("default", "", "", listed.resource_version)
    sandbox.cluster.add_pod("a")
    first = await anext(watch)
    assert first.pod.name == "a"
    assert (await anext(watch)).pod.name == "a"  # created, then running
    sandbox.cluster.expire_watches()
    with pytest.raises(WatchExpired) as info:
        await anext(watch)
    assert info.value.status == 410
    assert info.value.reason == "Expired"
    # Re-watching from the stale RV is refused the same way; a fresh list is the cure.
    with pytest.raises(WatchExpired):
        await anext(cluster.watch_pods("default", "", "", listed.resource_version))
    fresh = await cluster.list_pods("default", "", "")
    async with cluster.watch_pods("default", "", "", fresh.resource_version, timeout_seconds=1) as ok:
        sandbox.cluster.add_pod("b")
        assert (await anext(ok)).pod.name == "b"


@pytest.mark.parametrize("status", [200, 500])
async def test_json_nested_past_what_json_reads_is_an_api_error(
    sandbox: Sandbox, cluster: KubeCluster, status: int
) -> None:
    # json.loads raised RecursionError: an internal error for a list (200) or an error's Status (500).
    sandbox.cluster.raw_responses(b"[" * 100000 + b"]" * 100000, status=status, path_contains="/pods")
    with pytest.raises(ApiError) as info:
        await cluster.list_pods("default", "", "")
    assert info.value.status == status


async def test_malformed_watch_lines_are_skipped_and_reported(sandbox: Sandbox, cluster: KubeCluster) -> None:
    warnings: list[str] = []
    cluster.on_warning = warnings.append
    listed = await cluster.list_pods("default", "", "")
    async with cluster.watch_pods("default", "", "", listed.resource_version, timeout_seconds=2) as watch:
        await asyncio.sleep(0.05)
        sandbox.cluster.send_watch_raw(b"this is not json\n")
        sandbox.cluster.send_watch_raw(b'{"type":"ADDED","object":{"metadata":{}}}\n')
        sandbox.cluster.send_watch_raw(b'{"type":"SURPRISE","object":{}}\n')
        sandbox.cluster.send_watch_raw(b"[1,2]\n")
        sandbox.cluster.send_watch_raw(b"[" * 100000 + b"]" * 100000 + b"\n")
        sandbox.cluster.add_pod("real")
        event = await anext(watch)
    assert event.pod.name == "real"
    assert cluster.skipped_watch_lines == 5
    assert any("not JSON" in w for w in warnings)
    assert "skipped a watch line nested too deeply to read" in warnings
    assert any("malformed ADDED" in w for w in warnings)


async def test_broken_watch_is_connection_lost(sandbox: Sandbox, cluster: KubeCluster) -> None:
    listed = await cluster.list_pods("default", "", "")
    watch = cluster.watch_pods("default", "", "", listed.resource_version)
    sandbox.cluster.add_pod("a")
    await anext(watch)
    await anext(watch)  # created, then running
    sandbox.cluster.break_watches("reset")
    with pytest.raises(ConnectionLost, match="pod watch broke"):
        await anext(watch)


async def test_log_stream_reset_mid_line(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_pod("web")
    sandbox.cluster.write("web", "app", "one", "two")
    received = b""

    async def follow() -> None:
        nonlocal received
        async with cluster.stream_log(LogRequest("default", "web", "app")) as chunks:
            async for chunk in chunks:
                received += chunk
                if received.count(b"\n") == 2:
                    sandbox.cluster.write("web", "app", "three-is-long", "four")
                    sandbox.cluster.break_log_streams("reset", mid_line=True)

    with pytest.raises(ConnectionLost, match="log stream of default/web app broke"):
        await follow()
    lines = received.split(b"\n")
    assert lines[0].endswith(b" one")
    assert lines[1].endswith(b" two")
    assert sandbox.cluster.log_of("web", "app").startswith(received)  # what arrived is intact


async def test_log_stream_clean_end_and_options(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_pod("web")
    sandbox.cluster.write("web", "app", "a", "b", "c")
    whole = await collect(cluster, LogRequest("default", "web", "app", follow=False))
    assert whole == sandbox.cluster.log_of("web", "app")
    tail = await collect(cluster, LogRequest("default", "web", "app", follow=False, tail_lines=1))
    assert tail.endswith(b" c\n")
    assert tail.count(b"\n") == 1
    async with cluster.stream_log(LogRequest("default", "web", "app")) as chunks:
        first = await anext(chunks)
        assert first.count(b"\n") == 3
        sandbox.cluster.break_log_streams("eof")
        assert [c async for c in chunks] == []


async def test_log_errors_carry_the_server_message(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_pod("two", containers=("a", "b"))
    with pytest.raises(ApiError, match=r'^pods "ghost" not found$') as info:
        await collect(cluster, LogRequest("default", "ghost", "app"))
    assert info.value.status == 404
    with pytest.raises(ApiError, match="container nope is not valid for pod two") as info:
        await collect(cluster, LogRequest("default", "two", "nope"))
    assert info.value.status == 400
    sandbox.cluster.add_pod("pending", node="")
    assert await collect(cluster, LogRequest("default", "pending", "app")) == b""  # 204


async def test_403_and_retry_after(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_namespace("prod")
    sandbox.cluster.forbid("prod")
    with pytest.raises(ApiError) as info:
        await cluster.list_pods("prod", "", "")
    assert info.value.status == 403
    assert 'cannot list resource "pods" in API group "" in the namespace "prod"' in str(info.value)
    sandbox.cluster.fail_requests(429, times=1, path_contains="/namespaces/default/pods", retry_after=0)
    assert (await cluster.list_pods("default", "", "")).resource_version  # retried, honouring Retry-After
    sandbox.cluster.fail_requests(500, times=1, path_contains="/namespaces/default/pods")
    with pytest.raises(ApiError) as info:  # a 5xx without Retry-After is not retried
        await cluster.list_pods("default", "", "")
    assert info.value.status == 500


async def test_get_object_not_found_message(cluster: KubeCluster) -> None:
    with pytest.raises(ApiError, match=r'^deployments.apps "web" not found$'):
        await cluster.get_object("deployments", "default", "web")
    with pytest.raises(ApiError, match=r'^deployments.apps "a/b" not found$'):
        await cluster.get_object("deployments", "default", "a/b")
    names = [n["metadata"]["name"] for n in await cluster.list_objects("namespaces", None)]
    assert "default" in names


async def test_150_concurrent_follow_streams(sandbox: Sandbox, cluster: KubeCluster) -> None:
    for i in range(150):
        sandbox.cluster.add_pod(f"p{i}")
    async with asyncio.TaskGroup() as group:
        opened = asyncio.Event()
        count = 0
        done = asyncio.Event()

        async def follow(i: int) -> bytes:
            nonlocal count
            async with cluster.stream_log(LogRequest("default", f"p{i}", "app")) as chunks:
                count += 1
                if count == 150:
                    opened.set()
                data = b""
                async for chunk in chunks:
                    data += chunk
                    if data.endswith(b"\n"):
                        await done.wait()
                        return data
                return data

        tasks = [group.create_task(follow(i)) for i in range(150)]
        await asyncio.wait_for(opened.wait(), 20)  # kubernetes_asyncio's default pool stops at 100
        for i in range(150):
            sandbox.cluster.write(f"p{i}", "app", f"line {i}")
        await asyncio.sleep(0.3)
        done.set()
    assert all(t.result().endswith(f" line {i}\n".encode()) for i, t in enumerate(tasks))


async def test_cancelling_a_stream_closes_its_connection(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_pod("web")

    async def follow() -> None:
        async with cluster.stream_log(LogRequest("default", "web", "app")) as chunks:
            async for _ in chunks:
                pass

    task = asyncio.create_task(follow())
    for _ in range(100):
        await asyncio.sleep(0.01)
        if sandbox.cluster.streams:
            break
    assert sandbox.cluster.streams
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if not sandbox.cluster.streams:
            break
        await asyncio.sleep(0.01)
    assert not sandbox.cluster.streams


async def test_stalled_stream_with_read_timeout(sandbox: Sandbox, cluster: KubeCluster) -> None:
    sandbox.cluster.add_pod("web")
    sandbox.cluster.write("web", "app", "one")

    async def follow() -> None:
        async with cluster.stream_log(LogRequest("default", "web", "app", read_timeout=0.3)) as chunks:
            async for _ in chunks:
                sandbox.cluster.break_log_streams("stall")

    with pytest.raises(ConnectionLost, match="no data before the read timeout"):
        await follow()


def test_client_sockets_have_keepalive() -> None:
    info = socket.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)[0]
    with keepalive_socket(info) as sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 30


# ---------------------------------------------------------------------- connecting


async def test_tls_with_the_sandbox_ca_and_a_wrong_ca(tmp_path: Path) -> None:
    async with Sandbox.start(tls=True) as sb:
        sb.cluster.add_pod("secure")
        good = sb.write_kubeconfig(tmp_path / "good")
        async with await connect(Connection(kubeconfig=str(good))) as kube:
            assert [p.name for p in (await kube.list_pods("default", "", "")).pods] == ["secure"]
        import trustme

        other = tmp_path / "other-ca.pem"
        other.write_bytes(trustme.CA().cert_pem.bytes())
        wrong = Connection(kubeconfig=str(good), certificate_authority=str(other))
        with pytest.raises(
            ConnectionFailed, match=r"^TLS certificate of https://127.0.0.1:\d+ is not trusted"
        ):
            await connect(wrong)
        insecure = Connection(kubeconfig=str(good), insecure_skip_tls_verify=True)
        async with await connect(insecure) as kube:
            assert (await kube.list_pods("default", "", "")).pods
        garbage = tmp_path / "garbage.pem"
        garbage.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
        with pytest.raises(KubeconfigError, match="is not a valid PEM certificate"):
            await connect(Connection(kubeconfig=str(good), certificate_authority=str(garbage)))


async def test_a_certificate_for_another_host_names_the_host_not_the_ca(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    # The CA is right; the name is not. The advice to check certificate-authority sent users to
    # the wrong setting (kubectl: "x509: certificate is valid for localhost, not wrong.example").
    doc = tls_sandbox.kubeconfig_dict()
    doc["clusters"][0]["cluster"]["tls-server-name"] = "wrong.example"
    path = tmp_path / "k"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConnectionFailed) as info:
        await connect(Connection(kubeconfig=str(path)))
    message = str(info.value)
    assert "is not valid for 'wrong.example'" in message
    assert "certificate-authority" not in message
    assert "the server URL or tls-server-name" in message


async def test_unreachable_server_fails_within_the_connect_timeout() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionFailed, match=rf"^cannot connect to the server http://127.0.0.1:{port}: "):
        await connect(Connection(server=f"http://127.0.0.1:{port}", token="t", connect_timeout=2))
    # A server that accepts connections but never answers: the connect timeout bounds the wait.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        loop = asyncio.get_running_loop()
        started = loop.time()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ConnectionFailed, match=rf"^the server {url} did not answer within 0.5s$"):
            await connect(Connection(server=url, token="t", connect_timeout=0.5))
        assert loop.time() - started < 2


async def test_server_and_token_flags_without_kubeconfig(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    sandbox.cluster.add_pod("x")
    async with await connect(Connection(server=sandbox.url, token=sandbox.token)) as kube:
        assert kube.context == ""
        assert kube.default_namespace == "default"
        assert [p.name for p in (await kube.list_pods("default", "", "")).pods] == ["x"]


async def test_verbosity_logs_requests_but_never_the_token(sandbox: Sandbox) -> None:
    assert sandbox.kubeconfig_path is not None
    err = io.StringIO()
    conn = Connection(kubeconfig=str(sandbox.kubeconfig_path), verbosity=9)
    async with await connect(conn, stderr=err) as kube:
        sandbox.cluster.add_pod("web")
        await kube.list_pods("default", "", "")
        await collect(kube, LogRequest("default", "web", "app", follow=False))
    text = err.getvalue()
    assert 'context "sandbox"; default namespace "default"' in text
    assert "/api/v1/namespaces/default/pods?limit=500 200 OK" in text
    assert "Authorization" in text
    assert "Bearer <masked>" in text
    assert '"PodList"' in text  # level 9: bodies of non-stream answers
    assert sandbox.token not in text
    quiet = io.StringIO()
    async with await connect(Connection(kubeconfig=str(sandbox.kubeconfig_path)), stderr=quiet) as kube:
        await kube.list_pods("default", "", "")
    assert quiet.getvalue() == ""


async def test_verbosity_9_writes_one_line_per_body(sandbox: Sandbox) -> None:
    # The API ends its JSON bodies with a newline; logged as-is it left a blank line after each body.
    assert sandbox.kubeconfig_path is not None
    err = io.StringIO()
    async with await connect(
        Connection(kubeconfig=str(sandbox.kubeconfig_path), verbosity=9), stderr=err
    ) as kube:
        sandbox.cluster.add_pod("web")
        await kube.list_pods("default", "", "")
        with pytest.raises(ApiError):  # an error answer's body is logged too
            await collect(kube, LogRequest("default", "nosuchpod", "app", follow=False))
    lines = err.getvalue().splitlines()
    bodies = [line for line in lines if line.startswith("pystern: response body: ")]
    assert any('"PodList"' in body for body in bodies)
    assert any('"NotFound"' in body for body in bodies)
    assert all(line.startswith("pystern: ") for line in lines), lines


async def test_verbosity_9_bodies_cannot_drive_the_terminal(sandbox: Sandbox) -> None:
    # JSON escapes C0 controls but, like Go's encoder, leaves DEL and the C1 controls raw, and
    # U+009B is CSI on a terminal: a Status message (or any label) could clear the screen.
    assert sandbox.kubeconfig_path is not None
    sandbox.cluster.fail_requests(403, path_contains="/pods", message="no\u009b2J\u009b1;1H \x7fway")
    err = io.StringIO()
    async with await connect(
        Connection(kubeconfig=str(sandbox.kubeconfig_path), verbosity=9), stderr=err
    ) as kube:
        with pytest.raises(ApiError):
            await kube.list_pods("default", "", "")
    bodies = [line for line in err.getvalue().splitlines() if line.startswith("pystern: response body: ")]
    assert len(bodies) == 1
    assert "no^[[2J^[[1;1H ^?way" in bodies[0]
    assert not any(0x7F <= ord(ch) < 0xA0 or ch == "\x1b" for ch in err.getvalue())


async def test_server_restart_refuses_then_recovers(sandbox: Sandbox, cluster: KubeCluster) -> None:
    await sandbox.stop_serving()
    with pytest.raises(ConnectionFailed, match=r"^cannot connect to the server http://127\.0\.0\.1:\d+: "):
        await cluster.list_pods("default", "", "")
    await sandbox.resume_serving()
    assert (await cluster.list_pods("default", "", "")).resource_version


async def test_other_error_events_are_api_errors(sandbox: Sandbox, cluster: KubeCluster) -> None:
    listed = await cluster.list_pods("default", "", "")
    async with cluster.watch_pods("default", "", "", listed.resource_version) as watch:
        await asyncio.sleep(0.05)
        sandbox.cluster.send_watch_raw(
            b'{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
            b'"message":"Too large resource version: 99, current: 5","reason":"Timeout",'
            b'"details":{"retryAfterSeconds":1},"code":504}}\n'
        )
        with pytest.raises(ApiError, match=r"^Too large resource version: 99, current: 5$") as info:
            await anext(watch)
    assert not isinstance(info.value, WatchExpired)
    assert (info.value.status, info.value.reason, info.value.retry_after) == (504, "Timeout", 1.0)


async def test_silent_watch_hits_its_read_timeout(
    sandbox: Sandbox, cluster: KubeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The read timeout is timeoutSeconds + margin; a negative margin stands in for a half-open
    # connection that never delivers the server's clean end.
    monkeypatch.setattr(cluster_module, "WATCH_READ_MARGIN", -1.7)
    listed = await cluster.list_pods("default", "", "")
    watch = cluster.watch_pods("default", "", "", listed.resource_version, timeout_seconds=2)
    with pytest.raises(ConnectionLost, match="no data before the read timeout"):
        await anext(watch)


async def test_oversized_watch_event_is_skipped(
    sandbox: Sandbox, cluster: KubeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streams, "MAX_EVENT_BYTES", 1000)
    warnings: list[str] = []
    cluster.on_warning = warnings.append
    listed = await cluster.list_pods("default", "", "")
    async with cluster.watch_pods("default", "", "", listed.resource_version, timeout_seconds=5) as watch:
        await asyncio.sleep(0.05)
        big = b'{"type":"ADDED","object":{"metadata":{"name":"big","namespace":"default"},"pad":"'
        sandbox.cluster.send_watch_raw(big + b"x" * 5000)  # no newline yet: a growing partial event
        await asyncio.sleep(0.1)
        sandbox.cluster.send_watch_raw(b'"}}\n')
        sandbox.cluster.add_pod("after")
        assert (await anext(watch)).pod.name == "after"
    assert warnings == ["skipped a watch event larger than 1000 bytes"]


async def test_client_certificate_data_and_a_broken_key(tmp_path: Path) -> None:
    import base64

    async with Sandbox.start(tls=True, token="") as sb:
        # Signed by the sandbox's CA: like an API server, it refuses certificates of other CAs.
        cert, key = sb.issue_client_cert("jane")
        doc = sb.kubeconfig_dict()
        doc["users"][0]["user"] = {
            "client-certificate-data": base64.b64encode(cert).decode(),
            "client-key-data": base64.b64encode(key).decode(),
        }
        path = tmp_path / "k"
        path.write_text(yaml.safe_dump(doc))
        async with await connect(Connection(kubeconfig=str(path), verbosity=1), stderr=io.StringIO()) as kube:
            assert (await kube.list_pods("default", "", "")).resource_version
        doc["users"][0]["user"]["client-key-data"] = base64.b64encode(b"not a key").decode()
        path.write_text(yaml.safe_dump(doc))
        with pytest.raises(
            KubeconfigError, match=r'^client certificate/key of user "sandbox" cannot be used'
        ):
            await connect(Connection(kubeconfig=str(path)))
    leftovers = glob.glob(os.path.join(tempfile.gettempdir(), "pystern-*", "key.pem"))
    assert not leftovers  # key material is not left on disk


async def test_in_cluster_service_account(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pystern.kube import kubeconfig

    account = tmp_path / "sa"
    account.mkdir()
    (account / "token").write_text(sandbox.token)
    (account / "namespace").write_text("team-a\n")
    monkeypatch.setattr(kubeconfig, "IN_CLUSTER_DIR", account)
    host, port = sandbox.host_port.split(":")
    env = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
    target = kubeconfig.resolve(Connection(), None, env)
    assert (target.in_cluster, target.namespace, target.server) == (True, "team-a", f"https://{host}:{port}")
    assert target.token_file == str(account / "token")


def test_in_cluster_pod_namespace_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # client-go's in-cluster namespace: $POD_NAMESPACE (the downward API) before the account's file.
    from pystern.kube import kubeconfig

    account = tmp_path / "sa"
    account.mkdir()
    (account / "token").write_text("t")
    (account / "namespace").write_text("team-a\n")
    monkeypatch.setattr(kubeconfig, "IN_CLUSTER_DIR", account)
    env = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    assert kubeconfig.resolve(Connection(), None, {**env, "POD_NAMESPACE": "team-b"}).namespace == "team-b"
    assert kubeconfig.resolve(Connection(), None, {**env, "POD_NAMESPACE": ""}).namespace == "team-a"


async def test_lists_are_read_page_by_page(
    sandbox: Sandbox, cluster: KubeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sandbox pages like a real API server, so the continue loop runs for real.
    monkeypatch.setattr(cluster_module, "LIST_PAGE", 2)
    for i in range(5):
        sandbox.cluster.add_pod(f"p{i}", labels={"app": "web"})
    listed = await cluster.list_pods("default", "app=web", "")
    assert [p.name for p in listed.pods] == [f"p{i}" for i in range(5)]
    assert listed.resource_version == str(sandbox.cluster.store.rv)
    assert len(await cluster.list_objects("pods", None)) == 5


async def test_a_list_whose_continue_expired_is_read_again_whole(
    sandbox: Sandbox, cluster: KubeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a busy cluster the snapshot behind a continue token can be compacted between pages (410);
    # client-go's pager then lists again in one piece rather than fail the start-up.
    monkeypatch.setattr(cluster_module, "LIST_PAGE", 2)
    for i in range(5):
        sandbox.cluster.add_pod(f"p{i}")
    sandbox.cluster.fail_requests(
        410, path_contains="continue=", reason="Expired", message="The provided continue parameter is too old"
    )
    listed = await cluster.list_pods("default", "", "")
    assert [p.name for p in listed.pods] == [f"p{i}" for i in range(5)]
    assert listed.resource_version == str(sandbox.cluster.store.rv)


@contextlib.asynccontextmanager
async def _front(answer: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> AsyncIterator[str]:
    """A server that is not an API server (an SSO proxy, an ingress) answering every GET; its URL."""
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def test_a_redirect_to_a_server_that_cannot_be_reached_names_where_it_led() -> None:
    # A front (an SSO proxy, a moved endpoint) that redirects: the connection that fails is the
    # redirect's, and naming the API server's URL sent users looking at the wrong machine.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.1:{closed}/login")

    async with _front(moved) as url:
        with pytest.raises(ConnectionFailed) as caught:
            await connect(Connection(server=url, connect_timeout=2))
    assert str(caught.value) == (
        f"cannot connect to 127.0.0.1:{closed}, where the server {url} redirected: Connection refused"
    )


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        # An ingress or proxy in front of the API server: the page alone was the whole error.
        (502, "<html><body>502 Bad Gateway</body></html>", "the server answered 502 Bad Gateway: <html>"),
        (404, "404 page not found\n", "the server answered 404 Not Found: 404 page not found"),
        (401, "<html>Unauthorized</html>", "You must be logged in to the server (Unauthorized)"),
    ],
)
async def test_an_error_answer_that_is_no_status_names_the_http_status(
    status: int, body: str, message: str
) -> None:
    async def page(request: web.Request) -> web.Response:
        if request.path == "/version":
            return web.json_response({"major": "1", "minor": "32"})
        return web.Response(status=status, text=body, content_type="text/html")

    async with _front(page) as url, await connect(Connection(server=url, connect_timeout=2)) as kube:
        with pytest.raises(ApiError) as caught:
            await kube.list_pods("default", "", "")
    assert str(caught.value).startswith(message)
    assert caught.value.status == status


async def test_a_refused_list_of_every_namespace_suggests_naming_namespaces(
    sandbox: Sandbox, cluster: KubeCluster
) -> None:
    # Users with rights in their own namespaces meet this with -A; the API server's message
    # alone ("... at the cluster scope") did not say what to do instead.
    sandbox.cluster.forbid("")
    with pytest.raises(ApiError) as caught:
        await cluster.list_pods(None, "", "")
    assert caught.value.status == 403
    assert str(caught.value) == (
        'pods is forbidden: User "sandbox-user" cannot list resource "pods" in API group "" at the cluster '
        "scope; tailing every namespace (-A) needs that right: name the namespaces you may read with -n"
    )
    await cluster.list_pods("default", "", "")  # one namespace is still allowed
