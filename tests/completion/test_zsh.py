"""The generated zsh script, run by zsh against the installed program and a sandbox."""

from __future__ import annotations

from pathlib import Path

from pystern.sandbox import Sandbox
from tests.completion.runner import program_env, zsh_complete, zsh_readline


async def test_zsh_script(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    tls_sandbox.cluster.add_namespace("team-a")
    tls_sandbox.cluster.add_deployment("web", namespace="team-a")
    env = program_env(tmp_path, tls_sandbox.kubeconfig_path)
    assert await zsh_complete("pystern --color=a", env) == ["--color=auto", "--color=always"]
    assert await zsh_complete("pystern sta", env) == ["<no space>", "statefulset/"]
    assert await zsh_complete("pystern -n te", env) == ["team-a"]
    assert await zsh_complete("pystern -n team-a deployment/", env) == ["deployment/web"]
    assert await zsh_complete("pystern -A deployment/", env) == ["deployment/web"]
    assert await zsh_complete("pystern --kubeconfig ", env) == ["<files>"]


async def test_zsh_passes_quoted_words_without_their_quotes(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    tls_sandbox.cluster.add_namespace("team-a")
    assert tls_sandbox.kubeconfig_path is not None
    spaced = tmp_path / "my kube config"
    spaced.write_text(tls_sandbox.kubeconfig_path.read_text())
    env = program_env(tmp_path, None)
    assert await zsh_complete(f"pystern --kubeconfig '{spaced}' -n te", env) == ["team-a"]
    assert await zsh_complete(f'pystern --kubeconfig "{spaced}" -i "a b" -n te', env) == ["team-a"]


async def test_zsh_completes_inside_an_open_quote(tmp_path: Path) -> None:
    # zsh's line editor unquotes the word being typed ($PREFIX) and closes an open quote
    # itself; the program must get the word unquoted.
    env = program_env(tmp_path, None)
    assert await zsh_readline("pystern --color 'al", env) == "pystern --color 'always' "
