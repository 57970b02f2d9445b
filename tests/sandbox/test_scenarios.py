"""The background scenarios: churn records every line it writes; demo builds a small cluster."""

from __future__ import annotations

import asyncio
import itertools

from pystern.sandbox import Sandbox
from pystern.sandbox.churn import Churn
from pystern.sandbox.demo import Demo


async def test_churn_lines_are_all_served(sandbox: Sandbox) -> None:
    churn = Churn(sandbox.cluster, pods=3, lines_per_second=500, pod_lifetime=60, restart_every=0, tick=0.01)
    await churn.run(0.3)
    assert len(churn.written) > 50
    served: list[bytes] = []
    for name in churn.live:
        for container in churn.containers:
            served += sandbox.cluster.log_of(name, container, namespace="churn").splitlines()
    stripped = sorted(line.split(b" ", 1)[1] for line in served)
    assert stripped == sorted(churn.written)
    assert len(set(churn.written)) == len(churn.written)


async def test_churn_replaces_pods_and_restarts(sandbox: Sandbox) -> None:
    churn = Churn(sandbox.cluster, pods=2, pod_lifetime=0.05, restart_every=0.05, tick=0.01)
    # Stepped with its own clock, not the loop's: a loaded machine must not thin out the ticks.
    churn.start(0.0)
    for i in range(1, 31):
        churn.step(i * 0.01)
    assert len(churn.live) == 2
    assert min(int(name.split("-")[1]) for name in churn.live) > 2
    restarts = sum(c.restart_count for rec in sandbox.cluster.pods.values() for c in rec.containers)
    assert restarts > 0


async def test_churn_keeps_restarts_of_one_container_apart(sandbox: Sandbox) -> None:
    """With ``restart_gap``, no container is restarted again sooner than that (its previous log
    would be gone before a tail could read it); without it, restarts come as they fall."""

    def restart_intervals(restart_gap: float) -> list[float]:
        churn = Churn(
            sandbox.cluster,
            namespace=f"gap-{restart_gap}",
            pods=1,
            pod_lifetime=60,
            restart_every=0.02,
            tick=0.01,
            restart_gap=restart_gap,
        )
        churn.start(0.0)
        restarted: dict[str, list[float]] = {}
        for i in range(1, 201):  # stepped with its own clock, as above
            before = {c.name: c.restart_count for c in sandbox.cluster.pod(*_only_pod(churn)).containers}
            churn.step(i * 0.01)
            for c in sandbox.cluster.pod(*_only_pod(churn)).containers:
                if c.restart_count > before[c.name]:
                    restarted.setdefault(c.name, []).append(i * 0.01)
        return [b - a for times in restarted.values() for a, b in itertools.pairwise(times)]

    assert min(restart_intervals(0.0)) < 0.5
    assert min(restart_intervals(0.5)) >= 0.5


def _only_pod(churn: Churn) -> tuple[str, str]:
    (name,) = churn.live
    return name, churn.namespace


async def test_demo_setup_and_a_few_ticks(sandbox: Sandbox) -> None:
    demo = Demo(sandbox.cluster, seed=1)
    demo.setup()
    for _ in range(50):
        demo.tick_lines()
    c = sandbox.cluster
    assert len(demo.pods_of("web")) == 3
    assert ("backend", "db-0") in c.pods
    assert c.pod("db-0", "backend").container("init-schema") is not None
    assert {ns for ns, _ in c.pods} == {"default", "backend"}
    written = sum(
        len(cont.current.log)
        for rec in c.pods.values()
        for cont in rec.containers
        if cont.current is not None
    )
    assert written > 50


async def test_demo_scenario_runs_in_background() -> None:
    async with Sandbox.start(scenario="demo") as sb:
        await asyncio.sleep(0.6)
        assert sb.scenario_task is not None
        assert not sb.scenario_task.done()
        assert any(rec.name == "flaky" for rec in sb.cluster.pods.values())


async def test_cronjob_keeps_three_finished_jobs(sandbox: Sandbox) -> None:
    # As the CronJob controller does (successfulJobsHistoryLimit 3): the demo runs one every two
    # minutes for as long as it is left open, and its finished pods must not pile up without end.
    c = sandbox.cluster
    c.add_cronjob("report", containers=("report",))
    finished = []
    for _ in range(5):
        name = c.run_cronjob("report")["metadata"]["name"]
        c.complete_job(name)
        finished.append(name)
    running = c.run_cronjob("report")["metadata"]["name"]
    jobs = {j["metadata"]["name"] for j in c.store.items("jobs", "default")}
    assert jobs == {*finished[-3:], running}
    assert len(jobs) == 4  # every name distinct, no job replaced by a namesake
    pods_of = {rec.labels["job-name"] for rec in c.pods.values()}
    assert pods_of == jobs


async def test_the_demos_history_starts_after_its_pods_and_containers(sandbox: Sandbox) -> None:
    # The demo writes a minute of history when it starts: its pods must look that old, as a
    # kubelet never logs before a container starts (kubectl get pods said AGE 5s beside
    # log lines a minute old), and a line's own clock (access logs, JSON ts) agrees with it.
    import datetime
    import re

    from pystern.timefmt import parse_rfc3339_ns

    demo = Demo(sandbox.cluster, seed=1)
    demo.setup()
    c = sandbox.cluster
    for (ns, name), rec in c.pods.items():
        pod = c.store.get("pods", ns, name)
        assert pod is not None
        created = parse_rfc3339_ns(pod["metadata"]["creationTimestamp"])
        for cont in rec.containers:
            if cont.current is None:
                continue
            for line in c.log_of(name, cont.name, namespace=ns).splitlines():
                stamp, _, text = line.partition(b" ")
                ts = parse_rfc3339_ns(stamp.decode())
                assert ts >= created // 10**9 * 10**9, (name, cont.name, line)
                assert ts >= cont.current.started_ns // 10**9 * 10**9, (name, cont.name, line)
                own = re.search(rb"\[(\d\d/\w+/\d{4}:\d\d:\d\d:\d\d) \+0000\]", text)
                if own:
                    when = datetime.datetime.strptime(own.group(1).decode(), "%d/%b/%Y:%H:%M:%S")
                    assert abs(when.replace(tzinfo=datetime.UTC).timestamp() - ts / 1e9) < 1, line
    deploy = c.store.get("deployments", "default", "web")
    assert deploy is not None
    assert parse_rfc3339_ns(deploy["metadata"]["creationTimestamp"]) <= created
    job = c.store.get("jobs", "backend", "migrate")
    assert job is not None
    assert parse_rfc3339_ns(job["status"]["startTime"]) <= created  # kubectl's DURATION
