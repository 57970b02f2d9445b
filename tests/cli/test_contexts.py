"""Several ``--context``s: an error that stops the run names the context it came from."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import yaml

from pystern.cli import ProcessIO, run_cli
from pystern.sandbox import Sandbox


async def _run(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    err = io.StringIO()
    process = ProcessIO(io.BytesIO(), io.BytesIO(), err, False, False, env)
    code = await asyncio.to_thread(run_cli, argv, process)
    return code, err.getvalue()


def _two_contexts(sandbox: Sandbox, path: Path) -> Path:
    """Contexts ``good`` and ``stale`` on the same sandbox; ``stale`` has a token it refuses."""
    config = sandbox.kubeconfig_dict("good", "default")
    config["users"].append({"name": "stale", "user": {"token": "expired-token"}})
    config["contexts"].append({"name": "stale", "context": {"cluster": "good", "user": "stale"}})
    path.write_text(yaml.safe_dump(config))
    return path


async def test_failing_context_is_named(sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:
    kubeconfig = _two_contexts(sandbox, tmp_path / "two")
    argv = [".", "--no-follow", "--kubeconfig", str(kubeconfig), "--context", "good,stale"]
    code, err = await _run(argv, env)
    assert (code, err) == (
        1,
        'pystern: error: context "stale": You must be logged in to the server (Unauthorized)\n',
    )


async def test_one_context_keeps_the_plain_message(
    sandbox: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    kubeconfig = _two_contexts(sandbox, tmp_path / "two")
    code, err = await _run([".", "--no-follow", "--kubeconfig", str(kubeconfig), "--context", "stale"], env)
    assert (code, err) == (1, "pystern: error: You must be logged in to the server (Unauthorized)\n")


def _contexts_a_and_b(sandbox: Sandbox, path: Path) -> Path:
    """Contexts ``a`` and ``b``, both on the same sandbox, ``a`` current."""
    config = sandbox.kubeconfig_dict("a", "default")
    config["contexts"].append({"name": "b", "context": {"cluster": "a", "user": "a"}})
    path.write_text(yaml.safe_dump(config))
    return path


async def _run_out(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.BytesIO(), io.StringIO()
    process = ProcessIO(io.BytesIO(), out, err, False, False, env)
    code = await asyncio.to_thread(run_cli, argv, process)
    return code, out.getvalue().decode(), err.getvalue()


async def _hello_with_contexts(
    sandbox: Sandbox, env: dict[str, str], tmp_path: Path, contexts: str
) -> tuple[int, str, str]:
    """``--context <contexts> --no-follow`` over contexts a and b, with one pod that said hello."""
    sandbox.cluster.add_pod("web", containers=("app",))
    sandbox.cluster.write("web", "app", "hello")
    kubeconfig = _contexts_a_and_b(sandbox, tmp_path / "ab")
    argv = [".", "--no-follow", "--only-log-lines", "--color=never", "--kubeconfig", str(kubeconfig)]
    return await _run_out([*argv, "--context", contexts], env)


async def test_empty_context_entries_are_dropped_like_empty_namespaces(
    sandbox: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    code, out, err = await _hello_with_contexts(sandbox, env, tmp_path, "a,,b,")
    assert (code, err) == (0, "")
    # Two contexts are left, so each line carries its context column.
    assert sorted(out.splitlines()) == ["a web app hello", "b web app hello"]


async def test_only_empty_context_entries_mean_the_current_context(
    sandbox: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    code, out, err = await _hello_with_contexts(sandbox, env, tmp_path, ",")
    assert (code, out, err) == (0, "web app hello\n", "")


async def test_a_missing_context_is_named_once(sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:
    kubeconfig = _two_contexts(sandbox, tmp_path / "two")
    code, err = await _run([".", "--kubeconfig", str(kubeconfig), "--context", "good,nope"], env)
    assert (code, err) == (
        1,
        'pystern: error: context "nope" does not exist in the kubeconfig (known: good, stale)\n',
    )


async def test_a_namespace_missing_in_one_context_is_named_with_it(
    sandbox: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    # The nothing-matched warning says where a -n namespace does not exist: in some contexts
    # (named) or in all of them (no context named).
    sandbox.cluster.add_namespace("shop")
    async with Sandbox.start() as other:
        config = sandbox.kubeconfig_dict("a", "default")
        second = other.kubeconfig_dict("b", "default")
        for key in ("clusters", "users", "contexts"):
            config[key] += second[key]
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(config))
        argv = ["nomatch", "--no-follow", "--kubeconfig", str(path), "--context", "a,b", "-n", "shop,nope"]
        code, err = await _run(argv, env)
    assert (code, err) == (
        0,
        '! no container matched in namespaces "shop", "nope" of contexts "a", "b" '
        '(namespace "shop" does not exist in context "b"; namespace "nope" does not exist)\n',
    )
