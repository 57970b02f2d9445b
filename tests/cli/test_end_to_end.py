"""``pystern`` as a real process against the sandbox: output, exit codes, signals and pipes."""
# ruff: noqa: E501  (a shell script reads best on one line)

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pystern.sandbox import Sandbox

render = pytest.importorskip("pystern.render")
if not hasattr(render, "build_sink"):
    pytest.skip("pystern.render has not landed yet", allow_module_level=True)

PYSTERN = str(Path(sys.executable).parent / "pystern")


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KUBECONFIG", "XDG_CONFIG_HOME") and not k.startswith("PYSTERN")
    }
    env["HOME"] = str(home)
    return env


async def _pystern(*argv: str, env: dict[str, str], **kw: object) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        PYSTERN, *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, **kw
    )  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def _writer(sandbox: Sandbox, pod: str, container: str) -> AsyncIterator[None]:
    """Keep writing numbered lines while the block runs."""

    async def write() -> None:
        n = 0
        while True:
            sandbox.cluster.write(pod, container, f"tick {n}")
            n += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(write())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_no_follow_prints_the_lines(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.cluster.add_pod("web-1", containers=("app",))
    for n in range(3):
        sandbox.cluster.write("web-1", "app", f"hello {n}")
    proc = await _pystern(
        "--no-follow", ".", "--kubeconfig", str(sandbox.kubeconfig_path), "--color=never", env=_env(tmp_path)
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert out.decode().splitlines() == [f"web-1 app hello {n}" for n in range(3)]
    assert b"Traceback" not in err


async def test_notices_keep_their_place_when_stderr_shares_the_pipe(sandbox: Sandbox, tmp_path: Path) -> None:
    # `pystern … 2>&1 | less`: a pod's "-" line must not come before its lines.
    for pod in ("a", "b", "c"):
        sandbox.cluster.add_pod(pod, containers=("app",))
        sandbox.cluster.write(pod, "app", *(f"{pod} line {i}" for i in range(3)))
    argv = ["--no-follow", ".", "--kubeconfig", str(sandbox.kubeconfig_path), "--max-log-requests=1"]
    proc = await asyncio.create_subprocess_exec(
        PYSTERN, *argv, env=_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, out
    expected = []
    for pod in ("a", "b", "c"):
        expected += [f"+ {pod} › app", *(f"{pod} app {pod} line {i}" for i in range(3)), f"- {pod} › app"]
    assert out.decode().splitlines() == expected


async def test_missing_kubeconfig_is_one_line_exit_1(tmp_path: Path) -> None:
    proc = await _pystern(".", "--kubeconfig", str(tmp_path / "nope"), env=_env(tmp_path))
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert out == b""
    assert err.decode().startswith("pystern: error: ")
    assert err.count(b"\n") == 1


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
async def test_signal_exit_codes(sandbox: Sandbox, tmp_path: Path, signum: int, code: int) -> None:
    sandbox.cluster.add_pod("web-1", containers=("app",))
    async with _writer(sandbox, "web-1", "app"):
        proc = await _pystern(
            ".", "--kubeconfig", str(sandbox.kubeconfig_path), "--color=never", env=_env(tmp_path)
        )
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert first.startswith(b"web-1 app tick ")
        proc.send_signal(signum)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == code, err.decode()
    assert b"Traceback" not in err
    # Nothing half-written: every line on stdout is complete.
    assert out == b"" or out.endswith(b"\n")


async def test_closed_pipe_is_a_quiet_exit(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.cluster.add_pod("web-1", containers=("app",))
    async with _writer(sandbox, "web-1", "app"):
        proc = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            f'set -o pipefail; "{PYSTERN}" . --kubeconfig "{sandbox.kubeconfig_path}"'
            " --color=never --only-log-lines | head -1",
            env=_env(tmp_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert out.startswith(b"web-1 app tick ")
    assert out.count(b"\n") == 1
    assert err == b""
    assert proc.returncode == 0


async def test_stdin_mode_needs_no_kubeconfig(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env["KUBECONFIG"] = str(tmp_path / "does-not-exist")
    proc = await asyncio.create_subprocess_exec(
        PYSTERN,
        "--stdin",
        "-o",
        "raw",
        "-e",
        "drop",
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(b"one\ndrop me\ntwo\nthree"), 30)
    assert proc.returncode == 0, err.decode()
    assert out == b"one\ntwo\nthree\n"


async def test_demo_runs_without_a_cluster(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env["KUBECONFIG"] = str(tmp_path / "does-not-exist")
    proc = await _pystern("--demo", "--no-follow", "--color=never", env=env)
    _out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err


async def test_stdin_with_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    # The stdin reader thread may be blocked in a read when the run ends; the interpreter must
    # still shut down cleanly (it used to abort with "could not acquire lock for <stdin>").
    script = f'for i in 1 2 3 4 5; do yes hello | "{PYSTERN}" --stdin -o raw | head -2 >/dev/null; echo "rc=${{PIPESTATUS[1]}}"; done'
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script,
        env=_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert out.decode().split() == ["rc=0"] * 5
    assert err == b""


async def test_a_stern_template_renders_and_reports_bad_lines(sandbox: Sandbox, tmp_path: Path) -> None:
    # stern's own test template shape: JSON lines rendered, the others reported one line each on stderr.
    sandbox.cluster.add_pod("api-1", containers=("app",))
    ts = "2024-03-05T07:08:09.5+01:00"
    lines = (f'{{"ts":"{ts}","level":"info","msg":"up"}}', "plain", f'{{"ts":"{ts}","level":30,"msg":"x"}}')
    sandbox.cluster.write("api-1", "app", *lines)
    template = '{{.PodName}} {{with $m := parseJSON .Message}}[{{toRFC3339Nano (toUTC $m.ts)}}] {{if eq $m.level "info"}}{{levelColor $m.level}}{{end}} {{$m.msg}}{{end}}{{"\\n"}}'
    argv = (
        "--no-follow",
        ".",
        "--kubeconfig",
        str(sandbox.kubeconfig_path),
        "--color=never",
        "--template",
        template,
    )
    proc = await _pystern(*argv, "--only-log-lines", env=_env(tmp_path))
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert out.decode().splitlines() == ["api-1 [2024-03-05T06:08:09.5Z] info up"]
    assert err.decode().splitlines() == [
        "expanding template failed: template: log:1:26: executing \"log\" at <parseJSON .Message>: error calling parseJSON: invalid character 'p' looking for beginning of value",
        'expanding template failed: template: log:1:85: executing "log" at <eq $m.level "info">: error calling eq: incompatible types for comparison: float64 and string',
    ]
