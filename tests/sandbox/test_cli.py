"""``pystern-sandbox`` as a real process: serves, prints the export line, Ctrl-C exits 130 quietly."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml


async def test_serves_and_exits_130_on_ctrl_c(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pystern.sandbox.cli",
        "--scenario",
        "demo",
        "--kubeconfig",
        str(kubeconfig),
        "--token",
        "t0k",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert line.decode() == f"export KUBECONFIG={kubeconfig}\n"
        config = yaml.safe_load(kubeconfig.read_text())
        server = config["clusters"][0]["cluster"]["server"]
        assert config["users"][0]["user"]["token"] == "t0k"
        async with (
            aiohttp.ClientSession(headers={"Authorization": "Bearer t0k"}) as session,
            session.get(server + "/api/v1/pods") as resp,
        ):
            names = {item["metadata"]["name"] for item in (await resp.json())["items"]}
        assert "db-0" in names
        assert "flaky" in names
        assert sum(name.startswith("web-") for name in names) == 3
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 130
    assert b"Traceback" not in err


async def test_bad_flag_exits_2() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pystern.sandbox.cli",
        "--scenario",
        "nope",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 2
    assert b"invalid choice" in err


def test_port_out_of_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from pystern.sandbox.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--port", "99999"])
    assert exited.value.code == 2
    assert "argument --port: 99999 is not a port number (0-65535)" in capsys.readouterr().err


def test_kubeconfig_that_is_a_directory_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from pystern.sandbox.cli import main

    assert main(["--scenario", "empty", "--kubeconfig", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"pystern-sandbox: error: --kubeconfig {tmp_path} is a directory; "
        f"give a file path, e.g. {tmp_path / 'kubeconfig'}\n"
    )


def test_kubeconfig_that_cannot_be_written_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from pystern.sandbox.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["--scenario", "empty", "--kubeconfig", str(blocker / "kubeconfig")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        f"pystern-sandbox: error: cannot write --kubeconfig {blocker / 'kubeconfig'}: "
    )
    assert "Errno" not in captured.err
    assert captured.err.count("\n") == 1


def test_a_port_in_use_is_one_line_naming_the_address(capsys: pytest.CaptureFixture[str]) -> None:
    from pystern.sandbox.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["--scenario", "empty", "--port", str(port)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    # Not asyncio's "[Errno 98] error while attempting to bind on address ('127.0.0.1', N): ...".
    assert (
        captured.err == f"pystern-sandbox: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )
