"""Every installed kubectl minor against one sandbox: the sandbox must agree with all of them.

The binaries ``kubectl.1.NN`` beside the ``kubectl`` on PATH (the Google Cloud SDK layout ships
1.27 ... 1.33) are found at collection; where there are none, these tests are skipped.
One TLS sandbox serves the module.  Its runs, every (version, case), start together in a module
fixture, a few at a time, so the module costs about one kubectl start per run; each test then
reports its own run.  Cases that change the cluster (follow, watch) work in their own namespace.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from pystern.sandbox import Sandbox


def installed_kubectls() -> dict[str, Path]:
    """``{"1.27": path, ...}`` for each ``kubectl.1.NN`` next to the (resolved) ``kubectl`` on PATH."""
    found = shutil.which("kubectl")
    if found is None:
        return {}
    here = Path(os.path.realpath(found)).parent
    versions = {}
    for path in here.glob("kubectl.1.*"):
        minor = path.name.removeprefix("kubectl.1.")
        if minor.isdigit() and os.access(path, os.X_OK):
            versions[f"1.{minor}"] = path
    return dict(sorted(versions.items(), key=lambda kv: int(kv[0].split(".")[1])))


KUBECTLS = installed_kubectls()
# The first test also waits for the module fixture, which runs every case (about 10 s, more on a
# loaded machine).
pytestmark = pytest.mark.timeout(180)
OLD = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z, well outside --since 1h


class Kubectl:
    """One kubectl binary with the sandbox's kubeconfig and its own discovery cache."""

    def __init__(self, binary: Path, kubeconfig: Path, home: Path) -> None:
        self.binary = binary
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(home / "cache")}
        self.env["HOME"] = str(home)

    async def spawn(self, *args: str) -> asyncio.subprocess.Process:
        """Start kubectl with piped stdout/stderr."""
        return await asyncio.create_subprocess_exec(
            self.binary, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=self.env
        )

    async def run(self, *args: str) -> tuple[int, str, str]:
        """Run to completion: (exit code, stdout, stderr)."""
        proc = await self.spawn(*args)
        try:
            out, err = await proc.communicate()
        finally:
            if proc.returncode is None:  # the case timed out: leave no kubectl behind
                proc.kill()
                await proc.wait()
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    async def ok(self, *args: str) -> str:
        """Run, insist on exit 0 and an empty stderr, return stdout."""
        code, out, err = await self.run(*args)
        assert (code, err) == (0, ""), (args, out)
        return out


async def read_until(stream: asyncio.StreamReader, needle: str) -> str:
    """Lines up to and including the first containing ``needle``."""
    seen = ""
    while needle not in seen:
        line = await stream.readline()
        assert line, f"EOF before {needle!r}: {seen!r}"
        seen += line.decode()
    return seen


def build_cluster(sb: Sandbox) -> None:
    """What the read-only cases look at."""
    c = sb.cluster
    c.add_deployment("web", replicas=2, containers=("app", "proxy"))
    for pod in web_pods(sb):
        c.write(pod, "app", f"{pod} says hi")
    c.add_pod("solo", labels={"tier": "solo"})
    c.write("solo", "app", "old 1", "old 2", ts_ns=OLD)
    c.write("solo", "app", "new 1", "new 2", "new 3")
    c.add_pod("crashy")
    c.write("crashy", "app", "before crash")
    c.restart_container("crashy", "app", reason="OOMKilled", exit_code=137)
    c.write("crashy", "app", "after crash")
    c.add_pod("done", restart_policy="Never")
    c.terminate_container("done", "app")
    c.add_statefulset("db", namespace="backend")
    c.write("db-0", "app", "db ready", namespace="backend")
    c.add_daemonset("agent", namespace="backend")
    c.add_job("migrate", namespace="backend")
    c.add_service("front", {"app": "web", "tier": "edge"})
    c.add_replication_controller("legacy", namespace="backend")
    c.add_cronjob("nightly", namespace="backend", schedule="0 3 * * *")


def web_pods(sb: Sandbox) -> list[str]:
    return sorted(name for (ns, name) in sb.cluster.pods if ns == "default" and name.startswith("web-"))


Case = Callable[[Kubectl, Sandbox, str], Awaitable[None]]
CASES: dict[str, Case] = {}


def case(fn: Case) -> Case:
    """Register a case under its name (without ``case_``)."""
    CASES[fn.__name__.removeprefix("case_").replace("_", "-")] = fn
    return fn


