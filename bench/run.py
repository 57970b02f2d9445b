"""pystern vs ``kubectl logs --prefix`` on the same sandbox, one table.

Usage: ``python bench/run.py [--quick] [--only throughput,latency,scale,startup]``

1. Merge throughput: P pods x N JSON lines, ``--no-follow``, colour off, to a file; also
   with ``-i``/``-H`` filters and with ``-o json``; kubectl on the same data; a raw
   reader that only copies the bytes (the floor for any formatter).
2. Follow latency: C containers writing R lines/s; p50/p99 from the write in the sandbox
   to the line on pystern's stdout (each line carries its send time).
3. Scale: 1000 containers at 5 lines/s: RSS, CPU share, open fds, lost lines.
4. Start-up: exec to first line for one small pod, pystern vs kubectl.

Timings are noisy on shared machines: compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PYSTERN = str(BIN / "pystern") if (BIN / "pystern").exists() else "pystern"
KUBECTL = shutil.which("kubectl") or "kubectl"


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
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "sandbox_proc.py"), scenario, str(kubeconfig), *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            ready = proc.stdout.readline()
            if "READY" not in ready:
                raise RuntimeError(f"sandbox did not start (said {ready!r})")
            yield kubeconfig
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def kube_env(kubeconfig: Path, tmp: str) -> dict[str, str]:
    """Environment for both tools: the sandbox kubeconfig and a private kubectl cache."""
    env = dict(os.environ)
    env.update(KUBECONFIG=str(kubeconfig), KUBECACHEDIR=os.path.join(tmp, "cache"), NO_COLOR="1")
    return env


def timed(cmd: list[str], env: dict[str, str], out: Path) -> tuple[float, int]:
    """Run ``cmd`` with stdout to ``out``; return (wall seconds, peak RSS in KiB)."""
    with tempfile.NamedTemporaryFile("r") as stats, out.open("wb") as sink:
        start = time.perf_counter()
        subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", stats.name, *cmd],
            env=env,
            stdout=sink,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        wall = time.perf_counter() - start
        rss = int(stats.read().split()[-1])
    return wall, rss


def count_lines(path: Path) -> int:
    """Number of newline-terminated lines in a file."""
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def bench_throughput(pods: int, lines: int) -> list[Row]:
    """Benchmark 1 and 5: lines/s read and formatted, and peak RSS, on a pre-generated flood."""
    rows: list[Row] = []
    expected = pods * lines
    scenario = sandbox("throughput", "--pods", str(pods), "--lines", str(lines))
    with scenario as kc, tempfile.TemporaryDirectory() as tmp:
        env = kube_env(kc, tmp)
        out = Path(tmp) / "out"
        base = [PYSTERN, "-l", "app=bench", "--no-follow", "--color", "never"]
        base += ["--max-log-requests", str(pods)]
        runs = {
            "raw copy (no formatting)": [sys.executable, str(HERE / "raw_read.py"), str(kc), "app=bench"],
            "kubectl logs --prefix": [
                KUBECTL,
                "logs",
                "-l",
                "app=bench",
                "--prefix",
                "--max-log-requests",
                str(pods),
                "--tail=-1",
            ],
            "pystern default": base,
            "pystern -i/-H filters": [*base, "-i", "error|warn", "-H", "items"],
            "pystern -o json": [*base, "-o", "json"],
        }
        results: dict[str, float] = {}
        for name, cmd in runs.items():
            wall, rss = timed(cmd, env, out)
            got = count_lines(out)
            want = expected if "filters" not in name else expected // 2
            # Rates count the lines read (the same for every tool), not the lines a filter kept.
            rate = expected / wall
            results[name] = rate
            check = "all lines" if got == want else f"got {got} of {want} lines"
            note = f"{wall:.2f} s, peak RSS {rss / 1024:.0f} MiB, {check}"
            rows.append(Row(f"throughput: {name}", f"{rate:,.0f} lines/s", note))
        kubectl = results["kubectl logs --prefix"]
        raw = results["raw copy (no formatting)"]
        for name in ("pystern default", "pystern -i/-H filters", "pystern -o json"):
            rows.append(
                Row(
                    f"ratio: {name}",
                    f"{results[name] / kubectl:.2f}x kubectl",
                    f"{raw / results[name]:.2f}x slower than raw copy",
                )
            )
    return rows


SENT = re.compile(rb"seq=(\d+) sent=(\d+)")


def follow_reader(
    cmd: list[str], env: dict[str, str], seconds: float, warmup: float
) -> tuple[list[float], dict[bytes, list[int]], list[tuple[float, int, int, float]]]:
    """Run a follower; collect latencies (ms), seq numbers per pod and /proc samples."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    latencies: list[float] = []
    seqs: dict[bytes, list[int]] = {}
    samples: list[tuple[float, int, int, float]] = []
    start = time.monotonic()
    stop = threading.Event()

    def sample() -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        while not stop.wait(1.0):
            try:
                rss = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{proc.pid}/status").read_text()).group(1))  # type: ignore[union-attr]
                fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / ticks
            except (OSError, AttributeError):
                return
            samples.append((time.monotonic() - start, rss, fds, cpu))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for line in proc.stdout:
        now = time.time_ns()
        m = SENT.search(line)
        if m is None:
            continue
        pod = line.split(b" ", 1)[0]
        seqs.setdefault(pod, []).append(int(m.group(1)))
        if time.monotonic() - start > warmup:
            latencies.append((now - int(m.group(2))) / 1e6)
        if time.monotonic() - start > seconds:
            break
    stop.set()
    proc.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    return latencies, seqs, samples


