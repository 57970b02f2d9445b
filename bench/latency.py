"""Benchmarks 2 and 3 of ``bench/run.py``: follow latency and scale, measured honestly.

Latency is the time from a line's write in the sandbox (its ``sent=<ns>`` stamp) to its
arrival on the follower's stdout.  Three things besides the follower can inflate it, and
each is measured or kept out:

* the sandbox: its send lag (stamp to socket write of the chunk holding the line) is
  recorded by the sandbox itself and shown beside each result (``--lag-stats``);
* this reader: it stamps each ``read()`` of the pipe as it returns, before parsing, so
  its own parsing time is not counted;
* the machine: on a shared machine the processes wait for a CPU.  The run-queue wait of
  the follower and of the sandbox (``/proc/PID/task/*/schedstat``) is shown as a share
  of the measured time; with ``realtime=True`` the three processes run under
  ``SCHED_RR`` so that neighbours cannot delay them, which measures the software rather
  than the machine's other load.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LINE = re.compile(rb"^(\S+) .*?seq=(\d+) sent=(\d+)$", re.MULTILINE)
"""A benchmark line as printed by pystern (``pod container text``) or the raw reader (``pod text``)."""


def make_realtime() -> None:
    """Run the calling process (and what it starts) under SCHED_RR, priority 1."""
    os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))


@contextlib.contextmanager
def realtime_section(enabled: bool) -> Iterator[None]:
    """This process (the reader) under SCHED_RR while the block runs, its old policy after."""
    if not enabled:
        yield
        return
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    make_realtime()
    try:
        yield
    finally:
        os.sched_setscheduler(0, policy, param)


def realtime_allowed() -> bool:
    """Whether this process may use SCHED_RR (root, or CAP_SYS_NICE)."""
    try:
        policy = os.sched_getscheduler(0)
        param = os.sched_getparam(0)
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))
        os.sched_setscheduler(0, policy, param)
    except (OSError, AttributeError):
        return False
    return True


def cpu_and_wait(pid: int) -> tuple[float, float]:
    """(CPU seconds, seconds runnable but waiting for a CPU), summed over the process's threads."""
    cpu = wait = 0
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError):
                on_cpu, queued, _ = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
                cpu += int(on_cpu)
                wait += int(queued)
    return cpu / 1e9, wait / 1e9


@dataclass
class Share:
    """CPU use and run-queue wait of one process over the measured window."""

    cpu: float = 0.0
    wait: float = 0.0

    def text(self) -> str:
        """``CPU 52%, waited 3%`` (both as a share of the measured wall time)."""
        return f"CPU {self.cpu * 100:.0f}%, waited for a CPU {self.wait * 100:.0f}%"


class Window:
    """CPU and run-queue wait of some processes between ``start()`` and ``stop()``."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self._begin: list[tuple[float, float]] = []
        self._t0 = 0.0
        self.shares: list[Share] = [Share() for _ in pids]

    def start(self) -> None:
        """Open the window."""
        self._t0 = time.monotonic()
        self._begin = [cpu_and_wait(pid) for pid in self.pids]

    def stop(self) -> None:
        """Close the window and compute the shares."""
        wall = max(1e-9, time.monotonic() - self._t0)
        for i, pid in enumerate(self.pids):
            cpu, wait = cpu_and_wait(pid)
            self.shares[i] = Share((cpu - self._begin[i][0]) / wall, (wait - self._begin[i][1]) / wall)


@dataclass
class Sandbox:
    """A running ``sandbox_proc.py``: its kubeconfig, pid and send-lag figures file."""

    kubeconfig: Path
    pid: int
    stats_path: Path
    stats: dict[str, dict[str, float]] = field(default_factory=dict)

    def lag_text(self) -> str:
        """The sandbox's own share: stamp to socket write."""
        lag = self.stats.get("send_lag_ms") or {}
        if not lag:
            return "sandbox send lag not measured"
        return f"sandbox stamp-to-socket p50 {lag['p50']:.2f} ms, p99 {lag['p99']:.2f} ms"


