"""Shared fixtures: a running sandbox cluster with a kubeconfig written for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
