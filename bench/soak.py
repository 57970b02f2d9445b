"""Soak: pystern follows the sandbox's churn scenario for a long time while faults keep coming.

Usage: ``python bench/soak.py [--minutes 30] [--seconds S] [--json]``

The sandbox runs in this process; pystern runs as a real process (``pystern -n churn . -o raw``)
and its stdout is read here.  Pods come and go and containers restart while numbered lines
flow (:class:`pystern.sandbox.churn.Churn` records every line written).  Every ``--fault-every``
seconds one fault from the cycle below is injected: log streams reset mid-line or ended
cleanly, watches expired (410), closed or truncated, 503s when opening streams, a 429 with
Retry-After on the watch, an API server restart (refused for 2 s) and, in runs of ten
minutes or more, a stalled half-open stream (pystern's watchdog needs 60 s to call it stalled).

A stalled stream of a running pod is probed after 60 s of silence, so the stall fault is used
only in runs of ten minutes or more (shorter runs could end before the watchdog fires); a stalled
stream of a terminating or stopped pod is probed at once (see README, "How pystern follows logs").
``--faults`` picks the cycle.

Every ``--report-every`` seconds it prints pystern's RSS and open file descriptors; at the end
the number of lost, repeated and unexpected lines (all must be zero) and the growth of RSS and
fds since the warm-up.  Exit status 0 when the run was clean, 1 otherwise.  ``--json`` adds one
JSON summary line (used by tests/reliability/test_soak_short.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pystern.sandbox import Sandbox
from pystern.sandbox.churn import Churn
from pystern.sandbox.faultcycle import FAULTS, inject
from pystern.sandbox.procstats import open_fds, rss_kib

PYSTERN = str(Path(sys.executable).parent / "pystern")


@dataclass
class Sample:
    """One reading of the pystern process."""

    seconds: float
    rss_kib: int
    fds: int
    written: int
    received: int


@dataclass
class Summary:
    """The verdict of a soak run."""

    seconds: float
    written: int
    received: int
    lost: int
    repeated: int
    unexpected: int
    faults: dict[str, int]
    warm: Sample | None
    end: Sample | None
    rss_growth_kib: int
    fd_growth: int
    exit_code: int | None
    stderr_lines: int
    samples: list[Sample] = field(default_factory=list)

    def clean(self, rss_margin_kib: int, fd_margin: int) -> bool:
        """No line lost or repeated, and RSS / fds at the end within the margins above the warm-up."""
        return (
            self.lost == 0
            and self.repeated == 0
            and self.unexpected == 0
            and self.rss_growth_kib <= rss_margin_kib
            and self.fd_growth <= fd_margin
        )


RESTART_GAP = 5.0
"""Seconds a restarted container runs at least before the churn restarts it again.

The kubelet keeps one previous log, so an instance replaced twice before a tail read its rest is
gone for any client (README, "What is left").  The API-server restart fault leaves every client
blind for its 2 s of down-time plus up to 2 s before the pod watch polls again
(``RetryPolicy.unreachable_poll``); without a gap, a container restarted twice in that window
lost its first instance's lines in about one run in six (seen 2026-11-28: churn-4/app restarted
at 5.66 and 6.46 s, the server down from 3.8 to 5.8 s, pystern's relist at 7.15 s).
"""

DELETION_GRACE = 5.0
"""Seconds a replaced pod stays Terminating, as real pods do for their grace period.