@case
async def case_get_pods_all_namespaces(k: Kubectl, sb: Sandbox, version: str) -> None:
    rows = [line.split() for line in (await k.ok("get", "pods", "-A")).splitlines()]
    assert rows[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    by_name = {(row[0], row[1]): row[2:] for row in rows[1:]}
    assert by_name[("default", "solo")][:3] == ["1/1", "Running", "0"]
    assert by_name[("default", "crashy")][:3] == ["1/1", "Running", "1"]  # then "(Ns ago)"
    assert by_name[("default", "done")][:3] == ["0/1", "Completed", "0"]
    assert by_name[("backend", "db-0")][:2] == ["1/1", "Running"]
    assert {name for (_, name) in by_name} >= set(web_pods(sb))


@case
async def case_get_pods_wide(k: Kubectl, sb: Sandbox, version: str) -> None:
    rows = [line.split() for line in (await k.ok("get", "pods", "-o", "wide")).splitlines()]
    assert " ".join(rows[0]) == "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES"
    solo = next(row for row in rows if row[0] == "solo")
    assert solo[5:] == [sb.cluster.pod("solo").pod_ip, "node-1", "<none>", "<none>"]


@case
async def case_get_pods_json(k: Kubectl, sb: Sandbox, version: str) -> None:
    doc = json.loads(await k.ok("get", "pods", "-o", "json"))
    assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
    assert {(item["apiVersion"], item["kind"]) for item in doc["items"]} == {("v1", "Pod")}
    names = [item["metadata"]["name"] for item in doc["items"]]
    assert sorted(names) == sorted(["solo", "crashy", "done", *web_pods(sb)])
    solo = next(item for item in doc["items"] if item["metadata"]["name"] == "solo")
    assert solo["metadata"]["labels"] == {"tier": "solo"}
    assert solo["status"]["containerStatuses"][0]["state"]["running"]["startedAt"].endswith("Z")


@case
async def case_get_pods_label_selector(k: Kubectl, sb: Sandbox, version: str) -> None:
    out = await k.ok("get", "pods", "-l", "app=web", "-o", "name")
    assert out.split() == [f"pod/{pod}" for pod in web_pods(sb)]
    out = await k.ok("get", "pods", "-l", "tier in (solo,other),!app", "-o", "name")
    assert out.split() == ["pod/solo"]


@case
async def case_get_pods_field_selector(k: Kubectl, sb: Sandbox, version: str) -> None:
    out = await k.ok("get", "pods", "--field-selector", "status.phase!=Running", "-o", "name")
    assert out.split() == ["pod/done"]
    out = await k.ok("get", "pods", "-A", "--field-selector", "metadata.name=db-0,spec.nodeName=node-1")
    assert [line.split()[:2] for line in out.splitlines()[1:]] == [["backend", "db-0"]]


@case
async def case_logs_plain(k: Kubectl, sb: Sandbox, version: str) -> None:
    assert await k.ok("logs", "solo") == "old 1\nold 2\nnew 1\nnew 2\nnew 3\n"


@case
async def case_logs_prefix_selector(k: Kubectl, sb: Sandbox, version: str) -> None:
    code, out, err = await k.run("logs", "--prefix", "-l", "app=web")
    assert code == 0, err
    assert sorted(out.splitlines()) == [f"[pod/{pod}/app] {pod} says hi" for pod in web_pods(sb)]
    assert err == 'Defaulted container "app" out of: app, proxy\n' * 2


@case
async def case_logs_tail(k: Kubectl, sb: Sandbox, version: str) -> None:
    assert await k.ok("logs", "solo", "--tail", "2") == "new 2\nnew 3\n"
    assert await k.ok("logs", "solo", "--tail=0") == ""


@case
async def case_logs_since(k: Kubectl, sb: Sandbox, version: str) -> None:
    assert await k.ok("logs", "solo", "--since", "1h") == "new 1\nnew 2\nnew 3\n"
    assert await k.ok("logs", "solo", "--since-time", "2023-11-14T22:13:20Z", "--tail", "4") == (
        "old 2\nnew 1\nnew 2\nnew 3\n"
    )


@case
async def case_logs_timestamps(k: Kubectl, sb: Sandbox, version: str) -> None:
    lines = (await k.ok("logs", "solo", "--timestamps")).splitlines()
    assert lines[:2] == ["2023-11-14T22:13:20.000000000Z old 1", "2023-11-14T22:13:20.000000001Z old 2"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z new \d", line) for line in lines[2:])


@case
async def case_logs_previous(k: Kubectl, sb: Sandbox, version: str) -> None:
    assert await k.ok("logs", "-p", "crashy") == "before crash\n"
    assert await k.ok("logs", "crashy") == "after crash\n"
    code, _, err = await k.run("logs", "--previous", "solo")
    assert code == 1
    assert 'previous terminated container "app" in pod "solo" not found' in err


@case
async def case_logs_follow_ends_with_the_container(k: Kubectl, sb: Sandbox, version: str) -> None:
    c, ns, pod = sb.cluster, "follow", f"f-{version.replace('.', '-')}"
    c.add_pod(pod, namespace=ns)
    c.write(pod, "app", "first", namespace=ns)
    proc = await k.spawn("logs", "-f", "-n", ns, pod)
    assert proc.stdout is not None
    try:
        assert await read_until(proc.stdout, "first") == "first\n"
        c.write(pod, "app", "second", namespace=ns)
        assert await read_until(proc.stdout, "second") == "second\n"
        c.write(pod, "app", "last", namespace=ns)
        c.terminate_container(pod, "app", namespace=ns)
        assert await proc.stdout.read() == b"last\n"
        assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@case
async def case_get_workloads(k: Kubectl, sb: Sandbox, version: str) -> None:
    out = await k.ok("get", "deploy,sts,ds,job", "-A")
    headers = [" ".join(line.split()) for line in out.splitlines() if line.startswith("NAMESPACE")]
    assert headers == [
        "NAMESPACE NAME READY UP-TO-DATE AVAILABLE AGE",
        "NAMESPACE NAME READY AGE",
        "NAMESPACE NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE",
        "NAMESPACE NAME STATUS COMPLETIONS DURATION AGE",
    ]
    rows = {line.split()[1]: line.split()[2:] for line in out.splitlines() if line.startswith(("d", "b"))}
    assert rows["deployment.apps/web"][:3] == ["2/2", "2", "2"]
    assert rows["statefulset.apps/db"][:1] == ["1/1"]
    assert rows["daemonset.apps/agent"][:5] == ["1", "1", "1", "1", "1"]
    assert rows["job.batch/migrate"][:2] == ["Running", "0/1"]


@case
async def case_get_nodes_and_namespaces(k: Kubectl, sb: Sandbox, version: str) -> None:
    rows = [line.split() for line in (await k.ok("get", "nodes")).splitlines()]
    assert " ".join(rows[0]) == "NAME STATUS ROLES AGE VERSION"
    assert rows[1][:3] == ["node-1", "Ready", "<none>"]
    assert rows[1][4] == "v1.32.0"
    rows = [line.split() for line in (await k.ok("get", "ns", "backend")).splitlines()]
    assert [" ".join(rows[0]), *rows[1][:2]] == ["NAME STATUS AGE", "backend", "Active"]


@case
async def case_get_wide(k: Kubectl, sb: Sandbox, version: str) -> None:
    # The API server sends every column; kubectl shows those of priority 1 only with -o wide.
    out = await k.ok("get", "nodes,deploy,rs,sts,ds,job,cj,rc,svc", "-A", "-o", "wide")
    blocks = [[line.split() for line in block.splitlines()] for block in out.strip().split("\n\n")]
    headers = [" ".join(block[0]) for block in blocks]
    assert headers == [
        "NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME",
        "NAMESPACE NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR",
        "NAMESPACE NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR",
        "NAMESPACE NAME READY AGE CONTAINERS IMAGES",
        "NAMESPACE NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE "
        "CONTAINERS IMAGES SELECTOR",
        "NAMESPACE NAME STATUS COMPLETIONS DURATION AGE CONTAINERS IMAGES SELECTOR",
        "NAMESPACE NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE CONTAINERS IMAGES SELECTOR",
        "NAMESPACE NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR",
        "NAMESPACE NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR",
    ]
    nodes, deploy, rs, sts, ds, job, cj, rc, svc = (block[1] for block in blocks)
    assert nodes[4:7] == ["v1.32.0", "172.18.0.2", "<none>"]  # VERSION INTERNAL-IP EXTERNAL-IP
    assert deploy[-3:] == ["app,proxy", "app:latest,proxy:latest", "app=web"]
    assert rs[-3:-1] == ["app,proxy", "app:latest,proxy:latest"]
    assert rs[-1].startswith("app=web,pod-template-hash=")
    assert sts[-2:] == ["app", "app:latest"]
    assert ds[-3:] == ["app", "app:latest", "app=agent"]
    assert job[-3:-1] == ["main", "main:latest"]
    assert job[-1].startswith("batch.kubernetes.io/controller-uid=")
    assert cj[-3:] == ["main", "main:latest", "<none>"]
    assert rc[2:5] == ["1", "1", "1"]
    assert rc[-3:] == ["app", "app:latest", "app=legacy"]
    assert svc[-1] == "app=web,tier=edge"


@case
async def case_logs_of_workloads(k: Kubectl, sb: Sandbox, version: str) -> None:
    code, out, err = await k.run("logs", "deployment/web")
    assert code == 0, err
    chosen = err.split("using pod/")[1].split()[0]
    assert chosen in web_pods(sb)
    assert out == f"{chosen} says hi\n"
    assert await k.ok("logs", "-n", "backend", "sts/db") == "db ready\n"
    assert await k.ok("logs", "-n", "backend", "job/migrate") == ""


@case
async def case_get_watch(k: Kubectl, sb: Sandbox, version: str) -> None:
    c, ns = sb.cluster, f"w-{version.replace('.', '-')}"
    c.add_pod("first", namespace=ns)
    proc = await k.spawn("get", "pods", "-n", ns, "--watch", "--output-watch-events", "--no-headers")
    assert proc.stdout is not None
    try:
        assert (await read_until(proc.stdout, "first")).split()[:4] == ["ADDED", "first", "1/1", "Running"]
        c.add_pod("second", namespace=ns)
        added = (await read_until(proc.stdout, "second")).split()
        assert added[:4] == ["ADDED", "second", "0/1", "ContainerCreating"]
        running = (await read_until(proc.stdout, "second")).split()
        assert running[:4] == ["MODIFIED", "second", "1/1", "Running"]
        c.set_waiting("second", "app", "CrashLoopBackOff", namespace=ns)
        line = await read_until(proc.stdout, "second")
        assert line.split()[:4] == ["MODIFIED", "second", "0/1", "CrashLoopBackOff"]
        c.delete_pod("first", namespace=ns)  # graceful: Terminating, containers stop, then gone
        events = [line.split() for line in (await read_until(proc.stdout, "DELETED")).splitlines()]
        assert events[0][:4] == ["MODIFIED", "first", "1/1", "Terminating"]
        assert events[-1][:2] == ["DELETED", "first"]
    finally:
        proc.kill()
        await proc.wait()


@case
async def case_api_resources(k: Kubectl, sb: Sandbox, version: str) -> None:
    names = (await k.ok("api-resources", "-o", "name")).split()
    assert {"pods", "namespaces", "nodes", "deployments.apps", "jobs.batch"} <= set(names)
    # The reviews behind `auth can-i` / `auth whoami` are served, so discovery lists them, as
    # create-only resources (a real server lists more of each group; the sandbox serves these).
    created = (await k.ok("api-resources", "--verbs=create", "-o", "name")).split()
    assert created == [
        "selfsubjectreviews.authentication.k8s.io",
        "selfsubjectaccessreviews.authorization.k8s.io",
        "selfsubjectrulesreviews.authorization.k8s.io",
    ]
    versions = (await k.ok("api-versions")).split()
    assert {"authentication.k8s.io/v1", "authorization.k8s.io/v1", "apps/v1", "v1"} <= set(versions)
    # Everything claimed listable can be listed, by its short name too.
    names = (await k.ok("api-resources", "--verbs=list", "-o", "name")).split()
    out = await k.ok("get", ",".join(names), "-A", "-o", "name")
    assert "pod/solo" in out.split()
    rows = (await k.ok("api-resources", "--verbs=list", "--no-headers")).splitlines()
    short = [row.split()[1] for row in rows if len(row.split()) == 5]
    await k.ok("get", ",".join(short), "-A", "-o", "name")
    # The verbs claimed are the verbs served: pods can be deleted (see test_kubectl.py).
    assert (await k.ok("api-resources", "--verbs=delete", "-o", "name")).split() == ["pods"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def outcomes(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[tuple[str, str], str]]:
    """Run every (version, case) against one sandbox; map each to "" or its failure."""
    tmp = tmp_path_factory.mktemp("kubectls")
    results: dict[tuple[str, str], str] = {}
    async with Sandbox.start(tls=True) as sb:
        sb.cluster.watch_timeout = 30.0
        kubeconfig = sb.write_kubeconfig(tmp / "kubeconfig")
        build_cluster(sb)
        slots = asyncio.Semaphore(4)

        async def one(version: str, name: str) -> None:
            home = tmp / version
            home.mkdir(exist_ok=True)
            async with slots:
                try:
                    async with asyncio.timeout(20):
                        await CASES[name](Kubectl(KUBECTLS[version], kubeconfig, home), sb, version)
                except (AssertionError, TimeoutError) as exc:
                    results[(version, name)] = f"{type(exc).__name__}: {exc}"
                else:
                    results[(version, name)] = ""

        async with asyncio.TaskGroup() as tg:
            for version in KUBECTLS:
                for name in CASES:
                    tg.create_task(one(version, name))
        yield results


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("version", list(KUBECTLS))
def test_kubectl_version_agrees_with_the_sandbox(
    outcomes: dict[tuple[str, str], str], version: str, name: str
) -> None:
    """One (kubectl version, case) run from the module fixture."""
    assert outcomes[(version, name)] == ""
