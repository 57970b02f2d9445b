"""Real bash completion against the installed program and a sandbox cluster (over TLS)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pystern.sandbox import Sandbox
from tests.completion.runner import bash_complete, bash_readline, installed, program_env, run


@pytest.fixture
def cluster(tls_sandbox: Sandbox, tmp_path: Path) -> Sandbox:
    """Namespaces team-a/team-b, a second node, deployments in default and team-a.

    The kubeconfig gains a second context ``team:a`` (a ':' is a bash word break) whose
    default namespace is team-a.
    """
    c = tls_sandbox.cluster
    c.add_namespace("team-a")
    c.add_namespace("team-b")
    c.add_node("node-2")
    c.add_deployment("api")
    c.add_deployment("web", namespace="team-a")
    c.add_deployment("worker", namespace="team-a")
    c.add_deployment("batch", namespace="team-b")
    assert tls_sandbox.kubeconfig_path is not None
    config = yaml.safe_load(tls_sandbox.kubeconfig_path.read_text())
    config["contexts"].append({"name": "team:a", "context": {"cluster": "sandbox", "user": "sandbox",
                                                             "namespace": "team-a"}})  # fmt: skip
    tls_sandbox.kubeconfig_path.write_text(yaml.safe_dump(config))
    return tls_sandbox


def env_for(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    return program_env(tmp_path, sandbox.kubeconfig_path)


async def test_namespaces(cluster: Sandbox, tmp_path: Path) -> None:
    env = env_for(cluster, tmp_path)
    assert await bash_complete("pystern -n team", env) == ["team-a", "team-b"]
    assert set(await bash_complete("pystern --namespace ", env)) >= {"default", "team-a", "team-b"}
    assert await bash_complete("pystern -n team-a,team-", env) == ["team-a,team-a", "team-a,team-b"]
    # `-n=team<TAB>`: readline replaces the text after '=', so bash gets the names alone.
    assert await bash_complete("pystern -An=team", env) == ["team-a", "team-b"]


async def test_nodes_and_contexts(cluster: Sandbox, tmp_path: Path) -> None:
    env = env_for(cluster, tmp_path)
    assert await bash_complete("pystern --node ", env) == ["node-1", "node-2"]
    assert await bash_complete("pystern --context ", env) == ["sandbox", "team:a"]
    # readline replaces only the text after the ':' word break, so bash gets the rest.
    assert await bash_complete("pystern --context team:", env) == ["a"]


async def test_kinds_and_names(cluster: Sandbox, tmp_path: Path) -> None:
    env = env_for(cluster, tmp_path)
    assert await bash_complete("pystern depl", env) == ["deployment/"]
    assert await bash_complete("pystern deployment/", env) == ["deployment/api"]
    assert await bash_complete("pystern -n team-a deployment/w", env) == [
        "deployment/web",
        "deployment/worker",
    ]
    assert await bash_complete("pystern --namespace=team-b deploy/", env) == ["deploy/batch"]
    assert await bash_complete("pystern --context team:a deployment/", env) == [
        "deployment/web",
        "deployment/worker",
    ]
    # The command takes `-A deployment/web` (and `-n a,b`): the names of every namespace it would search.
    assert await bash_complete("pystern -A deployment/", env) == [
        "deployment/api",
        "deployment/batch",
        "deployment/web",
        "deployment/worker",
    ]
    # With several -n the command needs the object in each of them (as stern), so only those are offered.
    assert await bash_complete("pystern -n team-a -n team-b deployment/", env) == []
    cluster.cluster.add_deployment("api", namespace="team-b")
    assert await bash_complete("pystern -n default,team-b deploy/", env) == ["deploy/api"]
    assert await bash_complete("pystern -A deploy/a", env) == ["deploy/api"]


async def test_fixed_values_through_bash(cluster: Sandbox, tmp_path: Path) -> None:
    env = env_for(cluster, tmp_path)
    assert await bash_complete("pystern --color=al", env) == ["always"]
    assert await bash_complete("pystern -o ", env) == ["default", "raw", "json", "extjson", "ppextjson"]
    assert await bash_complete("pystern --completion z", env) == ["zsh"]


async def test_kubeconfig_flag_is_honoured(cluster: Sandbox, tmp_path: Path) -> None:
    assert cluster.kubeconfig_path is not None
    env = program_env(tmp_path, None)  # no $KUBECONFIG: only --kubeconfig finds the cluster
    assert await bash_complete("pystern -n team-a deployment/", env) == []
    line = f"pystern --kubeconfig {cluster.kubeconfig_path} -n team-a deployment/"
    assert await bash_complete(line, env) == ["deployment/web", "deployment/worker"]
    assert await bash_complete(f"pystern --kubeconfig={cluster.kubeconfig_path} --node node-", env) == [
        "node-1",
        "node-2",
    ]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


async def test_unanswering_server_completes_nothing_quickly(silent_server: int, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{silent_server}"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    env = program_env(tmp_path, kubeconfig)
    started = time.monotonic()
    code, out, err = await run([str(installed()), "__complete", "-n", ""], env)
    elapsed = time.monotonic() - started
    assert (code, out, err) == (0, ":1\n", "")
    assert elapsed < 5, f"completion look-up took {elapsed:.1f}s"
    assert await bash_complete("pystern deployment/", env) == []


async def test_config_file_and_environment_values_are_honoured(cluster: Sandbox, tmp_path: Path) -> None:
    assert cluster.kubeconfig_path is not None
    config = tmp_path / "pystern.yaml"
    config.write_text(f"kubeconfig: {cluster.kubeconfig_path}\nnamespace: team-a\n")
    env = program_env(tmp_path, None, PYSTERNCONFIG=str(config))
    # The file names the kubeconfig and the namespace the command would tail.
    assert await bash_complete("pystern deployment/", env) == ["deployment/web", "deployment/worker"]
    # The line beats the file, a variable beats the file, and --config picks another file.
    assert await bash_complete("pystern -n team-b deployment/", env) == ["deployment/batch"]
    assert await bash_complete("pystern deployment/", {**env, "PYSTERN_NAMESPACE": "default"}) == [
        "deployment/api"
    ]
    other = tmp_path / "other.yaml"
    other.write_text(f"kubeconfig: {cluster.kubeconfig_path}\nall-namespaces: true\n")
    assert await bash_complete(f"pystern --config {other} deployment/", env) == [
        "deployment/api",
        "deployment/batch",
        "deployment/web",
        "deployment/worker",
    ]
    # As in the command, -n on the line beats the file's all-namespaces.
    assert await bash_complete(f"pystern --config {other} -n team-b deployment/", env) == ["deployment/batch"]
    # A broken file completes as if there were none (the command itself reports it).
    config.write_text("tail: [not, a, number]\n")
    assert await bash_complete("pystern deployment/", env) == []


async def test_readline_words_quotes_and_word_breaks(cluster: Sandbox, tmp_path: Path) -> None:
    # Real readline splits the words: a quoted value with a blank is one word, and
    # --color=al reaches the script as three pieces that must be glued back.
    env = env_for(cluster, tmp_path)
    assert await bash_readline("pystern -i 'GET /x' -n team-a dep", env) == (
        "pystern -i 'GET /x' -n team-a deployment/"
    )
    template = "--template '{{.PodName}} {{.Message}}'"
    assert await bash_readline(f"pystern {template} -n team-a deployment/wo", env) == (
        f"pystern {template} -n team-a deployment/worker "
    )
    assert await bash_readline("pystern --color=al", env) == "pystern --color=always "
    # A quoted path reaches the program without its quotes.
    assert cluster.kubeconfig_path is not None
    spaced = tmp_path / "my kube config"
    spaced.write_text(cluster.kubeconfig_path.read_text())
    del env["KUBECONFIG"]
    assert await bash_readline(f"pystern --kubeconfig '{spaced}' -n team-b deployment/", env) == (
        f"pystern --kubeconfig '{spaced}' -n team-b deployment/batch "
    )


async def test_readline_completes_inside_an_open_quote(tmp_path: Path) -> None:
    # readline hands over the text after an open quote and closes the quote itself, so the
    # program must get the word without its quotes and the answer must fit after the quote.
    env = program_env(tmp_path, None)
    assert await bash_readline('pystern -o="ext', env) == 'pystern -o="extjson" '


async def test_quotes_inside_earlier_words_are_removed(cluster: Sandbox, tmp_path: Path) -> None:
    # The command gets --kubeconfig='/x' as --kubeconfig=/x and -n'team-b' as -n team-b; so
    # must the completion look-up (the quotes were passed on, and nothing was found).
    assert cluster.kubeconfig_path is not None
    env = program_env(tmp_path, None)
    line = f"pystern --kubeconfig='{cluster.kubeconfig_path}' -n'team-b' deployment/"
    assert await bash_complete(line, env) == ["deployment/batch"]
