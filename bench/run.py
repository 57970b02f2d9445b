"""pystern vs ``kubectl logs --prefix`` on the same sandbox, one table.

Usage: ``python bench/run.py [--quick] [--only throughput,latency,scale,startup] [--rounds N] [--realtime]``

1. Merge throughput: P pods x N JSON lines, ``--no-follow``, colour off, to a file; also
   with ``-i``/``-H`` filters and with ``-o json``; kubectl on the same data; a raw
   reader that only copies the bytes (the floor for any formatter).
2. Follow latency: C containers writing R lines/s; p50/p99 from the write in the sandbox
   to the line on pystern's stdout (each line carries its send time), beside a raw aiohttp
   follower.  Each row also shows the sandbox's own send lag and how long the follower and
   the sandbox waited for a CPU: on a shared machine that wait, not the software, makes
   the tail; ``--realtime`` keeps it out (bench/latency.py says how it is measured).
3. Scale: 1000 containers at 5 lines/s: RSS, CPU share, open fds, lost lines.
4. Start-up: exec to first line for one small pod, pystern vs kubectl.

Timings are noisy on shared machines: compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import latency  # noqa: E402  (bench/ is not a package)

BIN = Path(sys.executable).parent
PYSTERN = str(BIN / "pystern") if (BIN / "pystern").exists() else "pystern"
KUBECTL = shutil.which("kubectl") or "kubectl"
OUT_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
"""Where the throughput runs write: a tmpfs when there is one.  Each run writes 0.5-1.3 GB; on
a disk, the kernel's background writeback of one run lands, as CPU time, in the runs after it."""


@dataclass
class Row:
    """One line of the result table."""

    name: str
    value: str
    note: str = ""


