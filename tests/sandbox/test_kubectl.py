"""The real kubectl against the sandbox: if kubectl and the sandbox disagree, the sandbox is wrong.

kubectl runs as an async subprocess so the in-process server keeps serving.  It sends
bearer tokens only over TLS (clientcmd drops user credentials for plain http), so these
tests use a TLS sandbox, which also checks the generated CA in the kubeconfig.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
import yaml

from pystern.sandbox import Sandbox

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")


class Kubectl:
    """Runs kubectl with the sandbox's kubeconfig and a private cache dir."""

    def __init__(self, sb: Sandbox, tmp: Path) -> None:
        self.sb = sb
        self.kubeconfig = sb.write_kubeconfig(tmp / "kubeconfig")
        self.env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "KUBECACHEDIR": str(tmp / "kube-cache"),
            "HOME": str(tmp),
        }

    async def spawn(self, *args: str) -> asyncio.subprocess.Process:
        """Start kubectl with piped stdout/stderr."""
        assert KUBECTL is not None
        return await asyncio.create_subprocess_exec(
            KUBECTL,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
        )

    async def run(self, *args: str) -> tuple[int, str, str]:
        """Run to completion (20 s at most): (exit code, stdout, stderr)."""
        proc = await self.spawn(*args)
        out, err = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def kubectl(tmp_path: Path) -> AsyncIterator[Kubectl]:
    async with Sandbox.start(tls=True) as sb:
        sb.cluster.watch_timeout = 20.0
        yield Kubectl(sb, tmp_path)


async def read_until(stream: asyncio.StreamReader, needle: str) -> str:
    seen = ""
    async with asyncio.timeout(10):
        while needle not in seen:
            line = await stream.readline()
            if not line:
                break
            seen += line.decode()
    assert needle in seen, seen
    return seen


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
    await proc.wait()


