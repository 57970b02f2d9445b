"""``--demo`` tails its own sandbox: it never reaches for the user's cluster settings."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from pystern.cli import ProcessIO, parse_invocation, run_cli
from pystern.cli.app import demo_connection
from pystern.cli.invocation import Source
from pystern.errors import UsageError


def _run(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.BytesIO(), io.StringIO()
    code = run_cli(argv, ProcessIO(io.BytesIO(), out, err, False, False, env))
    return code, out.getvalue().decode(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--context", "prod"], "--context"),
        (["--context=a,b"], "--context"),
        (["--kubeconfig", "/tmp/kc"], "--kubeconfig"),
        (["--server", "https://10.0.0.1"], "--server"),
        (["--token", "t0k3n"], "--token"),
        (["--certificate-authority", "/ca"], "--certificate-authority"),
        (["--client-certificate", "/c"], "--client-certificate"),
        (["--client-key", "/k"], "--client-key"),
        (["--insecure-skip-tls-verify"], "--insecure-skip-tls-verify"),
        (["--cluster", "c"], "--cluster"),
        (["--user", "u"], "--user"),
        (["--tls-server-name", "api.prod"], "--tls-server-name"),
        # Impersonation names someone on the user's cluster; the demo would drop it unsaid.
        (["--as", "bob"], "--as"),
        (["--as-group", "g"], "--as-group"),
        (["--as-uid", "1"], "--as-uid"),
        (["--stdin"], "--stdin"),
    ],
)
def test_a_cluster_choice_on_the_command_line_is_refused(
    argv: list[str], flag: str, env: dict[str, str]
) -> None:
    code, out, err = _run(["--demo", "--no-follow", *argv], env)
    assert (code, out) == (2, "")
    why = "the demo tails its own sandbox cluster"
    assert err == f"pystern: error: {flag} cannot be used with --demo ({why})\n"


async def test_connection_settings_from_the_config_file_do_not_reach_the_demo(
    env: dict[str, str], tmp_path: Path
) -> None:
    # A standing `server:`/`context:` in the config file must neither break the demo nor send
    # its requests (and token) to the user's real cluster.
    config = tmp_path / "config.yaml"
    config.write_text("server: http://127.0.0.1:1\ntoken: secret\ncontext: prod\nkubeconfig: /nonexistent\n")
    env["PYSTERNCONFIG"] = str(config)
    argv = ["--demo", "--no-follow", "--tail=1", "--only-log-lines", "--color=never"]
    code, out, err = await asyncio.to_thread(_run, argv, env)
    assert (code, err) == (0, "")
    assert out


def test_a_standing_stdin_setting_does_not_replace_the_demo(env: dict[str, str]) -> None:
    env["PYSTERN_STDIN"] = "true"
    invocation = parse_invocation(["--demo"], env)
    assert invocation.source is Source.DEMO


def test_a_standing_demo_setting_yields_to_a_source_on_the_command_line(env: dict[str, str]) -> None:
    env["PYSTERN_DEMO"] = "true"
    assert parse_invocation(["--stdin"], env).source is Source.STDIN
    cluster = parse_invocation([".", "--context", "prod"], env)
    assert cluster.source is Source.CLUSTER
    assert cluster.config.connection.contexts == ("prod",)
    assert parse_invocation(["."], env).source is Source.DEMO
    with pytest.raises(UsageError, match="One of pod-query"):
        parse_invocation(["--context", "prod"], env)  # no query: the yielded demo does not select pods


def test_the_config_files_namespace_is_not_the_demos(env: dict[str, str], tmp_path: Path) -> None:
    # `namespace: shop` names a namespace of the user's cluster; the demo has none such and would
    # wait for ever, printing nothing.
    config = tmp_path / "config.yaml"
    config.write_text("namespace: shop\n")
    env["PYSTERNCONFIG"] = str(config)
    selection = parse_invocation(["--demo"], env).config.selection
    assert (selection.all_namespaces, selection.namespaces) == (True, ())
    chosen = parse_invocation(["--demo", "-n", "backend"], env).config.selection
    assert (chosen.all_namespaces, chosen.namespaces) == (False, ("backend",))
    config.write_text("all-namespaces: false\n")
    assert parse_invocation(["--demo"], env).config.selection.all_namespaces


def test_the_client_tuning_reaches_the_demo_and_the_cluster_choice_does_not(
    env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("server: http://127.0.0.1:1\ntoken: secret\n")
    env["PYSTERNCONFIG"] = str(config)
    argv = ["--demo", "--disable-compression", "--qps", "7", "--request-timeout", "9s", "--verbosity", "6"]
    user = parse_invocation(argv, env).config.connection
    demo = demo_connection(user, "/sandbox/kubeconfig")
    assert (demo.disable_compression, demo.qps, demo.request_timeout, demo.verbosity) == (True, 7, 9, 6)
    assert (demo.kubeconfig, demo.server, demo.token) == ("/sandbox/kubeconfig", None, None)
