"""``kubectl pystern`` with the real kubectl: plugin completion and a real tail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pystern.sandbox import Sandbox
from tests.completion.runner import installed, program_env, run


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not installed")
    installed("kubectl-pystern")
    installed("kubectl_complete-pystern")
    return path


async def test_kubectl_completes_plugin_arguments(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    binary = kubectl()
    tls_sandbox.cluster.add_namespace("team-a")
    tls_sandbox.cluster.add_deployment("web", namespace="team-a")
    env = program_env(tmp_path, tls_sandbox.kubeconfig_path)
    # kubectl (1.26+) runs kubectl_complete-pystern from PATH and relays its cobra-format answer.
    code, out, err = await run([binary, "__complete", "pystern", "-n", "team-"], env)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:-1] == ["team-a"]
    assert lines[-1] == ":4"
    code, out, err = await run([binary, "__complete", "pystern", "-n", "team-a", "deployment/"], env)
    assert code == 0, err
    assert out.splitlines() == ["deployment/web", ":4"]
    code, out, err = await run([binary, "__complete", "pystern", "stat"], env)
    assert out.splitlines() == ["statefulset/", ":6"]
    # A flag and '=' in one word: cobra's answer is the values alone (kubectl's scripts put
    # the flag back); "--color=always" would not match the "al" they compare against.
    code, out, err = await run([binary, "__complete", "pystern", "--color=al"], env)
    assert out.splitlines() == ["always", ":4"]
    code, out, err = await run([binary, "__complete", "pystern", "-n=team-"], env)
    assert out.splitlines() == ["team-a", ":4"]


async def test_kubectl_pystern_tails(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    binary = kubectl()
    c = tls_sandbox.cluster
    c.add_pod("web-1", containers=("app",))
    c.write("web-1", "app", "first line", "second line")
    env = program_env(tmp_path, tls_sandbox.kubeconfig_path)
    code, out, err = await run([binary, "pystern", "--no-follow", "--color=never", "web-1"], env)
    assert code == 0, err
    assert out.splitlines() == ["web-1 app first line", "web-1 app second line"]