@contextlib.contextmanager
def sandbox_process(args: list[str], **popen: Any) -> Iterator[subprocess.Popen[str]]:
    """``sandbox_proc.py ARGS`` in a process of its own, yielded once it says READY; stopped on exit.

    Both ``run.py``'s throughput sandbox and the follow sandbox below start this way.
    """
    script = [sys.executable, str(HERE / "sandbox_proc.py"), *args]
    proc = subprocess.Popen(script, stdout=subprocess.PIPE, text=True, **popen)
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        if "READY" not in ready:
            raise RuntimeError(f"sandbox did not start (said {ready!r})")
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextlib.contextmanager
def follow_sandbox(pods: int, rate: float, *, realtime: bool) -> Iterator[Sandbox]:
    """A follow-scenario sandbox in its own process (uvloop if installed), with send-lag figures."""
    with tempfile.TemporaryDirectory(prefix="pystern-bench-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        stats = Path(tmp) / "lag.json"
        args = ["follow", str(kubeconfig), "--pods", str(pods), "--rate", str(rate)]
        args += ["--uvloop", "--lag-stats", str(stats)]
        box: Sandbox | None = None
        try:
            # A session of its own, hence (with autogroup scheduling) a CPU share of its own: a
            # real API server runs on another machine and takes nothing from the follower's share.
            with sandbox_process(
                args,
                stderr=subprocess.DEVNULL,
                preexec_fn=make_realtime if realtime else None,
                start_new_session=True,
            ) as proc:
                box = Sandbox(kubeconfig, proc.pid, stats)
                yield box
        finally:
            # The sandbox writes its figures as it exits, so they are read after it stopped.
            if box is not None:
                with contextlib.suppress(OSError, ValueError):
                    box.stats = json.loads(stats.read_text())


@dataclass
class FollowResult:
    """What one follower run produced."""

    latencies: array[float] = field(default_factory=lambda: array("d"))
    seqs: dict[bytes, list[int]] = field(default_factory=dict)
    samples: list[tuple[float, int, int]] = field(default_factory=list)
    """(seconds since start, RSS KiB, open fds), once a second."""
    follower: Share = field(default_factory=Share)
    sandbox: Share = field(default_factory=Share)
    measured_seconds: float = 0.0


def _sample_forever(pid: int, start: float, out: list[tuple[float, int, int]], stop: threading.Event) -> None:
    while not stop.wait(1.0):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            found = re.search(r"VmRSS:\s+(\d+)", status)
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            return
        if found:
            out.append((time.monotonic() - start, int(found.group(1)), fds))


def follow(
    cmd: list[str],
    env: dict[str, str],
    box: Sandbox,
    *,
    seconds: float,
    warmup: float,
    realtime: bool = False,
) -> FollowResult:
    """Run a follower against ``box`` for ``seconds``; latencies count after ``warmup``."""
    result = FollowResult()
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        preexec_fn=make_realtime if realtime else None,
    )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    start = time.monotonic()
    stop = threading.Event()
    sampler = threading.Thread(
        target=_sample_forever, args=(proc.pid, start, result.samples, stop), daemon=True
    )
    sampler.start()
    window = Window([proc.pid, box.pid])
    measuring = False
    seqs = result.seqs
    latencies = result.latencies
    rest = b""
    try:
        while True:
            elapsed = time.monotonic() - start
            if elapsed > seconds:
                break
            if not measuring and elapsed > warmup:
                measuring = True
                window.start()
                with contextlib.suppress(OSError):
                    os.kill(box.pid, signal.SIGUSR1)  # the sandbox forgets its warm-up figures
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            data = os.read(fd, 1 << 20)
            # One stamp per read, taken before any parsing: the lines of this read arrived now.
            now = time.time_ns()
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            for pod, seq, sent in LINE.findall(data, 0, cut):
                seqs.setdefault(pod, []).append(int(seq))
                if measuring:
                    latencies.append((now - int(sent)) / 1e6)
    finally:
        if measuring:
            window.stop()
            result.measured_seconds = time.monotonic() - start - warmup
        stop.set()
        # Close our end first: a follower blocked writing to a full pipe then exits on EPIPE.
        proc.stdout.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    result.follower, result.sandbox = window.shares
    return result


