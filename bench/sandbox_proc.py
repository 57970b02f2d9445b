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

For the follow scenarios the server itself must not be what is measured, so:

* the writers are spread over the period in 1 ms ticks (10 pods per tick at 500 x 20
  lines/s), not in a few large groups: a line is stamped just before the server task that
  sends it runs, and it waits behind at most one tick's other sends;
* each line is appended straight to its container's log buffer (no per-line lookups);
* ``--uvloop`` runs the server on uvloop when it is installed (less CPU per send);
* the garbage collector's heap is frozen after set-up, so no collection walks the pods;
* ``--lag-stats FILE`` measures, for every chunk the server sends, the time from the
  newest line's stamp to the socket write (the server's own share of the latency), and
  how late the writer's ticks ran; the figures are written to FILE as JSON at exit.
  SIGUSR1 clears them (the client sends it when its warm-up ends).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import signal
import sys
import time
from array import array
from pathlib import Path
from typing import Any

from pystern.sandbox import Sandbox

LEVELS = ("info", "debug", "warn", "error")
TICK = 0.001
"""Seconds between two writer ticks of the follow scenario (asyncio's timers have 1 ms resolution)."""


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
        gc.collect()
        gc.freeze()
        print("READY", flush=True)
        if args.scenario == "follow":
            buffers = [cluster.pod(name).container("app").current.log for name in names]  # type: ignore[union-attr]
            await write_forever(buffers, args.rate, LATENESS)
        else:
            await asyncio.Event().wait()


async def write_forever(buffers: list[Any], rate: float, lateness: array[float]) -> None:
    """Each container writes ``rate`` lines/s, stamped with their write time.

    Real containers do not write in lock-step: the containers are spread over the period,
    one group per ``TICK``.  ``lateness`` collects how late each tick ran (ms).
    """
    period = 1.0 / rate
    slots = max(1, min(len(buffers), round(period / TICK)))
    groups = [buffers[i::slots] for i in range(slots)]
    step = period / slots
    seq = 0
    loop = asyncio.get_running_loop()
    next_tick = loop.time()
    while True:
        for group in groups:
            lateness.append((loop.time() - next_tick) * 1000)
            for buf in group:
                buf.append([b"seq=%d sent=%d" % (seq, time.time_ns())])
            next_tick += step
            await asyncio.sleep(max(0.0, next_tick - loop.time()))
        seq += 1


LATENESS: array[float] = array("d")
"""Writer tick lateness (ms)."""
SEND_LAG: array[float] = array("d")
"""Per chunk sent: ms from the stamp of its newest line to the socket write."""
_SENT = re.compile(rb"sent=(\d+)")


def measure_send_lag() -> None:
    """Wrap the server's stream writes to record :data:`SEND_LAG` (bench diagnostics only)."""
    from aiohttp import web

    original = web.StreamResponse.write

    async def write(self: web.StreamResponse, data: bytes | bytearray | memoryview) -> None:
        now = time.time_ns()
        end = bytes(data[-40:])
        found = _SENT.findall(end)
        if found:
            SEND_LAG.append((now - int(found[-1])) / 1e6)
        await original(self, data)

    web.StreamResponse.write = write  # type: ignore[method-assign]


def _percentiles(values: array[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    n = len(ordered)
    return {
        "count": n,
        "p50": ordered[n // 2],
        "p99": ordered[min(n - 1, n * 99 // 100)],
        "max": ordered[-1],
    }


def clear_lag_stats() -> None:
    """Forget the figures so far (the warm-up: connections being made)."""
    del SEND_LAG[:]
    del LATENESS[:]


def write_lag_stats(path: str) -> None:
    """Write the send-lag and tick-lateness figures as JSON (at exit)."""
    stats = {"send_lag_ms": _percentiles(SEND_LAG), "tick_lateness_ms": _percentiles(LATENESS)}
    Path(path).write_text(json.dumps(stats))


def main() -> None:
    """Parse arguments and serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=("throughput", "follow", "startup"))
    parser.add_argument("kubeconfig")
    parser.add_argument("--pods", type=int, default=20)
    parser.add_argument("--lines", type=int, default=250_000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--uvloop", action="store_true", help="serve on uvloop if it is installed")
    parser.add_argument("--lag-stats", metavar="FILE", help="write the server's send lag to FILE at exit")
    args = parser.parse_args()
    if args.lag_stats:
        measure_send_lag()
    loop = asyncio.new_event_loop()
    if args.uvloop:
        try:
            import uvloop

            loop.close()
            loop = uvloop.new_event_loop()
        except ImportError:
            print("uvloop is not installed: serving on asyncio", file=sys.stderr)
    task = loop.create_task(serve(args))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    loop.add_signal_handler(signal.SIGUSR1, clear_lag_stats)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass
    finally:
        loop.close()
        if args.lag_stats:
            write_lag_stats(args.lag_stats)
    sys.exit(0)


if __name__ == "__main__":
    main()
