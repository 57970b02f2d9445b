"""``-n`` against the sandbox: empty entries are dropped like stern drops them (stern.md §3.1)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from pystern.cli import ProcessIO, run_cli
from pystern.sandbox import Sandbox


async def _run(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.BytesIO(), io.StringIO()
    process = ProcessIO(io.BytesIO(), out, err, False, False, env)
    code = await asyncio.to_thread(run_cli, argv, process)
    return code, out.getvalue().decode(), err.getvalue()


def _two_namespaces(sandbox: Sandbox) -> None:
    sandbox.cluster.add_pod("web", namespace="default", containers=("app",))
    sandbox.cluster.write("web", "app", "from default", namespace="default")
    sandbox.cluster.add_pod("cart", namespace="shop", containers=("app",))
    sandbox.cluster.write("cart", "app", "from shop", namespace="shop")


async def test_trailing_comma_is_ignored(sandbox: Sandbox, env: dict[str, str]) -> None:
    _two_namespaces(sandbox)
    argv = [
        ".",
        "-n",
        "default,",
        "--no-follow",
        "--only-log-lines",
        "--color=never",
        "--kubeconfig",
        str(sandbox.kubeconfig_path),
    ]
    code, out, err = await _run(argv, env)
    assert (code, err) == (0, "")
    # One namespace after dropping the empty entry: no namespace column.
    assert out == "web app from default\n"


async def test_only_empty_entries_mean_the_context_namespace(
    sandbox: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    _two_namespaces(sandbox)
    kubeconfig = sandbox.write_kubeconfig(tmp_path / "shop-kubeconfig", namespace="shop")
    code, out, err = await _run(
        [".", "-n", ",", "--no-follow", "--only-log-lines", "--color=never", "--kubeconfig", str(kubeconfig)],
        env,
    )
    assert (code, err) == (0, "")
    assert out == "cart app from shop\n"


async def test_verbosity_1_names_the_namespaces_tailed(sandbox: Sandbox, env: dict[str, str]) -> None:
    # The connection line gives the context's namespace; with -n or -A that is not where pystern
    # looks, so a second line says where it does.
    _two_namespaces(sandbox)
    base = [".", "--no-follow", "--only-log-lines", "--color=never", "--verbosity=1"]
    base += ["--kubeconfig", str(sandbox.kubeconfig_path)]
    cases = {
        (): 'pystern: tailing namespace "default" (the context\'s)',
        ("-n", "shop"): 'pystern: tailing namespace "shop" (from -n)',
        ("-n", "shop,default"): 'pystern: tailing namespaces "shop", "default" (from -n)',
        ("-A",): "pystern: tailing all namespaces (-A)",
    }
    for extra, line in cases.items():
        code, _, err = await _run([*base, *extra], env)
        assert code == 0, err
        lines = err.splitlines()
        assert 'context "sandbox"; default namespace "default"; server' in lines[0]
        assert lines[1] == line


async def test_verbosity_1_names_where_the_namespaces_were_set(
    sandbox: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    # "(from -n)" for a namespace the user never typed sends them hunting on the command line.
    _two_namespaces(sandbox)
    base = [".", "--no-follow", "--only-log-lines", "--color=never", "--verbosity=1"]
    base += ["--kubeconfig", str(sandbox.kubeconfig_path)]
    config = tmp_path / "config.yaml"
    cases = {
        ("namespace: shop\n", ()): 'pystern: tailing namespace "shop" (from the config file)',
        ("all-namespaces: true\n", ()): "pystern: tailing all namespaces (from the config file)",
        ("", (("PYSTERN_NAMESPACE", "shop"),)): 'pystern: tailing namespace "shop" (from $PYSTERN_NAMESPACE)',
        ("", (("PYSTERN_ALL_NAMESPACES", "true"),)): (
            "pystern: tailing all namespaces (from $PYSTERN_ALL_NAMESPACES)"
        ),
    }
    for (text, extra_env), line in cases.items():
        config.write_text(text)
        code, _, err = await _run([*base, "--config", str(config)], {**env, **dict(extra_env)})
        assert code == 0, err
        assert line in err.splitlines()


async def test_all_namespaces_ignores_n_even_a_name_that_is_not_valid(
    sandbox: Sandbox, env: dict[str, str]
) -> None:
    # stern: "-A ... -n is then ignored", so whatever -n holds (a config file's, say) cannot stop the run.
    _two_namespaces(sandbox)
    argv = [".", "-A", "-n", "Not_A_Namespace", "--no-follow", "--only-log-lines", "--color=never"]
    code, out, err = await _run([*argv, "--kubeconfig", str(sandbox.kubeconfig_path)], env)
    assert (code, err) == (0, "")
    assert sorted(out.splitlines()) == ["default web app from default", "shop cart app from shop"]
