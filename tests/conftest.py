"""Shared fixtures: a running sandbox cluster with a kubeconfig written for it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from pystern.sandbox import Sandbox


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A started, empty sandbox (namespace ``default``, node ``node-1``).

    Its kubeconfig is written to ``tmp_path / "kubeconfig"`` and exposed as
    ``sandbox.kubeconfig_path``; watches end after 30 s unless the client asks otherwise.
    """
    async with Sandbox.start() as sb:
        sb.cluster.watch_timeout = 30.0
        sb.write_kubeconfig(tmp_path / "kubeconfig")
        yield sb


@pytest.fixture
async def tls_sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """Like ``sandbox`` but over HTTPS with a generated CA (``ca_path``; the kubeconfig embeds it).

    Use it for anything that runs kubectl: kubectl sends bearer tokens only over TLS.
    """
    async with Sandbox.start(tls=True) as sb:
        sb.cluster.watch_timeout = 30.0
        sb.write_kubeconfig(tmp_path / "kubeconfig")
        yield sb


async def run_with_terminal_stdin(
    *argv: str, env: Mapping[str, str], within: float = 30
) -> tuple[int, bytes, bytes]:
    """Run a program whose stdin is a terminal (a pty) and whose stdout/stderr are pipes.

    What a user's shell hands a command in ``pystern . | grep x``, or bash hands a completion
    callback.  Returns (exit status, stdout, stderr).
    """
    leader, follower = os.openpty()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            env=dict(env),
            stdin=follower,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), within)
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode is not None
    return proc.returncode, out, err