def lost_and_repeated(seqs: dict[bytes, list[int]]) -> tuple[int, int]:
    """Gaps and repeats in each pod's sequence numbers (between the first and last seen)."""
    lost = repeated = 0
    for values in seqs.values():
        repeated += len(values) - len(set(values))
        lost += (max(values) - min(values) + 1) - len(set(values))
    return lost, repeated


def percentile(values: array[float] | list[float], q: float) -> float:
    """The q-th percentile (0-100) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


Row = tuple[str, str, str]


def follow_fresh(
    pods: int,
    rate: float,
    seconds: float,
    cmd_for: Callable[[Path], list[str]],
    env_for: Callable[[Path, str], dict[str, str]],
    *,
    warmup_cap: float,
    realtime: bool,
) -> tuple[Sandbox, FollowResult]:
    """One follower against a sandbox of its own; the first third of the run (at most
    ``warmup_cap`` s) is warm-up.  The sandbox comes back stopped, with its figures read."""
    with follow_sandbox(pods, rate, realtime=realtime) as box, tempfile.TemporaryDirectory() as tmp:
        res = follow(
            cmd_for(box.kubeconfig),
            env_for(box.kubeconfig, tmp),
            box,
            seconds=seconds,
            warmup=min(warmup_cap, seconds / 3),
            realtime=realtime,
        )
    return box, res


def bench_latency(
    pods: int,
    rate: float,
    seconds: float,
    runs: dict[str, Callable[[Path], list[str]]],
    env_for: Callable[[Path, str], dict[str, str]],
    *,
    realtime: bool = False,
) -> list[Row]:
    """Benchmark 2: write-to-stdout latency while following, one fresh sandbox per follower."""
    rows: list[Row] = []
    mode = " (SCHED_RR)" if realtime else ""
    for name, make_cmd in runs.items():
        box, res = follow_fresh(pods, rate, seconds, make_cmd, env_for, warmup_cap=10.0, realtime=realtime)
        title = f"follow latency {pods} containers x {rate:g} lines/s{mode}: {name}"
        lat = res.latencies
        if not lat:
            rows.append((title, "no lines received", ""))
            continue
        lost, repeated = lost_and_repeated(res.seqs)
        rows.append(
            (
                title,
                f"p50 {percentile(lat, 50):.1f} ms, p99 {percentile(lat, 99):.1f} ms",
                f"p90 {percentile(lat, 90):.1f}, max {max(lat):.0f} ms; {len(lat)} lines, {lost} lost, "
                f"{repeated} repeated; follower {res.follower.text()}; sandbox {res.sandbox.text()}, "
                f"{box.lag_text()}",
            )
        )
    return rows


def bench_scale(
    pods: int,
    rate: float,
    seconds: float,
    cmd_for: Callable[[Path], list[str]],
    env_for: Callable[[Path, str], dict[str, str]],
    *,
    realtime: bool = False,
) -> list[Row]:
    """Benchmark 3: many followed containers: RSS, CPU, fds, nothing lost."""
    _, res = follow_fresh(pods, rate, seconds, cmd_for, env_for, warmup_cap=20.0, realtime=realtime)
    title = f"scale: {pods} containers x {rate:g} lines/s, {seconds:.0f} s"
    if not res.samples:
        return [(title, "no samples", "")]
    lost, repeated = lost_and_repeated(res.seqs)
    peak_rss = max(s[1] for s in res.samples) / 1024
    peak_fds = max(s[2] for s in res.samples)
    return [
        (
            title,
            f"peak RSS {peak_rss:.0f} MiB, {res.follower.text()}, {peak_fds} fds",
            f"{len(res.seqs)} of {pods} containers seen, {lost} lost, {repeated} repeated; "
            f"latency p99 {percentile(res.latencies, 99) if res.latencies else float('nan'):.0f} ms",
        )
    ]
