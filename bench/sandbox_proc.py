"""A sandbox in its own process, set up for one benchmark.

``python bench/sandbox_proc.py SCENARIO KUBECONFIG [options]`` starts the simulated API
server, prepares the scenario, writes a kubeconfig, prints ``READY`` on stdout and then
serves (and, for the follow scenarios, writes lines) until it is killed.  Running it in
a separate process keeps the server's CPU out of the client's measurements.

Scenarios:
- ``throughput``: ``--pods`` pods (label ``app=bench``), each with ``--lines`` JSON lines
  of about 100 bytes, pre-generated so the server serves them at full speed.
- ``follow``: ``--pods`` pods writing ``--rate`` lines/s each; every line carries its
  write time (``sent=<ns>``) so the reader can measure latency.
- ``startup``: one pod with ten lines.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from pathlib import Path

from pystern.sandbox import Sandbox

LEVELS = ("info", "debug", "warn", "error")
SLOTS = 10
"""Groups of pods that write at different moments of each period (follow scenario)."""


def json_line(pod: int, index: int) -> bytes:
    """A ~100-byte structured log line."""
    level = LEVELS[index % 4]
    return b'{"level":"%s","msg":"request handled","pod":%d,"seq":%d,"path":"/api/v1/items","ms":%d}' % (
        level.encode(),
        pod,
        index,
        index % 997,
    )


async def serve(args: argparse.Namespace) -> None:
    """Start the sandbox, prepare the scenario, then serve until cancelled."""
    # TLS because kubectl sends bearer tokens only over https.
    async with Sandbox.start(port=0, tls=True) as sb:
        cluster = sb.cluster
        names = [f"bench-{i:04d}" for i in range(args.pods)]
        for name in names:
            cluster.add_pod(name, labels={"app": "bench"}, containers=("app",))
        if args.scenario == "throughput":
            start_ns = time.time_ns() - 3600 * 1_000_000_000
            for i, name in enumerate(names):
                lines = [json_line(i, n) for n in range(args.lines)]
                cluster.bulk_write(name, "app", lines, start_ns=start_ns, step_ns=1_000)
        elif args.scenario == "startup":
            for name in names:
                cluster.write(name, "app", *(f"startup line {n}" for n in range(10)))
        sb.write_kubeconfig(Path(args.kubeconfig))
        print("READY", flush=True)
        if args.scenario == "follow":
            await write_forever(cluster, names, args.rate)
        else:
            await asyncio.Event().wait()


async def write_forever(cluster: object, names: list[str], rate: float) -> None:
    """Each pod writes ``rate`` lines/s, stamped with their send time.

    Real containers do not write in lock-step, so the pods are spread over the period in
    ``SLOTS`` groups instead of all writing in the same instant.
    """
    write = cluster.write  # type: ignore[attr-defined]
    groups = [names[i::SLOTS] for i in range(SLOTS)]
    step = 1.0 / rate / SLOTS
    seq = 0
    next_tick = time.monotonic()
    while True:
        for group in groups:
            for name in group:
                write(name, "app", f"seq={seq} sent={time.time_ns()}")
            next_tick += step
            await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
        seq += 1


def main() -> None:
    """Parse arguments and serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=("throughput", "follow", "startup"))
    parser.add_argument("kubeconfig")
    parser.add_argument("--pods", type=int, default=20)
    parser.add_argument("--lines", type=int, default=250_000)
    parser.add_argument("--rate", type=float, default=20.0)
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    task = loop.create_task(serve(args))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass
    finally:
        loop.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
