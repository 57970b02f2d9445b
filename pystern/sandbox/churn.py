"""The ``churn`` scenario: pods come and go and containers restart while numbered lines flow.

Every line written is recorded in :attr:`Churn.written`, so a test can check that a
tailer printed each one exactly once (with faults injected on top).  Lines look like
``churn-3/app seq=000042`` and are unique across the whole run.
"""

from __future__ import annotations

import asyncio
import itertools
import random

from pystern.sandbox.workloads import ScenarioDriver


class Churn:
    """Drives a churning namespace; see the module docstring."""

    def __init__(
        self,
        cluster: ScenarioDriver,
        *,
        namespace: str = "churn",
        pods: int = 4,
        containers: tuple[str, ...] = ("app", "side"),
        lines_per_second: float = 200.0,
        pod_lifetime: float = 2.0,
        restart_every: float = 1.5,
        tick: float = 0.02,
        seed: int = 0,
        deletion_grace: float = 0.0,
        restart_gap: float = 0.0,
    ) -> None:
        self.c = cluster
        self.namespace = namespace
        self.pod_count = pods
        self.containers = containers
        self.rate = lines_per_second
        self.pod_lifetime = pod_lifetime
        self.restart_every = restart_every
        self.tick = tick
        self.rng = random.Random(seed)
        self.deletion_grace = deletion_grace
        """Seconds a replaced pod stays Terminating (its log readable) before it is gone."""
        self.restart_gap = restart_gap
        """Seconds a restarted container runs at least before it is restarted again.  The kubelet
        keeps one previous log: an instance replaced twice before a tail read its rest is gone
        for any client, so tests that count every line keep restarts of one container apart."""
        self._restarted: dict[tuple[str, str], float] = {}
        self.seq = itertools.count()
        self.names = itertools.count()
        self.written: list[bytes] = []
        """Every line written, in order (without the newline)."""
        self.live: dict[str, float] = {}
        """Pod name -> loop time it was created."""
        self.labels = {"app": "churn"}
        self._last_step: float | None = None
        """The clock at the last step (or the start): each step writes for the time since then."""

    def _new_pod(self, now: float) -> None:
        name = f"churn-{next(self.names)}"
        self.c.add_pod(name, namespace=self.namespace, containers=self.containers, labels=self.labels)
        self.live[name] = now

    def start(self, now: float) -> None:
        """Create the first pods."""
        self._last_step = now
        self.c.add_namespace(self.namespace)
        for _ in range(self.pod_count):
            self._new_pod(now)

    def step(self, now: float) -> None:
        """One tick: write lines, maybe replace a pod, maybe restart a container.

        The lines and the chance of a restart follow the time since the last step, not the
        nominal tick: on a loaded machine a tick's sleep runs late, and a budget per tick
        thinned the output (a test's 4 s churn wrote 1000 lines where it meant 1680).
        """
        elapsed = self.tick if self._last_step is None else max(0.0, now - self._last_step)
        self._last_step = now
        budget = self.rate * elapsed
        count = int(budget) + (1 if self.rng.random() < budget - int(budget) else 0)
        names = sorted(self.live)
        for _ in range(count):
            pod = self.rng.choice(names)
            container = self.rng.choice(self.containers)
            line = f"{pod}/{container} seq={next(self.seq):06d}".encode()
            self.c.write(pod, container, line, namespace=self.namespace)
            self.written.append(line)
        oldest = min(self.live, key=self.live.__getitem__)
        if now - self.live[oldest] >= self.pod_lifetime:
            self.c.delete_pod(oldest, namespace=self.namespace, grace=self.deletion_grace)
            del self.live[oldest]
            self._new_pod(now)
        if self.restart_every and self.rng.random() < elapsed / self.restart_every:
            pod = self.rng.choice(sorted(self.live))
            container = self.rng.choice(self.containers)
            last = self._restarted.get((pod, container))
            if last is None or now - last >= self.restart_gap:
                self._restarted[(pod, container)] = now
                self.c.restart_container(pod, container, namespace=self.namespace)

    async def run(self, duration: float | None = None) -> None:
        """Churn for ``duration`` seconds (forever when None)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        if not self.live:
            self.start(started)
        while duration is None or loop.time() - started < duration:
            await asyncio.sleep(self.tick)
            self.step(loop.time())
