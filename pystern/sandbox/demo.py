"""Scenarios that run in the background of a sandbox (``--scenario demo``).

The demo looks like a small real cluster and never stops:

* ``default``: Deployment ``web`` (3 replicas; ``app`` writes access-log lines, ``proxy``
  is a sidecar) whose pods are replaced one at a time about every minute; pod ``flaky``,
  which is OOMKilled about every 20 s and crash-loops back;
* ``backend``: Deployment ``worker`` writing JSON lines with levels; StatefulSet pod
  ``db-0`` with a completed init container; Job ``migrate`` whose pod completes; CronJob
  ``report`` that starts a short Job every two minutes.

Lines come at a human-readable rate (a few per second overall).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time

from pystern.sandbox.churn import Churn
from pystern.sandbox.workloads import ScenarioDriver

INSTANCE = "app.kubernetes.io/instance"
"""The label `--prompt` offers values of (pystern.prompt.LABEL; the sandbox imports nothing above it)."""

_PATHS = ["/", "/api/cart", "/api/items?page=2", "/static/app.js", "/healthz", "/login", "/api/checkout"]
_AGENTS = ["curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64)", "kube-probe/1.32", "python-httpx/0.27"]
_WORK = ["resize-image", "send-email", "index-document", "charge-card", "sync-inventory"]


def _access_line(rng: random.Random, when_ns: int) -> str:
    status = rng.choices([200, 201, 304, 404, 500], [70, 5, 10, 10, 5])[0]
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(when_ns // 1_000_000_000))
    return (
        f'10.244.{rng.randint(0, 3)}.{rng.randint(2, 250)} - - [{stamp}] "{rng.choice(["GET", "POST"])} '
        f'{rng.choice(_PATHS)} HTTP/1.1" {status} {rng.randint(120, 48000)} "-" "{rng.choice(_AGENTS)}"'
    )


def _worker_line(rng: random.Random, when_ns: int) -> str:
    level = rng.choices(["debug", "info", "warn", "error"], [15, 65, 15, 5])[0]
    record = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when_ns // 1_000_000_000)),
        "level": level,
        "msg": {"error": "job failed", "warn": "retrying job"}.get(level, "job processed"),
        "job": rng.choice(_WORK),
        "id": rng.randint(1000, 99999),
        "duration_ms": rng.randint(3, 900),
    }
    return json.dumps(record)


HISTORY_SECONDS = 60
"""How much past log the demo writes at start."""


class _Stamped:
    """The driver's ``write`` with a fixed timestamp (None = now)."""

    def __init__(self, cluster: ScenarioDriver, ts_ns: int | None) -> None:
        self.cluster = cluster
        self.ts_ns = ts_ns

    def write(self, pod: str, container: str, line: str, namespace: str = "default") -> None:
        self.cluster.write(pod, container, line, namespace=namespace, ts_ns=self.ts_ns)


