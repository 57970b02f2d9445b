"""pystern started with stdin, stdout or stderr closed (``2>&-``, ``>&-``, ``<&-``).

Python sets ``sys.stderr`` (etc.) to None then, and the first socket pystern opens takes
the free descriptor: uvloop aborts when it later closes a socket on fd 2 (libuv asserts
``fd > STDERR_FILENO``), and a socket on fd 1 would receive the log lines.
"""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import Any

from tests.reliability.conftest import PYSTERN, clean_env


async def _sh(script: str, env: dict[str, str]) -> tuple[int, bytes, bytes]:
    proc = await asyncio.create_subprocess_exec(
        "bash", "-c", script, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, out, err


def _cmd(sandbox: Any, *extra: str) -> str:
    argv = [PYSTERN, ".", "--no-follow", "--kubeconfig", str(sandbox.kubeconfig_path), "--color", "never"]
    return shlex.join([*argv, *extra])


async def test_stderr_closed(sandbox: Any, tmp_path: Path) -> None:
    for pod in ("a", "b"):
        sandbox.cluster.add_pod(pod, containers=("app",))
        sandbox.cluster.write(pod, "app", f"{pod} line")
    rc, out, _ = await _sh(f"{_cmd(sandbox)} 2>&-", clean_env(tmp_path))
    assert rc == 0
    assert sorted(out.decode().splitlines()) == ["a app a line", "b app b line"]


async def test_stderr_closed_and_an_error(tmp_path: Path) -> None:
    # Nowhere to say it, but the exit status still tells.
    rc, out, _ = await _sh(f"{PYSTERN} . --kubeconfig {tmp_path / 'missing'} 2>&-", clean_env(tmp_path))
    assert (rc, out) == (1, b"")


async def test_stdout_closed(sandbox: Any, tmp_path: Path) -> None:
    sandbox.cluster.add_pod("a", containers=("app",))
    sandbox.cluster.write("a", "app", "a line")
    message = b"pystern: error: cannot write to standard output: Bad file descriptor\n"
    for script in (f"{_cmd(sandbox)} >&-", f"{PYSTERN} --version >&-"):
        rc, _, err = await _sh(script, clean_env(tmp_path))
        assert (rc, err) == (1, message), script


async def test_stdin_closed(sandbox: Any, tmp_path: Path) -> None:
    sandbox.cluster.add_pod("a", containers=("app",))
    sandbox.cluster.write("a", "app", "a line")
    rc, out, err = await _sh(f"{_cmd(sandbox, '--only-log-lines')} <&-", clean_env(tmp_path))
    assert (rc, out, err) == (0, b"a app a line\n", b"")
    rc, out, err = await _sh(f"{PYSTERN} --stdin <&-", clean_env(tmp_path))
    assert (rc, out, err) == (0, b"", b"")
