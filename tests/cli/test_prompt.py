"""``--prompt`` against the sandbox (run_cli in a worker thread: it owns its own event loop)."""

from __future__ import annotations

import asyncio
import io

from pystern.cli import ProcessIO, run_cli
from pystern.sandbox import Sandbox


async def _run(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    err = io.StringIO()
    process = ProcessIO(io.BytesIO(), io.BytesIO(), err, False, False, env)
    code = await asyncio.to_thread(run_cli, argv, process)
    return code, err.getvalue()


async def test_prompt_without_labels(sandbox: Sandbox, env: dict[str, str]) -> None:
    sandbox.cluster.add_pod("web-1", containers=("app",))
    code, err = await _run(["--prompt", "--kubeconfig", str(sandbox.kubeconfig_path)], env)
    assert (code, err) == (1, "pystern: error: No matching labels\n")


async def test_prompt_needs_a_terminal(sandbox: Sandbox, env: dict[str, str]) -> None:
    sandbox.cluster.add_pod("web-1", containers=("app",), labels={"app.kubernetes.io/instance": "shop"})
    code, err = await _run(["-p", "--kubeconfig", str(sandbox.kubeconfig_path)], env)
    assert (code, err) == (2, "pystern: error: --prompt needs a terminal on stdin\n")


async def test_unknown_context_is_one_line(sandbox: Sandbox, env: dict[str, str]) -> None:
    code, err = await _run([".", "--context", "nope", "--kubeconfig", str(sandbox.kubeconfig_path)], env)
    assert code == 1
    assert err.startswith("pystern: error: ")
    assert "nope" in err
    assert err.count("\n") == 1