class Demo:
    """State of the running demo."""

    def __init__(self, cluster: ScenarioDriver, seed: int | None = None) -> None:
        self.c = cluster
        self.rng = random.Random(seed)
        self.loop_started = time.monotonic()

    def setup(self) -> None:
        """Create the initial objects."""
        c = self.c
        c.add_namespace("backend")
        c.add_node("node-2")
        # app.kubernetes.io/instance gives `pystern --demo -p` values to pick.
        shop = {INSTANCE: "storefront"}
        c.add_deployment(
            "web", replicas=3, containers=("app", "proxy"), labels={"app": "web", "tier": "frontend", **shop}
        )
        c.add_service("web", {"app": "web"})
        c.add_deployment(
            "worker", namespace="backend", replicas=1, labels={"app": "worker", INSTANCE: "jobs"}
        )
        c.add_statefulset(
            "db", namespace="backend", containers=("postgres",), init_containers=("init-schema",)
        )
        c.add_pod("flaky", containers=("app",), labels={"app": "flaky", **shop})
        c.add_job("migrate", namespace="backend", containers=("migrate",))
        c.add_cronjob("report", namespace="backend", containers=("report",), schedule="*/2 * * * *")
        # The history below reaches back before these objects were made: date them back, as a
        # kubelet never logs before a container starts (kubectl said AGE 5s beside older lines).
        c.date_back(HISTORY_SECONDS + 1)
        start = time.time_ns() - HISTORY_SECONDS * 1_000_000_000
        init = c.pod("db-0", "backend").container("init-schema")
        if init is not None and init.current is not None:
            init.current.log.append([b"waiting for volume", b"schema version 42 is up to date"], start)
        for pod in self.pods_of("web"):
            c.write(pod, "proxy", "proxy listening on :8080, upstream 127.0.0.1:3000", ts_ns=start)
        c.write(
            "db-0",
            "postgres",
            "LOG:  database system is ready to accept connections",
            namespace="backend",
            ts_ns=start,
        )
        c.write("flaky", "app", "starting cache warm-up", ts_ns=start)
        self.backfill(start)

    def backfill(self, start_ns: int) -> None:
        """Write a past minute of lines, so that ``--no-follow`` and ``--tail`` show history."""
        ticks = HISTORY_SECONDS * 4
        step = (time.time_ns() - start_ns) // (ticks + 1)
        for n in range(1, ticks + 1):
            self.tick_lines(ts_ns=start_ns + n * step)

    def pods_of(self, app: str, namespace: str = "default") -> list[str]:
        """Running pod names with label ``app=<app>``."""
        return sorted(
            rec.name
            for (ns, _), rec in self.c.pods.items()
            if ns == namespace and rec.labels.get("app") == app and not rec.deleting_ns
        )

    def _live(self, pod: str, container: str, namespace: str = "default") -> bool:
        rec = self.c.pods.get((namespace, pod))
        if rec is None:
            return False
        cont = rec.container(container)
        return (
            cont is not None and cont.current is not None and cont.current.running and not cont.waiting_reason
        )

    def tick_lines(self, ts_ns: int | None = None) -> None:
        """Write one line somewhere (at ``ts_ns``, default now)."""
        rng = self.rng
        c = _Stamped(self.c, ts_ns)
        when = time.time_ns() if ts_ns is None else ts_ns  # a line's own clock agrees with the kubelet's
        roll = rng.random()
        if roll < 0.45:
            pods = self.pods_of("web")
            if pods:
                c.write(rng.choice(pods), "app", _access_line(rng, when))
        elif roll < 0.55:
            pods = self.pods_of("web")
            if pods:
                c.write(rng.choice(pods), "proxy", f"upstream latency p99={rng.randint(5, 400)}ms")
        elif roll < 0.85:
            for pod in self.pods_of("worker", "backend"):
                c.write(pod, "app", _worker_line(rng, when), namespace="backend")
        elif roll < 0.92:
            if self._live("db-0", "postgres", "backend"):
                c.write(
                    "db-0",
                    "postgres",
                    rng.choice(
                        [
                            "LOG:  checkpoint starting: time",
                            f"LOG:  checkpoint complete: wrote {rng.randint(3, 900)} buffers",
                            f"LOG:  duration: {rng.uniform(0.1, 90):.3f} ms  statement: SELECT 1",
                        ]
                    ),
                    namespace="backend",
                )
        elif self._live("flaky", "app"):
            c.write("flaky", "app", f"allocated {rng.randint(64, 512)} MiB, heap at {rng.randint(40, 99)}%")

    async def run(self) -> None:
        """The never-ending loop."""
        self.setup()
        step = 0.25
        tick = 0
        flaky_down_at: float | None = None
        job_started = time.monotonic()
        cron_at = time.monotonic() + 30
        next_replace = time.monotonic() + 60
        while True:
            await asyncio.sleep(step)
            tick += 1
            now = time.monotonic()
            self.tick_lines()
            c = self.c
            if flaky_down_at is None and tick % 80 == 0 and ("default", "flaky") in c.pods:
                c.write("flaky", "app", "fatal: out of memory while growing cache")
                c.set_waiting(
                    "flaky", "app", "CrashLoopBackOff", exit_code=137, terminated_reason="OOMKilled"
                )
                flaky_down_at = now
            elif flaky_down_at is not None and now - flaky_down_at > 5:
                c.set_running("flaky", "app")
                c.write("flaky", "app", "starting cache warm-up")
                flaky_down_at = None
            for job in ("migrate",):
                pods = [
                    rec.name
                    for (ns, _), rec in c.pods.items()
                    if ns == "backend"
                    and rec.labels.get("job-name") == job
                    and rec.current_phase == "Running"
                ]
                for pod in pods:
                    if now - job_started < 8:
                        c.write(pod, "migrate", f"applying migration {tick:04d}", namespace="backend")
                    else:
                        c.write(pod, "migrate", "all migrations applied", namespace="backend")
                        c.complete_job(job, namespace="backend")
            if now >= cron_at:
                cron_at = now + 120
                made = c.run_cronjob("report", namespace="backend")
                self._finish_later(made["metadata"]["name"])
            if now >= next_replace:
                next_replace = now + 60
                # A rolling update: one web pod moves to the newest ReplicaSet per step.
                new = c.rolling_step("web", grace=3.0)
                c.write(new["metadata"]["name"], "proxy", "proxy listening on :8080, upstream 127.0.0.1:3000")

    def _finish_later(self, job: str) -> None:
        for (ns, _), rec in list(self.c.pods.items()):
            if ns == "backend" and rec.labels.get("job-name") == job:
                self.c.write(rec.name, "report", "report: 1423 orders, 3 refunds", namespace="backend")
        asyncio.get_running_loop().call_later(4, self._complete, job)

    def _complete(self, job: str) -> None:
        with contextlib.suppress(KeyError):
            self.c.complete_job(job, namespace="backend")


async def run_scenario(name: str, cluster: ScenarioDriver) -> None:
    """Run the named scenario until cancelled."""
    if name == "demo":
        await Demo(cluster).run()
        return
    if name == "churn":
        await Churn(cluster).run()
        return
    raise ValueError(f"unknown scenario {name!r} (choose demo, churn or empty)")