@contextlib.contextmanager
def sandbox(scenario: str, *args: str) -> Iterator[Path]:
    """Run ``sandbox_proc.py`` in its own process; yield its kubeconfig path."""
    with tempfile.TemporaryDirectory(prefix="pystern-bench-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        with latency.sandbox_process([scenario, str(kubeconfig), *args]):
            yield kubeconfig


def kube_env(kubeconfig: Path, tmp: str) -> dict[str, str]:
    """Environment for both tools: the sandbox kubeconfig and a private kubectl cache."""
    env = dict(os.environ)
    env.update(KUBECONFIG=str(kubeconfig), KUBECACHEDIR=os.path.join(tmp, "cache"), NO_COLOR="1")
    return env


@dataclass
class Timing:
    """One run of a command: wall and CPU (user + system) seconds, peak RSS in KiB."""

    wall: float
    cpu: float
    rss: int


class OutputFile:
    """The file the throughput runs write to: its pages are allocated once, before any run.

    On a virtual machine, the first write to a page the guest has not used lately waits for
    the host to allocate it.  On the machine of the README's table, 1.2 GB written to new
    tmpfs pages went at 0.4 GB/s, and over pages already in place at 3 GB/s.  With a
    truncated file per run, the formats that write more bytes (``-o json``, 1.3 GB, against
    0.55 GB for kubectl's output) paid that host cost in kernel time, by different amounts
    from run to run.  Each run now writes over the same pre-filled file from its start,
    without truncating it; its own stdout offset says how many bytes it wrote.
    """

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        block = bytes(1 << 20)
        for _ in range(-(-size // len(block))):
            os.write(self.fd, block)

    def timed(self, cmd: list[str], env: dict[str, str]) -> tuple[Timing, int]:
        """Run ``cmd`` with stdout over the file from its start; its timing and the bytes it wrote."""
        os.lseek(self.fd, 0, os.SEEK_SET)
        # The child's stdout shares this descriptor's offset, so after the run the offset is
        # the length of its output (the bytes after it are the previous run's or the fill).
        timing = timed(cmd, env, self.fd)
        return timing, os.lseek(self.fd, 0, os.SEEK_CUR)

    def count_lines(self, length: int) -> int:
        """Newline-terminated lines in the file's first ``length`` bytes."""
        lines, done = 0, 0
        with self.path.open("rb") as f:
            while done < length:
                chunk = f.read(min(1 << 20, length - done))
                if not chunk:
                    break
                lines += chunk.count(b"\n")
                done += len(chunk)
        return lines

    def close(self) -> None:
        """Close the descriptor (the file goes with its temporary directory)."""
        os.close(self.fd)


def timed(cmd: list[str], env: dict[str, str], stdout: int) -> Timing:
    """Run ``cmd`` with ``stdout`` (a descriptor) and time it."""
    with tempfile.NamedTemporaryFile("r") as stats:
        start = time.perf_counter()
        subprocess.run(
            ["/usr/bin/time", "-f", "%U %S %M", "-o", stats.name, *cmd],
            env=env,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        wall = time.perf_counter() - start
        user, system, rss = stats.read().split()[-3:]
    return Timing(wall, float(user) + float(system), int(rss))


def bench_throughput(pods: int, lines: int, rounds: int = 1) -> list[Row]:
    """Benchmark 1 and 5: lines/s read and formatted, and peak RSS, on a pre-generated flood.

    With several ``rounds`` every command runs once per round (rounds interleave, so a burst
    of other load hits all tools alike) and the median wall time counts.  CPU seconds (user +
    system, all threads) are shown too: they move less than wall time when the machine is shared.
    """
    rows: list[Row] = []
    expected = pods * lines
    scenario = sandbox("throughput", "--pods", str(pods), "--lines", str(lines))
    with (
        scenario as kc,
        tempfile.TemporaryDirectory() as tmp,
        tempfile.TemporaryDirectory(dir=OUT_DIR) as outdir,
        # The largest output is -o json's, about 260 bytes a line: room for 300.
        contextlib.closing(OutputFile(Path(outdir) / "out", expected * 300)) as out,
    ):
        env = kube_env(kc, tmp)
        base = [PYSTERN, "-l", "app=bench", "--no-follow", "--color", "never"]
        base += ["--max-log-requests", str(pods)]
        kubectl = [
            KUBECTL,
            "logs",
            "-l",
            "app=bench",
            "--prefix",
            "--max-log-requests",
            str(pods),
            "--tail=-1",
        ]
        runs = {
            "raw copy (no formatting)": [sys.executable, str(HERE / "raw_read.py"), str(kc), "app=bench"],
            "kubectl logs --prefix": kubectl,
            "pystern default": base,
            "pystern -i/-H filters": [*base, "-i", "error|warn", "-H", "items"],
            "pystern -o json": [*base, "-o", "json"],
            # Not in the benchmark: -t, against kubectl's own timestamps, in UTC (where
            # pystern prints the kubelet's timestamps as written) and in another zone.
            "kubectl logs --prefix --timestamps": [*kubectl, "--timestamps"],
            "pystern -t (UTC)": [*base, "-t", "--timezone", "UTC"],
            "pystern -t (Asia/Tokyo)": [*base, "-t", "--timezone", "Asia/Tokyo"],
            # --sort: an exact time-ordered merge; kubectl users sort its timestamped output.
            "kubectl logs --prefix --timestamps | sort": [
                "sh",
                "-c",
                shlex.join([*kubectl, "--timestamps"]) + " | LC_ALL=C sort -s -k2,2",
            ],
            "pystern --sort": [*base, "--sort"],
        }
        timings: dict[str, list[Timing]] = {name: [] for name in runs}
        checks: dict[str, str] = {}
        for _ in range(rounds):
            for name, cmd in runs.items():
                timing, length = out.timed(cmd, env)
                timings[name].append(timing)
                got = out.count_lines(length)
                want = expected if "filters" not in name else expected // 2
                if got != want or name not in checks:
                    checks[name] = "all lines" if got == want else f"got {got} of {want} lines"
        results: dict[str, float] = {}
        for name, runs_of in timings.items():
            wall = statistics.median(t.wall for t in runs_of)
            cpu = statistics.median(t.cpu for t in runs_of)
            rss = max(t.rss for t in runs_of)
            # Rates count the lines read (the same for every tool), not the lines a filter kept.
            rate = expected / wall
            results[name] = rate
            walls = f" (runs: {', '.join(f'{t.wall:.2f}' for t in runs_of)})" if rounds > 1 else ""
            note = f"{wall:.2f} s{walls}, CPU {cpu:.2f} s, peak RSS {rss / 1024:.0f} MiB, {checks[name]}"
            rows.append(Row(f"throughput: {name}", f"{rate:,.0f} lines/s", note))
        raw = results["raw copy (no formatting)"]
        for name, against in (
            ("pystern default", "kubectl logs --prefix"),
            ("pystern -i/-H filters", "kubectl logs --prefix"),
            ("pystern -o json", "kubectl logs --prefix"),
            ("pystern -t (UTC)", "kubectl logs --prefix --timestamps"),
            ("pystern -t (Asia/Tokyo)", "kubectl logs --prefix --timestamps"),
            ("pystern --sort", "kubectl logs --prefix --timestamps | sort"),
        ):
            rows.append(
                Row(
                    f"ratio: {name}",
                    f"{results[name] / results[against]:.2f}x {against.replace(' logs --prefix', '')}",
                    f"{raw / results[name]:.2f}x slower than raw copy",
                )
            )
    return rows


def follower_commands(pods: int) -> dict[str, Callable[[Path], list[str]]]:
    """Benchmark 2's followers: pystern, and the raw aiohttp reader as the floor."""
    return {
        "pystern": lambda kc: [PYSTERN, *FOLLOW_ARGS, "--max-log-requests", str(pods)],
        "raw aiohttp reader (baseline)": lambda kc: [
            sys.executable,
            str(HERE / "raw_read.py"),
            str(kc),
            "app=bench",
            "--follow",
        ],
    }


FOLLOW_ARGS = ["-l", "app=bench", "--tail", "0", "--color", "never"]


def bench_latency(pods: int, rate: float, seconds: float, realtime: bool) -> list[Row]:
    """Benchmark 2: write-to-stdout latency while following (see bench/latency.py)."""
    rows = latency.bench_latency(pods, rate, seconds, follower_commands(pods), kube_env, realtime=realtime)
    return [Row(*row) for row in rows]


def bench_scale(pods: int, rate: float, seconds: float, realtime: bool) -> list[Row]:
    """Benchmark 3: many followed containers: RSS, CPU, fds, nothing lost."""
    cmd = [PYSTERN, *FOLLOW_ARGS, "--max-log-requests", str(pods)]
    rows = latency.bench_scale(pods, rate, seconds, lambda kc: cmd, kube_env, realtime=realtime)
    return [Row(*row) for row in rows]


def first_line_time(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from exec to the first line on stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.kill()
    proc.wait()
    return elapsed


def compile_pystern() -> None:
    """Byte-compile pystern's own modules, as ``pip install`` does for a regular install.

    An editable install is never compiled, and with ``PYTHONDONTWRITEBYTECODE`` set (as on this
    project's machines) each start compiles every changed module again: up to 100 ms that no
    installed copy pays, which would otherwise land in the start-up figure.
    """
    import pystern

    package = str(Path(pystern.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)


def bench_startup(repeat: int) -> list[Row]:
    """Benchmark 4: exec to first line, best and median of ``repeat`` runs."""
    compile_pystern()
    rows = []
    with sandbox("startup", "--pods", "1") as kc, tempfile.TemporaryDirectory() as tmp:
        env = kube_env(kc, tmp)
        for name, cmd in (
            ("pystern", [PYSTERN, "bench-0000", "--no-follow", "--color", "never"]),
            ("kubectl logs", [KUBECTL, "logs", "bench-0000"]),
        ):
            times = [first_line_time(cmd, env) for _ in range(repeat)]
            median_ms = statistics.median(times) * 1000
            rows.append(
                Row(
                    f"start-up to first line: {name}",
                    f"median {median_ms:.0f} ms",
                    f"best {min(times) * 1000:.0f} ms",
                )
            )
    return rows


def main() -> None:
    """Run the selected benchmarks and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, shorter runs (about a minute)")
    parser.add_argument("--only", default="throughput,latency,scale,startup")
    parser.add_argument(
        "--rounds", type=int, default=None, help="throughput: runs per tool, the median counts (default 3)"
    )
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="latency and scale only: run the sandbox, the followers and the reader under SCHED_RR "
        "(needs root), so that other load on a shared machine does not delay them",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    rows: list[Row] = []
    if "throughput" in only:
        rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
        rows += bench_throughput(20, 25_000 if args.quick else 250_000, max(1, rounds))
    realtime = args.realtime
    if realtime and not latency.realtime_allowed():
        parser.error("--realtime needs permission to use SCHED_RR (root or CAP_SYS_NICE)")
    with latency.realtime_section(realtime):
        if "latency" in only:
            rows += bench_latency(100 if args.quick else 500, 20.0, 15.0 if args.quick else 40.0, realtime)
        if "scale" in only:
            rows += bench_scale(200 if args.quick else 1000, 5.0, 15.0 if args.quick else 60.0, realtime)
    if "startup" in only:
        rows += bench_startup(3 if args.quick else 7)
    print(
        f"# pystern benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print()
    print("| benchmark | result | notes |")
    print("|---|---|---|")
    for row in rows:
        cells = (cell.replace("|", "\\|") for cell in (row.name, row.value, row.note))
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