async def test_get_pods_all_namespaces(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_pod("web-1", containers=("app", "proxy"))
    c.add_pod("crashy")
    c.set_waiting("crashy", "app", "CrashLoopBackOff")
    c.add_pod("db-0", namespace="backend")
    code, out, err = await kubectl.run("get", "pods", "-A")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["web-1"][:5] == ["default", "web-1", "2/2", "Running", "0"]
    assert by_name["crashy"][2:5] == ["0/1", "CrashLoopBackOff", "1"]
    assert by_name["db-0"][0] == "backend"


async def test_get_pods_watch_sees_new_pod(kubectl: Kubectl) -> None:
    kubectl.sb.cluster.add_pod("first")
    proc = await kubectl.spawn("get", "pods", "-w")
    try:
        assert proc.stdout is not None
        await read_until(proc.stdout, "first")
        kubectl.sb.cluster.add_pod("second")
        line = await read_until(proc.stdout, "second")
        assert "ContainerCreating" in line  # as a real new pod, then running
        line = await read_until(proc.stdout, "second")
        assert "Running" in line
    finally:
        await stop(proc)


async def test_a_controllers_new_pod_is_pending_before_it_runs(kubectl: Kubectl) -> None:
    # As on a real cluster: ContainerCreating (Pending) first, then Running (a bare pod too).
    kubectl.sb.cluster.add_pod("first")
    proc = await kubectl.spawn("get", "pods", "-w", "--no-headers")
    try:
        assert proc.stdout is not None
        await read_until(proc.stdout, "first")
        kubectl.sb.cluster.add_deployment("web", replicas=1)
        pending = await read_until(proc.stdout, "web-")
        assert pending.split()[1:3] == ["0/1", "ContainerCreating"]
        running = await read_until(proc.stdout, "web-")
        assert running.split()[1:3] == ["1/1", "Running"]
    finally:
        await stop(proc)


async def test_logs_follow_with_timestamps(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_pod("p", containers=("app", "side"))
    c.write("p", "side", "old line", ts_ns=1_700_000_000_000_000_000)
    proc = await kubectl.spawn("logs", "-f", "--timestamps", "p", "-c", "side")
    try:
        assert proc.stdout is not None
        assert await read_until(proc.stdout, "old line") == "2023-11-14T22:13:20.000000000Z old line\n"
        c.write("p", "side", "live line")
        assert (await read_until(proc.stdout, "live line")).endswith("Z live line\n")
        c.terminate_container("p", "side")
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        await stop(proc)


async def test_logs_previous_after_restart(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_pod("p")
    c.write("p", "app", "before crash")
    c.restart_container("p", "app", reason="OOMKilled", exit_code=137)
    c.write("p", "app", "after crash")
    code, out, err = await kubectl.run("logs", "--previous", "p")
    assert (code, out) == (0, "before crash\n"), err
    code, out, _ = await kubectl.run("logs", "p")
    assert out == "after crash\n"


async def test_logs_deployment(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_deployment("web", replicas=2)
    for pod in [name for (_, name) in c.pods]:
        c.write(pod, "app", f"hello from {pod}")
    code, out, err = await kubectl.run("logs", "deploy/web")
    assert code == 0, err
    assert "Found 2 pods, using pod/web-" in err
    chosen = err.split("using pod/")[1].split()[0]
    assert out == f"hello from {chosen}\n"


async def test_multi_container_pod_without_container_flag(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_pod("p", containers=("app", "side"))
    c.write("p", "app", "from app")
    code, out, err = await kubectl.run("logs", "p")
    assert code == 0
    assert out == "from app\n"
    assert 'Defaulted container "app" out of: app, side' in err
    c.set_annotations("p", {"kubectl.kubernetes.io/default-container": "side"})
    c.write("p", "side", "from side")
    code, out, err = await kubectl.run("logs", "p")
    assert (code, out, err) == (0, "from side\n", "")


async def test_missing_pod_and_bad_token(kubectl: Kubectl) -> None:
    code, _, err = await kubectl.run("get", "pod", "ghost")
    assert code == 1
    assert err.strip() == 'Error from server (NotFound): pods "ghost" not found'
    code, _, err = await kubectl.run("logs", "ghost")
    assert code == 1
    assert 'pods "ghost" not found' in err
    kubectl.sb.cluster.rotate_token("another-token")
    code, _, err = await kubectl.run("get", "pods")
    assert code == 1
    assert "error: You must be logged in to the server" in err


async def test_delete_pod_is_replaced_by_its_controller(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_deployment("web", replicas=1)
    c.add_daemonset("agent")
    c.add_job("migrate")
    c.add_pod("lonely")
    olds = {
        prefix: [name for (_, name) in c.pods if name.startswith(prefix)]
        for prefix in ("web-", "agent-", "migrate-")
    }
    old, agent, job = (olds[prefix][0] for prefix in ("web-", "agent-", "migrate-"))
    code, out, err = await kubectl.run("delete", "pod", old, agent, job, "lonely", "--wait=false")
    assert code == 0, err
    assert out == f'pod "{old}" deleted\npod "{agent}" deleted\npod "{job}" deleted\npod "lonely" deleted\n'
    names = {name for (_, name) in c.pods}
    assert "lonely" not in names
    # Each controller makes a new pod (a new name) for the deleted one, a DaemonSet on the same node.
    for prefix, (gone,) in olds.items():
        assert gone not in names
        assert len([n for n in names if n.startswith(prefix)]) == 1, (prefix, names)
    (new_agent,) = [name for (_, name) in c.pods if name.startswith("agent-")]
    assert c.pod(new_agent).to_json()["spec"]["nodeName"] == "node-1"


async def test_get_workloads_shows_server_columns(kubectl: Kubectl) -> None:
    kubectl.sb.cluster.add_deployment("web", replicas=2)
    code, out, err = await kubectl.run("get", "deploy,rs")
    assert code == 0, err
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert lines[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert lines[1][:4] == ["deployment.apps/web", "2/2", "2", "2"]
    assert lines[2] == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]


async def test_pod_phase_follows_the_containers_as_the_kubelet_derives_it(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_pod("creating", running=False)  # ContainerCreating: Pending, not Running
    c.add_pod("initialising", init_containers=("setup",), running=False)
    c.set_running("initialising", "setup")  # Init:0/1
    c.add_pod("crashing")
    c.set_waiting("crashing", "app", "CrashLoopBackOff")  # restarting: still Running
    c.add_pod("done", restart_policy="Never")
    c.terminate_container("done", "app")
    c.add_pod("failed", restart_policy="Never")
    c.terminate_container("failed", "app", reason="Error", exit_code=2)
    c.add_pod("running")
    phases = {}
    for phase in ("Pending", "Running", "Succeeded", "Failed"):
        code, out, err = await kubectl.run(
            "get", "pods", "--field-selector", f"status.phase={phase}", "-o", "name"
        )
        assert code == 0, err
        phases[phase] = sorted(line.removeprefix("pod/") for line in out.split())
    assert phases == {
        "Pending": ["creating", "initialising"],
        "Running": ["crashing", "running"],
        "Succeeded": ["done"],
        "Failed": ["failed"],
    }
    code, out, err = await kubectl.run("get", "pods", "--no-headers")
    status = {row.split()[0]: row.split()[2] for row in out.splitlines()}
    assert status == {
        "creating": "ContainerCreating",
        "initialising": "Init:0/1",
        "crashing": "CrashLoopBackOff",
        "done": "Completed",
        "failed": "Error",
        "running": "Running",
    }


async def test_get_pods_counts_sidecars_and_init_restarts_as_kubectl_prints_them(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_pod("mesh", init_containers=("setup",), sidecar_inits=("proxy",))
    c.restart_container("mesh", "proxy")  # a sidecar is counted in READY and RESTARTS
    c.add_pod("init-crash", init_containers=("setup",), running=False)
    c.set_running("init-crash", "setup")
    c.set_waiting("init-crash", "setup", "CrashLoopBackOff")  # init restarts count while initialising
    c.add_pod("finished", restart_policy="Never")
    c.terminate_container("finished", "app")
    c.delete_pod("finished", grace=30)  # a Succeeded pod being deleted still says Completed
    code, out, err = await kubectl.run("get", "pods", "--no-headers")
    assert code == 0, err
    rows = {row.split()[0]: row.split()[1:] for row in out.splitlines()}
    assert rows["mesh"][:3] == ["2/2", "Running", "1"]
    assert rows["init-crash"][:3] == ["0/1", "Init:CrashLoopBackOff", "1"]
    assert rows["finished"][:3] == ["0/1", "Completed", "0"]


async def test_an_unscheduled_pod_has_only_the_scheduling_condition(kubectl: Kubectl) -> None:
    # The kubelet sets the other conditions; no kubelet has the pod yet (`--condition ready=false`
    # must not match it: stern matches only pods that have the condition).
    kubectl.sb.cluster.add_pod("stuck", node="")
    jsonpath = "{range .status.conditions[*]}{.type}={.status}/{.reason} {end}"
    code, out, err = await kubectl.run("get", "pod", "stuck", "-o", f"jsonpath={jsonpath}")
    assert code == 0, err
    assert out.split() == ["PodScheduled=False/Unschedulable"]
    kubectl.sb.cluster.schedule("stuck")
    code, out, err = await kubectl.run("get", "pod", "stuck", "-o", f"jsonpath={jsonpath}")
    assert {"Ready=True/", "PodScheduled=True/"} <= set(out.split()), out


async def test_a_rollout_scales_the_old_replicaset_to_zero(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_deployment("web", replicas=2)
    c.rollout("web")
    code, out, err = await kubectl.run(
        "get", "rs", "--sort-by=.metadata.annotations.deployment\\.kubernetes\\.io/revision", "--no-headers"
    )
    assert code == 0, err
    rows = [line.split()[1:4] for line in out.splitlines()]
    assert rows == [["0", "0", "0"], ["2", "2", "2"]]  # DESIRED CURRENT READY, old then new


async def test_get_daemonsets_and_services_show_kubectls_columns(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_daemonset("agent")
    c.add_service("front", {"app": "web"})
    code, out, err = await kubectl.run("get", "ds,svc", "--no-headers=false")
    assert code == 0, err
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert lines[0] == [
        "NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE", "SELECTOR", "AGE"
    ]  # fmt: skip
    assert lines[1][:7] == ["daemonset.apps/agent", "1", "1", "1", "1", "1", "<none>"]
    assert lines[2] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert lines[3][:5] == ["service/front", "ClusterIP", "10.96.0.10", "<none>", "80/TCP"]


async def test_get_jobs_and_cronjobs_show_kubectls_columns(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_cronjob("nightly", schedule="0 3 * * *")
    c.run_cronjob("nightly")
    code, out, err = await kubectl.run("get", "cj,job", "--no-headers=false")
    assert code == 0, err
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert lines[0] == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"]
    assert lines[1][:7] == ["cronjob.batch/nightly", "0", "3", "*", "*", "*", "<none>"]
    assert lines[1][7:9] == ["False", "1"]  # SUSPEND, ACTIVE (the job just run)
    assert lines[2] == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert lines[3][1:3] == ["Running", "0/1"]


async def test_get_pods_in_chunks(kubectl: Kubectl) -> None:
    for i in range(5):
        kubectl.sb.cluster.add_pod(f"p{i}")
    code, out, err = await kubectl.run("get", "pods", "--chunk-size=2", "-o", "name")
    assert code == 0, err
    assert out.split() == [f"pod/p{i}" for i in range(5)]
    code, out, err = await kubectl.run("get", "pods", "--chunk-size=2", "--no-headers")
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines()] == [f"p{i}" for i in range(5)]


async def test_a_rolling_update_looks_to_kubectl_as_a_real_one(kubectl: Kubectl) -> None:
    # The deployment controller scales old ReplicaSets down, and each revision has its own pod
    # template: kubectl finds the new ReplicaSet by comparing templates.
    c = kubectl.sb.cluster
    c.add_deployment("web", replicas=2)
    first = c.rolling_step("web")  # revision 2 starts: one old pod gives way
    c.rolling_step("web")
    newest = first["metadata"]["ownerReferences"][0]["name"]
    code, out, err = await kubectl.run("get", "rs", "--no-headers")
    assert code == 0, err
    desired = {line.split()[0]: line.split()[1:3] for line in out.splitlines()}
    assert desired[newest] == ["2", "2"]
    (old,) = set(desired) - {newest}
    assert desired[old] == ["0", "0"]
    code, out, err = await kubectl.run("describe", "deploy", "web")
    assert code == 0, err
    words = " ".join(out.split())
    assert f"NewReplicaSet: {newest} (2/2 replicas created)" in words
    assert f"OldReplicaSets: {old} (0/0 replicas created)" in words


async def test_impersonation_is_honoured(kubectl: Kubectl) -> None:
    # `kubectl --as` (or a kubeconfig user's `as:`) acts as another user; RBAC judges that user.
    c = kubectl.sb.cluster
    c.add_pod("a")
    c.forbid("default", "viewer")  # rules name a token, or the user a request impersonates
    code, out, err = await kubectl.run("get", "pods", "--no-headers")
    assert code == 0, err
    assert out.split()[0] == "a"
    code, out, err = await kubectl.run("--as", "viewer", "--as-group", "team", "get", "pods")
    assert code == 1
    assert err == (
        'Error from server (Forbidden): pods is forbidden: User "viewer" cannot list resource "pods" '
        'in API group "" in the namespace "default"\n'
    )


async def test_client_certificate_authentication(kubectl: Kubectl, tmp_path: Path) -> None:
    # A user with a client certificate and no token, its files relative to the kubeconfig.
    sb = kubectl.sb
    sb.cluster.add_pod("a")
    cert_pem, key_pem = sb.issue_client_cert("alice")
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "alice.crt").write_bytes(cert_pem)
    (tmp_path / "certs" / "alice.key").write_bytes(key_pem)
    doc = sb.kubeconfig_dict()
    doc["users"][0]["user"] = {"client-certificate": "certs/alice.crt", "client-key": "certs/alice.key"}
    kubectl.kubeconfig.write_text(yaml.safe_dump(doc))
    code, out, err = await kubectl.run("get", "pods", "--no-headers")
    assert code == 0, err
    assert out.split()[0] == "a"
    sb.cluster.forbid("default", "alice")  # rules name the certificate's user (its CN)
    code, out, err = await kubectl.run("get", "pods")
    assert code == 1
    assert 'User "alice" cannot list resource "pods"' in err
    # A certificate from another CA is no credential at all.
    stranger = trustme.CA().issue_cert(common_name="mallory")
    (tmp_path / "certs" / "alice.crt").write_bytes(stranger.cert_chain_pems[0].bytes())
    (tmp_path / "certs" / "alice.key").write_bytes(stranger.private_key_pem.bytes())
    code, out, err = await kubectl.run("get", "pods")
    assert (code, out) == (1, "")  # the TLS handshake refuses it


async def test_an_evicted_pod_has_its_containers_stopped(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_pod("evicted")
    c.set_phase("evicted", "Failed", reason="Evicted")  # the kubelet kills what still runs
    code, out, err = await kubectl.run("get", "pods", "--no-headers")
    assert code == 0, err
    # READY 0/1; STATUS then shows the container's reason, which differs across Kubernetes versions.
    assert out.split()[:2] == ["evicted", "0/1"]
    jsonpath = "{.status.containerStatuses[0].state.terminated.exitCode}"
    code, out, err = await kubectl.run("get", "pod", "evicted", "-o", f"jsonpath={jsonpath}")
    assert out == "137", err


async def test_events_are_served(kubectl: Kubectl) -> None:
    # Every API server serves events; `kubectl get events` is among the first things tried.
    kubectl.sb.cluster.add_pod("a")
    code, out, err = await kubectl.run("get", "events", "-A")
    assert (code, out) == (0, ""), err
    assert err == "No resources found\n"
    code, out, err = await kubectl.run("describe", "pod", "a")
    assert (code, err) == (0, "")
    assert " ".join(out.split()).endswith("Events: <none>")
    code, out, err = await kubectl.run("get", "ev", "--field-selector", "involvedObject.name=a,type=Warning")
    assert (code, out, err) == (0, "", "No resources found in default namespace.\n")


_SENT = ("Impersonate-User", "Impersonate-Group", "Impersonate-Uid", "Authorization")


def _last_request(sb: Sandbox) -> dict[str, object]:
    """What the latest request carried: the impersonation values, and whether it asked for gzip
    or sent credentials (their values differ between clients)."""
    seen: dict[str, object] = {name: sb.cluster.header_values(name)[-1] for name in _SENT[:3]}
    seen["Authorization"] = bool(sb.cluster.header_values("Authorization")[-1])
    seen["gzip"] = any("gzip" in v for v in sb.cluster.header_values("Accept-Encoding")[-1])
    return seen


@pytest.mark.parametrize(
    "flags",
    [
        pytest.param((), id="plain"),
        pytest.param(("--as", "jane", "--as-group", "a", "--as-group", "b", "--as-uid", "7"), id="as"),
        pytest.param(("--disable-compression",), id="disable-compression"),
    ],
)
async def test_pystern_sends_what_kubectl_sends(kubectl: Kubectl, flags: tuple[str, ...]) -> None:
    from pystern.cli import parse_config
    from pystern.kube import connect

    code, _, err = await kubectl.run(*flags, "get", "pods")
    assert code == 0, err
    expected = _last_request(kubectl.sb)
    config = parse_config(
        [*flags, "--kubeconfig", str(kubectl.kubeconfig), "."], {"HOME": kubectl.env["HOME"]}
    )
    async with await connect(config.connection) as cluster:
        await cluster.list_pods("default", "", "")
    assert _last_request(kubectl.sb) == expected


async def test_neither_sends_a_token_over_plain_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A remote http:// server, reached through an HTTP proxy (the sandbox answers absolute-form requests).
    from pystern.errors import ApiError
    from pystern.kube import connect
    from pystern.options import Connection

    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with Sandbox.start() as sb:
        port = sb.host_port.rsplit(":", 1)[1]
        doc = sb.kubeconfig_dict()
        doc["clusters"][0]["cluster"]["server"] = f"http://api.cluster.invalid:{port}"
        path = tmp_path / "k"
        path.write_text(yaml.safe_dump(doc))
        monkeypatch.setenv("HTTP_PROXY", f"http://{sb.host_port}")
        env = {**os.environ, "KUBECONFIG": str(path), "HOME": str(tmp_path)}
        assert KUBECTL is not None
        proc = await asyncio.create_subprocess_exec(
            KUBECTL, "get", "pods", "--as", "jane", env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 20)
        assert b"You must be logged in to the server" in err
        expected = _last_request(sb)
        assert expected["Authorization"] is False
        quiet = io.StringIO()  # the warning line is tested in tests/kube/test_plain_http.py
        async with await connect(
            Connection(kubeconfig=str(path), impersonate_user="jane"), stderr=quiet
        ) as cluster:
            with pytest.raises(ApiError, match="You must be logged in"):
                await cluster.list_pods("default", "", "")
        got = _last_request(sb)
        del got["gzip"], expected["gzip"]
        assert got == expected


async def test_describe_node_shows_capacity_and_condition_times(kubectl: Kubectl) -> None:
    # A real node reports capacity and allocatable (kubectl divides pod requests by them) and
    # when each condition last changed.
    kubectl.sb.cluster.add_pod("a")
    code, out, err = await kubectl.run("describe", "node", "node-1")
    assert (code, err) == (0, "")
    words = " ".join(out.split())
    assert "default a 0 (0%) 0 (0%) 0 (0%) 0 (0%)" in words
    assert "0001" not in words  # a zero time: a condition without heartbeat or transition times
    assert "Capacity: cpu: 4" in words
    # The kubelet's heartbeat Lease, in kube-node-lease, as every cluster has it.
    assert "Lease: HolderIdentity: node-1 AcquireTime: <unset> RenewTime:" in words
    code, out, err = await kubectl.run("get", "leases", "-A", "--no-headers")
    assert code == 0, err
    assert out.split()[:3] == ["kube-node-lease", "node-1", "node-1"]
    code, out, err = await kubectl.run("get", "all", "-A", "-o", "name")
    assert "lease" not in out  # not in the "all" category


async def test_an_unserved_method_is_a_status_kubectl_can_show(kubectl: Kubectl) -> None:
    # The sandbox serves reads, pod deletion and a few patches only; anything else must say so, as a
    # Status (a plain-text 405 made `kubectl exec` print "Error from server: " and nothing more).
    kubectl.sb.cluster.add_pod("a")
    for args in (("exec", "a", "--", "ls"), ("run", "b", "--image=busybox")):
        code, _, err = await kubectl.run(*args)
        assert code == 1
        assert "the server does not allow this method on the requested resource" in err, err


def _live_pods(c: object, prefix: str) -> set[str]:
    pods = c.pods  # type: ignore[attr-defined]
    return {name for (_, name), rec in pods.items() if name.startswith(prefix) and not rec.deleting_ns}


async def test_rollout_restart_replaces_the_pods_through_a_new_replicaset(kubectl: Kubectl) -> None:
    # What a user tries by hand beside `pystern deploy/web` (it was refused: MethodNotAllowed).
    c = kubectl.sb.cluster
    c.add_deployment("web", replicas=2)
    before = _live_pods(c, "web-")
    code, out, err = await kubectl.run("rollout", "restart", "deployment/web")
    assert (code, out) == (0, "deployment.apps/web restarted\n"), err
    after = _live_pods(c, "web-")
    assert len(after) == 2
    assert not after & before
    code, out, err = await kubectl.run("rollout", "status", "deployment/web", "--timeout=10s")
    assert code == 0, err
    assert 'deployment "web" successfully rolled out' in out
    code, out, err = await kubectl.run(
        "get", "deploy", "web", "-o", "jsonpath={.spec.template.metadata.annotations}"
    )
    assert "kubectl.kubernetes.io/restartedAt" in out, err


async def test_scale_changes_the_number_of_pods(kubectl: Kubectl) -> None:
    c = kubectl.sb.cluster
    c.add_deployment("web", replicas=3)
    code, out, err = await kubectl.run("scale", "deployment/web", "--replicas=1")
    assert (code, out) == (0, "deployment.apps/web scaled\n"), err
    assert len(_live_pods(c, "web-")) == 1
    code, out, err = await kubectl.run("scale", "deployment/web", "--replicas=4")
    assert (code, out) == (0, "deployment.apps/web scaled\n"), err
    assert len(_live_pods(c, "web-")) == 4
    code, out, err = await kubectl.run("get", "deploy", "web", "--no-headers")
    assert out.split()[1:3] == ["4/4", "4"], err
    code, out, err = await kubectl.run("scale", "deployment/nope", "--replicas=1")
    assert code == 1
    assert 'deployments.apps "nope" not found' in err


async def test_a_deployment_keeps_ten_old_replicasets(kubectl: Kubectl) -> None:
    # The demo rolls web every minute: without the controller's revisionHistoryLimit (10),
    # `kubectl get rs` grew by one ReplicaSet a minute for as long as the demo ran.
    c = kubectl.sb.cluster
    c.add_deployment("web", replicas=1)
    for _ in range(13):
        c.rollout("web")
    code, out, err = await kubectl.run("get", "rs", "--no-headers")
    assert code == 0, err
    assert len(out.splitlines()) == 11  # the current one and ten old ones
    code, out, err = await kubectl.run("get", "deploy", "web", "-o", "jsonpath={.spec.revisionHistoryLimit}")
    assert out == "10", err
    code, out, err = await kubectl.run("rollout", "history", "deployment/web")
    assert code == 0, err
    revisions = [line.split()[0] for line in out.splitlines()[2:] if line.strip()]
    assert revisions == [str(n) for n in range(4, 15)]


async def test_a_patch_the_sandbox_does_not_apply_is_refused_by_name(kubectl: Kubectl) -> None:
    kubectl.sb.cluster.add_deployment("web", replicas=1)
    for patch in ('{"spec":{"template":5}}', '{"spec":{"paused":true}}', '{"metadata":{"labels":{"a":"b"}}}'):
        code, _, err = await kubectl.run("patch", "deployment", "web", "-p", patch)
        assert code == 1, err
        assert "the sandbox applies only a rollout restart or a replica count" in err, err


async def test_scale_during_a_rolling_update_counts_every_replicaset(kubectl: Kubectl) -> None:
    # The demo rolls web one pod a minute: `kubectl scale --replicas=0` then left the pods of the
    # older ReplicaSet running (only the newest one was scaled).
    c = kubectl.sb.cluster
    c.add_deployment("web", replicas=3)
    c.rolling_step("web")  # two pods in the old ReplicaSet, one in the new
    code, out, err = await kubectl.run("scale", "deployment/web", "--replicas=0")
    assert (code, out) == (0, "deployment.apps/web scaled\n"), err
    assert _live_pods(c, "web-") == set()
    code, out, err = await kubectl.run("scale", "deployment/web", "--replicas=2")
    assert code == 0, err
    assert len(_live_pods(c, "web-")) == 2
    code, out, err = await kubectl.run("get", "deploy", "web", "--no-headers")
    assert out.split()[1:3] == ["2/2", "2"], err


async def test_label_and_annotate_change_a_pod_as_watchers_see_it(kubectl: Kubectl) -> None:
    # To move a pod in and out of `pystern -l ...` by hand (it was refused: MethodNotAllowed).
    c = kubectl.sb.cluster
    c.add_pod("web", labels={"app": "web"})
    watch = await kubectl.spawn("get", "pods", "-l", "tier=fe", "-w", "--no-headers")
    try:
        code, out, err = await kubectl.run("label", "pod", "web", "tier=fe")
        assert (code, out) == (0, "pod/web labeled\n"), err
        assert "web" in await read_until(stdout_of(watch), "web")
    finally:
        await stop(watch)
    assert dict(c.pod("web").labels) == {"app": "web", "tier": "fe"}
    code, _, err = await kubectl.run("label", "pod", "web", "app=api")
    assert code == 1, err
    assert "--overwrite is false" in err  # kubectl's own check, from the pod it read
    code, out, err = await kubectl.run("label", "pod", "web", "app=api", "--overwrite")
    assert (code, out) == (0, "pod/web labeled\n"), err
    code, out, err = await kubectl.run("label", "pod", "web", "tier-")
    assert (code, out) == (0, "pod/web unlabeled\n"), err
    code, out, err = await kubectl.run("get", "pods", "-l", "app=api", "-o", "name")
    assert (code, out) == (0, "pod/web\n"), err
    code, out, err = await kubectl.run("annotate", "pod", "web", "note=hello")
    assert (code, out) == (0, "pod/web annotated\n"), err
    assert dict(c.pod("web").annotations) == {"note": "hello"}
    code, _, err = await kubectl.run("label", "pod", "nope", "a=b")
    assert code == 1, err
    assert 'pods "nope" not found' in err
    code, _, err = await kubectl.run("patch", "pod", "web", "-p", '{"spec":{"activeDeadlineSeconds":5}}')
    assert code == 1, err
    assert "the sandbox applies only labels and annotations" in err


def stdout_of(proc: asyncio.subprocess.Process) -> asyncio.StreamReader:
    assert proc.stdout is not None
    return proc.stdout


async def test_debug_adds_an_ephemeral_container_that_runs(kubectl: Kubectl) -> None:
    # To try --ephemeral-containers by hand (kubectl debug was refused: MethodNotAllowed).
    c = kubectl.sb.cluster
    c.add_pod("web")
    code, out, err = await kubectl.run(
        "debug", "web", "--image=busybox", "-c", "dbg", "--attach=false", "--profile=general"
    )
    assert code == 0, err
    assert out == ""
    cont = c.pod("web").container("dbg")
    assert cont is not None
    assert cont.kind == "ephemeral"
    code, out, err = await kubectl.run(
        "get", "pod", "web", "-o", "jsonpath={.status.ephemeralContainerStatuses[0].state.running}"
    )
    assert code == 0, err
    assert "startedAt" in out
    c.write("web", "dbg", "from the debugger")
    code, out, err = await kubectl.run("logs", "web", "-c", "dbg")
    assert (code, out) == (0, "from the debugger\n"), err
    code, _, err = await kubectl.run("debug", "web", "--image=busybox", "-c", "web", "--attach=false")
    assert code == 0, err  # a new name is fine; the same name as a regular container is not:
    code, _, err = await kubectl.run("debug", "web", "--image=busybox", "-c", "app", "--attach=false")
    assert code == 1, err
    assert "Duplicate value" in err


async def test_auth_can_i_answers_from_the_sandboxs_rbac_rules(kubectl: Kubectl) -> None:
    # `kubectl auth can-i` asks the API server (a SelfSubjectAccessReview): "yes" exits 0, "no" exits 1.
    c = kubectl.sb.cluster
    c.forbid("prod", resource="pods/log")
    c.forbid("", verb="list")  # no listing across all namespaces
    cases = [
        (("get", "pods"), 0, "yes\n"),
        (("get", "pods", "--subresource", "log", "-n", "prod"), 1, "no\n"),
        (("get", "pods", "--subresource", "log"), 0, "yes\n"),
        (("list", "pods", "-A"), 1, "no\n"),
        (("watch", "deployments.apps", "-A"), 0, "yes\n"),
        (("get", "/healthz"), 0, "yes\n"),
    ]
    for args, code, out in cases:
        assert await kubectl.run("auth", "can-i", *args) == (code, out, ""), args
    c.forbid("default", "viewer", verb="delete")
    assert await kubectl.run("--as", "viewer", "auth", "can-i", "delete", "pods") == (1, "no\n", "")
    assert await kubectl.run("auth", "can-i", "delete", "pods") == (0, "yes\n", "")


async def test_auth_whoami_names_the_user_the_sandbox_judges(kubectl: Kubectl) -> None:
    # `kubectl auth whoami` POSTs a SelfSubjectReview; the API server answers with the request's user.
    code, out, err = await kubectl.run("auth", "whoami", "-o", "jsonpath={.status.userInfo}")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"username": "sandbox-user", "groups": ["system:authenticated"]}
    code, out, err = await kubectl.run("--as", "viewer", "--as-group", "team", "auth", "whoami")
    assert (code, err) == (0, "")
    assert [line.split(None, 1) for line in out.splitlines()] == [
        ["ATTRIBUTE", "VALUE"],
        ["Username", "viewer"],
        ["Groups", "[team system:authenticated]"],
    ]


async def test_a_new_cluster_has_the_system_namespaces_and_the_kubernetes_service(kubectl: Kubectl) -> None:
    # Every cluster starts with these; `kubectl get ns` / `get svc` on a fresh one show them.
    code, out, err = await kubectl.run("get", "ns", "-o", "name")
    assert (code, err) == (0, "")
    assert out.split() == [
        f"namespace/{ns}" for ns in ("default", "kube-node-lease", "kube-public", "kube-system")
    ]
    code, out, err = await kubectl.run("get", "svc", "--no-headers")
    assert (code, err) == (0, "")
    assert out.split()[:5] == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"]
    code, out, err = await kubectl.run("logs", "svc/kubernetes")
    assert code == 1
    assert "Service is defined without a selector" in err


async def test_rollout_status_of_a_statefulset_and_a_daemonset(kubectl: Kubectl) -> None:
    # The API server defaults both to the RollingUpdate strategy and their controllers report
    # observedGeneration and the updated counts; without them kubectl refuses ("rollout status is
    # only available for RollingUpdate strategy type") or waits for ever.
    c = kubectl.sb.cluster
    c.add_statefulset("db", replicas=2)
    c.add_daemonset("agent")
    before = {name: c.pod(name).to_json()["metadata"]["uid"] for (_, name) in c.pods}
    old_revision = c.pod("db-0").labels["controller-revision-hash"]
    # A restart replaces every pod: the StatefulSet's keep their names, the DaemonSet's get new ones.
    code, out, err = await kubectl.run("rollout", "restart", "sts/db", "ds/agent")
    assert (code, out, err) == (0, "statefulset.apps/db restarted\ndaemonset.apps/agent restarted\n", "")
    after = {name: c.pod(name).to_json()["metadata"]["uid"] for (_, name) in c.pods}
    assert {"db-0", "db-1"} <= set(after)
    assert not set(before.values()) & set(after.values())
    sts = c.store.get("statefulsets", "default", "db")
    assert sts is not None
    revision = sts["status"]["updateRevision"]
    assert c.pod("db-0").labels["controller-revision-hash"] == revision
    assert revision == sts["status"]["currentRevision"] != old_revision
    code, out, err = await kubectl.run("rollout", "status", "sts/db", "--timeout=5s")
    assert (code, out, err) == (0, "partitioned roll out complete: 2 new pods have been updated...\n", "")
    code, out, err = await kubectl.run("rollout", "status", "ds/agent", "--timeout=5s")
    assert (code, out, err) == (0, 'daemon set "agent" successfully rolled out\n', "")


async def test_describe_pod_shows_what_admission_adds_to_every_pod(kubectl: Kubectl) -> None:
    # The API server's defaults and admission plugins give every pod a priority, the two
    # 300 s NoExecute tolerations and the service-account fields; kubectl describe shows them.
    c = kubectl.sb.cluster
    c.add_statefulset("db")
    code, out, err = await kubectl.run("describe", "pod", "db-0")
    assert code == 0, err
    lines = [line.split() for line in out.splitlines()]
    assert ["Priority:", "0"] in lines
    assert ["Tolerations:", "node.kubernetes.io/not-ready:NoExecute", "op=Exists", "for", "300s"] in lines
    assert ["node.kubernetes.io/unreachable:NoExecute", "op=Exists", "for", "300s"] in lines
    spec = c.pod("db-0").to_json()["spec"]
    assert (spec["hostname"], spec["subdomain"]) == ("db-0", "db")  # a StatefulSet pod's DNS name
    assert spec["enableServiceLinks"] is True
    assert spec["preemptionPolicy"] == "PreemptLowerPriority"


async def test_auth_can_i_list_names_what_the_rules_leave(kubectl: Kubectl) -> None:
    # `kubectl auth can-i --list` POSTs a SelfSubjectRulesReview (as protobuf). With no rule the
    # sandbox lets the user do anything, as cluster-admin; a rule takes its resource and verbs out.
    code, out, err = await kubectl.run("auth", "can-i", "--list")
    assert (code, err) == (0, "")
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert ["*.*", "[]", "[]", "[*]"] in rows
    assert ["[*]", "[]", "[*]"] in rows
    kubectl.sb.cluster.forbid("prod", resource="pods/log")
    kubectl.sb.cluster.forbid("prod", resource="pods", verb="delete")
    code, out, err = await kubectl.run("auth", "can-i", "--list", "-n", "prod")
    assert (code, err) == (0, "")
    rows = [line.split() for line in out.splitlines()]
    by_resource = {row[0]: row[3:] for row in rows[1:] if not row[0].startswith("[")}
    assert "*.*" not in by_resource
    assert "pods/log" not in by_resource
    assert by_resource["pods"] == ["[get", "list", "watch", "create", "update", "patch", "deletecollection]"]
    assert by_resource["deployments.apps"][-1].endswith("deletecollection]")
