"""``--context a,b`` when a cluster does not answer at start-up: the others are tailed, it is named once."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from pystern.cli import ProcessIO, run_cli
from pystern.errors import ConnectionFailed
from pystern.kube import KubeCluster, connect
from pystern.model import NoticeKind
from pystern.options import Config, Connection, Follow
from pystern.sandbox import Sandbox
from tests.engine.conftest import RecordingSink, engine, eventually


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _good_and_down(sandbox: Sandbox, path: Path, port: int) -> Path:
    """Contexts ``good`` (the sandbox) and ``down`` (nothing listens on ``port``)."""
    config = sandbox.kubeconfig_dict("good", "default")
    config["clusters"].append({"name": "down", "cluster": {"server": f"http://127.0.0.1:{port}"}})
    config["contexts"].append({"name": "down", "context": {"cluster": "down", "user": "good"}})
    path.write_text(yaml.safe_dump(config))
    return path


@contextlib.asynccontextmanager
async def _good_and_unreachable(
    sandbox: Sandbox, tmp_path: Path
) -> AsyncIterator[tuple[KubeCluster, KubeCluster, ConnectionFailed, int]]:
    """Clusters ``good`` (the sandbox) and ``down`` (nothing on its port yet), ``down``'s probe
    error and its port, as ``connect_contexts`` hands them to the engine; both closed after."""
    port = _free_port()
    kubeconfig = str(_good_and_down(sandbox, tmp_path / "k", port))
    good = await connect(Connection(kubeconfig=kubeconfig), "good")
    down = await connect(Connection(kubeconfig=kubeconfig), "down", probe=False)
    try:
        with pytest.raises(ConnectionFailed) as probed:
            await down.probe()
        yield good, down, probed.value, port
    finally:
        await good.aclose()
        await down.aclose()


async def _run(argv: list[str], env: dict[str, str]) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    process = ProcessIO(io.BytesIO(), out, err, False, False, env)
    code = await asyncio.to_thread(run_cli, argv, process)
    return code, out.getvalue(), err.getvalue()


async def test_no_follow_prints_the_other_contexts_and_exits_1(
    sandbox: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    sandbox.cluster.add_pod("web")
    sandbox.cluster.write("web", "app", "hello")
    port = _free_port()
    kubeconfig = _good_and_down(sandbox, tmp_path / "k", port)
    argv = [
        "web",
        "--no-follow",
        "--only-log-lines",
        "--kubeconfig",
        str(kubeconfig),
        "--context",
        "good,down",
    ]
    code, out, err = await _run(argv, env)
    assert code == 1
    assert out == b"good web app hello\n"
    assert err == (
        f'! context "down": cannot connect to the server http://127.0.0.1:{port}: Connection refused; '
        "its logs are left out\n"
    )


async def test_no_context_answering_is_one_line(
    sandbox: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    port = _free_port()
    kubeconfig = _good_and_down(sandbox, tmp_path / "k", port)
    doc = yaml.safe_load(kubeconfig.read_text())
    doc["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{port}"
    kubeconfig.write_text(yaml.safe_dump(doc))
    code, out, err = await _run([".", "--kubeconfig", str(kubeconfig), "--context", "good,down"], env)
    refused = f"cannot connect to the server http://127.0.0.1:{port}: Connection refused"
    assert (code, out) == (1, b"")
    assert err == f'pystern: error: context "good": {refused}; context "down": {refused}\n'


async def test_follow_tails_the_others_and_picks_the_context_up_when_it_answers(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.cluster.add_pod("web")
    sandbox.cluster.write("web", "app", "hello")
    async with _good_and_unreachable(sandbox, tmp_path) as (good, down, error, port):
        sink = RecordingSink()
        config = Config(follow=Follow(tail_lines=1))
        async with engine(config, [good], sink, unreachable=[(down, error)]):
            await eventually(lambda: sink.messages(pod="web") == [b"hello"], what="the good context's line")
            (notice,) = sink.kinds(NoticeKind.RETRYING)
            assert notice.text == (
                f'context "down": cannot connect to the server http://127.0.0.1:{port}: Connection refused; '
                "following the other contexts, and this one once it answers"
            )
            async with Sandbox.start(port=port) as late:
                late.cluster.add_pod("api")
                late.cluster.write("api", "app", "old", "last")
                # Its containers get the history of a start-up (--tail 1), then what follows.
                await eventually(
                    lambda: sink.messages(pod="api") == [b"last"], what="the late context's line"
                )
                late.cluster.write("api", "app", "new")
                await eventually(lambda: sink.messages(pod="api") == [b"last", b"new"], what="a new line")
                assert len(sink.kinds(NoticeKind.RETRYING)) == 1  # retried quietly meanwhile
            assert {t.context for t, _ in sink.lines} == {"good", "down"}


async def test_a_late_context_that_answers_with_an_error_says_so(sandbox: Sandbox, tmp_path: Path) -> None:
    async with _good_and_unreachable(sandbox, tmp_path) as (good, down, error, port):
        sink = RecordingSink()
        async with (
            engine(Config(), [good], sink, unreachable=[(down, error)]),
            Sandbox.start(port=port) as late,
        ):
            late.cluster.forbid("default")
            # Quiet while it did not answer; an answer that refuses is news, and names the context.
            await eventually(lambda: len(sink.kinds(NoticeKind.RETRYING)) == 2, what="a second notice")
            assert sink.kinds(NoticeKind.RETRYING)[1].text.startswith(
                'watching pods in namespace default of context "down": '
            )
            assert "forbidden" in sink.kinds(NoticeKind.RETRYING)[1].text


async def test_the_library_follows_the_contexts_that_answer(sandbox: Sandbox, tmp_path: Path) -> None:
    from pystern.api import tail
    from pystern.errors import PysternError

    sandbox.cluster.add_pod("web")
    sandbox.cluster.write("web", "app", "hello")
    port = _free_port()
    kubeconfig = str(_good_and_down(sandbox, tmp_path / "k", port))
    seen = []

    async def read() -> None:
        async for line in tail("web", kubeconfig=kubeconfig, context="good,down", no_follow=True, environ={}):
            seen.append((line.context, line.message))

    with pytest.raises(PysternError, match=r'context "down": cannot connect .* its logs are left out'):
        await read()
    assert seen == [("good", "hello")]


async def test_an_untrusted_certificate_stops_the_run_naming_its_context(
    sandbox: Sandbox, tls_sandbox: Sandbox, env: dict[str, str], tmp_path: Path
) -> None:
    """A server that answers with a certificate the kubeconfig does not trust is not "down": no
    retry can fix it, so it stops the run as a kubeconfig problem does (it was retried for ever)."""
    sandbox.cluster.add_pod("web")
    config = sandbox.kubeconfig_dict("good", "default")
    untrusted = tls_sandbox.kubeconfig_dict("bad", "default")
    del untrusted["clusters"][0]["cluster"]["certificate-authority-data"]
    for key in ("clusters", "users", "contexts"):
        config[key] += untrusted[key]
    kubeconfig = tmp_path / "k"
    kubeconfig.write_text(yaml.safe_dump(config))
    argv = ["web", "--no-follow", "--kubeconfig", str(kubeconfig), "--context", "good,bad"]
    code, out, err = await _run(argv, env)
    assert (code, out) == (1, b"")
    untrusted_line = f'pystern: error: context "bad": TLS certificate of {tls_sandbox.url} is not trusted'
    assert err.startswith(untrusted_line)
    assert err.count("\n") == 1
