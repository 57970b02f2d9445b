"""stdout that cannot take the output (a full disk, an I/O error) is an error, not a quiet exit.

A closed pipe (``| head``) is the reader saying "enough": pystern stops quietly.  A full disk
is different: the user asked for the lines and did not get them, so pystern says so on stderr
and exits 1, as ``cat`` and ``kubectl logs`` do.  ``/dev/full`` answers every write with ENOSPC.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import PYSTERN, clean_env

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")

MESSAGE = b"pystern: error: cannot write to standard output: No space left on device\n"


async def _run_to_dev_full(
    argv: list[str], env: dict[str, str], stdin: bytes | None = None
) -> tuple[int, bytes]:
    full = os.open("/dev/full", os.O_WRONLY)
    try:
        proc = await asyncio.create_subprocess_exec(
            PYSTERN,
            *argv,
            env=env,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=full,
            stderr=asyncio.subprocess.PIPE,
        )
    finally:
        os.close(full)
    try:
        _, err = await asyncio.wait_for(proc.communicate(stdin), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, err


@pytest.mark.parametrize("extra", [[], ["--sort"], ["-o", "json"]], ids=["default", "sort", "json"])
async def test_no_follow_to_a_full_disk(sandbox: Any, tmp_path: Path, extra: list[str]) -> None:
    sandbox.cluster.add_pod("a", containers=("app",))
    sandbox.cluster.write("a", "app", *(f"line {i}" for i in range(100)))
    argv = ["--no-follow", ".", "--kubeconfig", str(sandbox.kubeconfig_path), "--only-log-lines", *extra]
    rc, err = await _run_to_dev_full(argv, clean_env(tmp_path))
    assert rc == 1, err
    assert err == MESSAGE


async def test_follow_to_a_full_disk(sandbox: Any, tmp_path: Path) -> None:
    sandbox.cluster.add_pod("a", containers=("app",))

    async def keep_writing() -> None:
        # A failed write is seen by the next one, so the lines keep coming until pystern stops.
        for n in range(1000):
            sandbox.cluster.write("a", "app", f"line {n}")
            await asyncio.sleep(0.02)

    writer = asyncio.create_task(keep_writing())
    argv = [".", "--kubeconfig", str(sandbox.kubeconfig_path), "--only-log-lines"]
    try:
        rc, err = await _run_to_dev_full(argv, clean_env(tmp_path))
    finally:
        writer.cancel()
    assert rc == 1, err
    assert err == MESSAGE


async def test_stdin_to_a_full_disk(tmp_path: Path) -> None:
    rc, err = await _run_to_dev_full(["--stdin"], clean_env(tmp_path), stdin=b"one\ntwo\n")
    assert rc == 1, err
    assert err == MESSAGE


@pytest.mark.parametrize(
    "argv", [["--version"], ["--help"], ["--completion", "bash"], ["--show-hidden-options"]], ids=str
)
async def test_informational_output_to_a_full_disk(tmp_path: Path, argv: list[str]) -> None:
    rc, err = await _run_to_dev_full(argv, clean_env(tmp_path))
    assert rc == 1, err
    assert err == MESSAGE