With no grace, a line written just before a stream fault and then the deletion would be gone
from the server before any client could read it again (the kubelet removes the container's
log too).  5 s covers a reconnection after any fault here, so every line written stays
readable."""


async def _inject(sb: Sandbox, fault: str, long_run: bool, forced: bool = False) -> str:
    """Inject one fault; returns the name actually used."""
    if fault == "stall" and not long_run and not forced:
        fault = "reset"  # the watchdog needs 60 s of silence: only worth it in long runs
    await inject(sb, fault)
    return fault


async def _pump(stream: asyncio.StreamReader, received: Counter[bytes], total: list[int]) -> None:
    partial = b""
    while chunk := await stream.read(1 << 16):
        data = partial + chunk
        lines = data.split(b"\n")
        partial = lines.pop()
        received.update(lines)
        total[0] += len(lines)


async def _count(stream: asyncio.StreamReader, into: list[bytes]) -> None:
    while line := await stream.readline():
        into.append(line)


async def soak(
    seconds: float,
    *,
    fault_every: float,
    report_every: float,
    warmup: float,
    drain: float = 20.0,
    seed: int = 0,
    verbose: bool = False,
    cycle_of: tuple[str, ...] = FAULTS,
    out: object = sys.stdout,
) -> Summary:
    """Run the soak and return its summary (progress lines go to ``out``)."""

    def say(text: str) -> None:
        print(text, file=out, flush=True)  # type: ignore[call-overload]

    long_run = seconds >= 600
    async with Sandbox.start() as sb:
        sb.cluster.watch_timeout = 60.0
        with tempfile.TemporaryDirectory(prefix="pystern-soak-") as tmp:
            kubeconfig = sb.write_kubeconfig(Path(tmp) / "kubeconfig")
            churn = Churn(
                sb.cluster,
                pods=4,
                lines_per_second=200,
                pod_lifetime=4.0,
                restart_every=3.0,
                seed=seed,
                deletion_grace=DELETION_GRACE,
                restart_gap=RESTART_GAP,
            )
            loop = asyncio.get_running_loop()
            churn.start(loop.time())
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSTERN", "KUBE"))}
            proc = await asyncio.create_subprocess_exec(
                PYSTERN,
                ".",
                "-n",
                "churn",
                "--kubeconfig",
                str(kubeconfig),
                "--color",
                "never",
                "--only-log-lines",
                "-o",
                "raw",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={**env, "HOME": tmp},
                limit=1 << 22,
            )
            assert proc.stdout is not None
            assert proc.stderr is not None
            received: Counter[bytes] = Counter()
            total = [0]
            errors: list[bytes] = []
            readers = [
                asyncio.create_task(_pump(proc.stdout, received, total)),
                asyncio.create_task(_count(proc.stderr, errors)),
            ]
            # Lines flow only once pystern follows every first pod: a container that restarted
            # before pystern's first list shows only its current instance, and --tail applies to
            # the pods found at start (stern's rule), so their earlier lines are not pystern's to show.
            first = churn.pod_count * len(churn.containers)
            for _ in range(600):  # 30 s at most: polling another process's progress
                if len(sb.cluster.streams) >= first or proc.returncode is not None:
                    break
                await asyncio.sleep(0.05)
            runner = asyncio.create_task(churn.run(seconds))
            started = loop.time()
            samples: list[Sample] = []
            warm: Sample | None = None
            faults: Counter[str] = Counter()
            next_fault = started + fault_every
            next_report = started + min(report_every, warmup)
            cycle = 0

            def sample() -> Sample:
                s = Sample(
                    round(loop.time() - started, 1),
                    rss_kib(proc.pid),
                    open_fds(proc.pid),
                    len(churn.written),
                    total[0],
                )
                samples.append(s)
                return s

            say(
                f"soak: {seconds:.0f} s of churn with a fault every {fault_every:.0f} s "
                f"(pystern pid {proc.pid})"
            )
            fd_peak = 0
            while not runner.done():
                now = loop.time()
                if warm is None:
                    # The open-fd count swings with the faults (streams reconnecting, pods in their grace
                    # period): the baseline is the peak seen during the warm-up, not one lucky reading.
                    fd_peak = max(fd_peak, open_fds(proc.pid))
                if warm is None and now - started >= warmup:
                    warm = sample()
                    warm.fds = max(warm.fds, fd_peak)
                    say(
                        f"  warm   t={warm.seconds:7.1f}s rss={warm.rss_kib / 1024:6.1f} MiB "
                        f"fds={warm.fds} (peak so far)"
                    )
                if now >= next_report:
                    s = sample()
                    say(
                        f"  sample t={s.seconds:7.1f}s rss={s.rss_kib / 1024:6.1f} MiB fds={s.fds:3d} "
                        f"written={s.written} received={s.received}"
                    )
                    next_report = now + report_every
                if now >= next_fault and now - started < seconds - 3:
                    name = await _inject(sb, cycle_of[cycle % len(cycle_of)], long_run, cycle_of != FAULTS)
                    faults[name] += 1
                    if verbose:
                        say(f"  fault  t={loop.time() - started:7.1f}s {name} (line {len(churn.written)})")
                    cycle += 1
                    next_fault = loop.time() + fault_every
                if proc.returncode is not None:
                    say(f"  pystern exited early with {proc.returncode}")
                    runner.cancel()
                    break
                await asyncio.sleep(0.1)
            raise_scenario_error(runner)
            want = Counter(churn.written)
            deadline = loop.time() + drain
            while loop.time() < deadline and not received >= want and proc.returncode is None:  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # polling: the reader task has no event per line, on purpose
            await asyncio.sleep(0.3)
            end = sample()
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)
            try:
                async with asyncio.timeout(10):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
            for task in readers:
                try:
                    async with asyncio.timeout(5):
                        await task
                except TimeoutError:
                    task.cancel()
    lost = sum((want - received).values())
    repeated = sum(n - 1 for line, n in received.items() if n > 1 and line in want)
    unexpected = sum(n for line, n in received.items() if line not in want)
    base = warm or (samples[0] if samples else end)
    summary = Summary(
        seconds=round(end.seconds, 1),
        written=len(churn.written),
        received=total[0],
        lost=lost,
        repeated=repeated,
        unexpected=unexpected,
        faults=dict(faults),
        warm=warm,
        end=end,
        rss_growth_kib=end.rss_kib - base.rss_kib,
        fd_growth=end.fds - base.fds,
        exit_code=proc.returncode,
        stderr_lines=len(errors),
        samples=samples,
    )
    say(
        f"soak: written={summary.written} received={summary.received} lost={lost} repeated={repeated} "
        f"unexpected={unexpected} rss {base.rss_kib / 1024:.1f} -> {end.rss_kib / 1024:.1f} MiB, "
        f"fds {base.fds} -> {end.fds}, faults {dict(faults)}, exit {proc.returncode}, "
        f"{len(errors)} stderr lines"
    )
    if lost or repeated or unexpected:
        missing = sorted(want - received)[:5]
        doubled = sorted(line for line, n in received.items() if n > 1)[:5]
        say(f"  first lost: {missing}\n  first repeated: {doubled}")
        if verbose:
            index = {line: i for i, line in enumerate(churn.written)}
            say(f"  lost line numbers: {sorted(index[line] for line in want - received)[:20]}")
            say(f"  unexpected: {[line for line in received if line not in want][:10]}")
    if verbose:
        for line in errors:
            say(f"  stderr: {line.decode(errors='replace').rstrip()}")
    return summary


def raise_scenario_error(task: asyncio.Task[None]) -> None:
    """Surface an exception of the churn task (a bug in the scenario must not look like a clean run)."""
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the soak, print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the run (default 30)")
    parser.add_argument("--seconds", type=float, help="length of the run in seconds (overrides --minutes)")
    parser.add_argument(
        "--fault-every", type=float, help="seconds between faults (default: 20, or 3 if short)"
    )
    parser.add_argument(
        "--report-every", type=float, default=60.0, help="seconds between samples (default 60)"
    )
    parser.add_argument(
        "--warmup", type=float, help="seconds before the baseline sample (default 60, or 1/4)"
    )
    parser.add_argument("--rss-margin-mib", type=float, default=16.0, help="allowed RSS growth (default 16)")
    parser.add_argument("--fd-margin", type=int, default=8, help="allowed growth of open fds (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print a JSON summary line at the end")
    parser.add_argument("--verbose", action="store_true", help="print each fault and pystern's stderr")
    parser.add_argument(
        "--faults",
        help=f"comma-separated fault cycle (default {','.join(FAULTS)}; stall only in runs >= 10 min)",
    )
    args = parser.parse_args(argv)
    if args.faults and set(args.faults.split(",")) - set(FAULTS):
        parser.error(f"--faults: choose from {', '.join(FAULTS)}")
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    fault_every = args.fault_every or (20.0 if seconds >= 300 else 3.0)
    warmup = args.warmup if args.warmup is not None else min(60.0, seconds / 3)
    started = time.monotonic()
    summary = asyncio.run(
        soak(
            seconds,
            fault_every=fault_every,
            report_every=args.report_every,
            warmup=warmup,
            seed=args.seed,
            verbose=args.verbose,
            cycle_of=tuple(args.faults.split(",")) if args.faults else FAULTS,
        )
    )
    clean = summary.clean(int(args.rss_margin_mib * 1024), args.fd_margin)
    print(f"soak: {'clean' if clean else 'FAILED'} after {time.monotonic() - started:.0f} s", flush=True)
    if args.json:
        print(json.dumps(asdict(summary)), flush=True)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