def lost_and_repeated(seqs: dict[bytes, list[int]]) -> tuple[int, int]:
    """Gaps and repeats in each pod's sequence numbers (between the first and last seen)."""
    lost = repeated = 0
    for values in seqs.values():
        repeated += len(values) - len(set(values))
        lost += (max(values) - min(values) + 1) - len(set(values))
    return lost, repeated


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def bench_latency(pods: int, rate: float, seconds: float) -> list[Row]:
    """Benchmark 2: write-to-stdout latency while following."""
    scenario = sandbox("follow", "--pods", str(pods), "--rate", str(rate))
    with scenario as kc, tempfile.TemporaryDirectory() as tmp:
        env = kube_env(kc, tmp)
        follow_args = [PYSTERN, "-l", "app=bench", "--tail", "0", "--color", "never"]
        runs = {
            "pystern": [*follow_args, "--max-log-requests", str(pods)],
            "raw aiohttp reader (baseline)": [
                sys.executable,
                str(HERE / "raw_read.py"),
                str(kc),
                "app=bench",
                "--follow",
            ],
        }
        rows = []
        for name, cmd in runs.items():
            lat, seqs, _ = follow_reader(cmd, env, seconds, warmup=min(10.0, seconds / 3))
            if not lat:
                rows.append(Row(f"latency {name}", "no lines received"))
                continue
            lost, repeated = lost_and_repeated(seqs)
            rows.append(
                Row(
                    f"follow latency {pods} containers x {rate:g} lines/s: {name}",
                    f"p50 {statistics.median(lat):.1f} ms, p99 {percentile(lat, 99):.1f} ms",
                    f"{len(lat)} lines measured, {lost} lost, {repeated} repeated",
                )
            )
    return rows


def bench_scale(pods: int, rate: float, seconds: float) -> list[Row]:
    """Benchmark 3: many followed containers: RSS, CPU, fds, nothing lost."""
    scenario = sandbox("follow", "--pods", str(pods), "--rate", str(rate))
    with scenario as kc, tempfile.TemporaryDirectory() as tmp:
        env = kube_env(kc, tmp)
        cmd = [PYSTERN, "-l", "app=bench", "--tail", "0", "--color", "never", "--max-log-requests", str(pods)]
        _, seqs, samples = follow_reader(cmd, env, seconds, warmup=0)
    lost, repeated = lost_and_repeated(seqs)
    if not samples:
        return [Row(f"scale {pods} containers", "no samples")]
    peak_rss = max(s[1] for s in samples) / 1024
    peak_fds = max(s[2] for s in samples)
    cpu_share = samples[-1][3] / samples[-1][0] * 100
    return [
        Row(
            f"scale: {pods} containers x {rate:g} lines/s, {seconds:.0f} s",
            f"peak RSS {peak_rss:.0f} MiB, CPU {cpu_share:.0f}% of a core, {peak_fds} fds",
            f"{len(seqs)} of {pods} containers seen, {lost} lost, {repeated} repeated",
        )
    ]


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


def bench_startup(repeat: int) -> list[Row]:
    """Benchmark 4: exec to first line, best and median of ``repeat`` runs."""
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
    args = parser.parse_args()
    only = set(args.only.split(","))
    rows: list[Row] = []
    if "throughput" in only:
        rows += bench_throughput(20, 25_000 if args.quick else 250_000)
    if "latency" in only:
        rows += bench_latency(100 if args.quick else 500, 20.0, 15.0 if args.quick else 40.0)
    if "scale" in only:
        rows += bench_scale(200 if args.quick else 1000, 5.0, 15.0 if args.quick else 60.0)
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
        print(f"| {row.name} | {row.value} | {row.note} |")


if __name__ == "__main__":
    main()
