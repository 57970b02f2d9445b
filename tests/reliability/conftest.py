"""Helpers for whole-program tests: the real ``pystern`` executable against an in-process sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Re-exported: the tests here take them from this module.
from pystern.sandbox.procstats import open_fds as open_fds
from pystern.sandbox.procstats import rss_kib as rss_kib
from tests.reliability import soak_run

PYSTERN = str(Path(sys.executable).parent / "pystern")
SOAK_KEY = pytest.StashKey[soak_run.SoakRun]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the short soak now if its test is selected: it then runs beside the tests before it."""
    if session.config.option.collectonly or hasattr(session.config, "workerinput"):
        return  # only listing tests, or a pytest-xdist worker: the test starts the soak itself
    if any(item.nodeid.endswith(soak_run.TEST_ID) for item in session.items):
        session.config.stash[SOAK_KEY] = soak_run.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave no soak running when the session ends before its test (``-x``, Ctrl-C)."""
    run = config.stash.get(SOAK_KEY, None)
    if run is not None:
        run.stop()


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An environment with no user config, no kubeconfig and no colour hints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSTERN", "KUBE", "NO_COLOR"))}
    env.update({"HOME": str(tmp), "KUBECONFIG": str(tmp / "no-kubeconfig"), "TERM": "xterm"})
    env.update(extra)
    return env


@dataclass
class Proc:
    """A running pystern whose stdout and stderr are collected by background tasks."""

    proc: asyncio.subprocess.Process
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def lines(self) -> list[bytes]:
        """Complete stdout lines so far."""
        return bytes(self.out).split(b"\n")[:-1]

    async def until(self, check: Callable[[], bool], within: float = 10.0, what: str = "") -> None:
        """Wait until ``check()`` holds; fail with the output so far."""
        loop = asyncio.get_running_loop()
        end = loop.time() + within
        while not check():
            if loop.time() > end:
                raise AssertionError(
                    f"timed out waiting for {what}: out={bytes(self.out)[-2000:]!r} "
                    f"err={bytes(self.err)[-2000:]!r}"
                )
            if self.proc.returncode is not None and not check():
                await asyncio.sleep(0.2)
                if not check():
                    raise AssertionError(
                        f"pystern exited {self.proc.returncode} before {what}: err={bytes(self.err)!r}"
                    )
            await asyncio.sleep(0.02)

    async def finish(self, signum: int | None = None, within: float = 10.0) -> int:
        """Send ``signum`` (if any), wait for the exit and for the output to be drained."""
        if signum is not None and self.proc.returncode is None:
            self.proc.send_signal(signum)
        async with asyncio.timeout(within):
            code = await self.proc.wait()
            await asyncio.gather(*self.tasks)
        return code


async def _pump(stream: asyncio.StreamReader | None, into: bytearray) -> None:
    if stream is None:
        return
    while chunk := await stream.read(65536):
        into.extend(chunk)


@contextlib.asynccontextmanager
async def pystern(
    args: Sequence[str], env: dict[str, str], *, read_stdout: bool = True, stdout: int | None = None
) -> AsyncIterator[Proc]:
    """Start ``pystern ARGS``; on exit it is killed if still running."""
    proc = await asyncio.create_subprocess_exec(
        PYSTERN,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout if stdout is not None else asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        limit=1 << 20,
    )
    p = Proc(proc)
    if read_stdout:
        p.tasks.append(asyncio.create_task(_pump(proc.stdout, p.out)))
    p.tasks.append(asyncio.create_task(_pump(proc.stderr, p.err)))
    try:
        yield p
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        for task in p.tasks:
            task.cancel()
        await asyncio.gather(*p.tasks, return_exceptions=True)
