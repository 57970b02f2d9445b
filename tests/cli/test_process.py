"""The installed entry points, run as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pystern import __version__

BIN = Path(sys.executable).parent


def _run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env, check=False, **kw)  # type: ignore[call-overload, no-any-return]


@pytest.mark.parametrize(
    "argv",
    [[str(BIN / "pystern"), "--version"], [sys.executable, "-m", "pystern", "--version"]],
    ids=["pystern", "python -m pystern"],
)
def test_version(argv: list[str]) -> None:
    done = _run(argv)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"version: {__version__}\n", "")


def test_kubectl_plugin() -> None:
    kubectl = "/usr/bin/kubectl"
    if not Path(kubectl).exists():
        pytest.skip("kubectl is not installed")
    done = _run([kubectl, "pystern", "--version"])
    assert (done.returncode, done.stdout) == (0, f"version: {__version__}\n")
    helped = _run([kubectl, "pystern", "--help"])
    assert helped.returncode == 0
    assert helped.stdout.startswith("Usage: kubectl pystern [QUERY] [flags]\n")
    assert 'Use "kubectl pystern --show-hidden-options"' in helped.stdout
    bad = _run([kubectl, "pystern", "--tail", "x", "."])
    assert bad.returncode == 2
    assert bad.stderr == 'pystern: error: invalid value "x" for --tail: not an integer\n'


def test_help_and_version_do_not_load_the_client() -> None:
    code = (
        "import sys\n"
        "from pystern.cli import run_cli\n"
        "run_cli(['--help']); run_cli(['--version']); run_cli(['--show-hidden-options'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'kubernetes_asyncio'))\n"
        "print(heavy, file=sys.stderr)\n"
    )
    done = _run([sys.executable, "-c", code])
    assert done.returncode == 0, done.stderr
    assert done.stderr == "[]\n"
    assert "Usage: pystern [QUERY] [flags]" in done.stdout


_SLEEPER = (
    "import asyncio, sys\n"
    "from pystern.cli.app import run_with_signals\n"
    "async def forever():\n"
    "    print('ready', flush=True)\n"
    "    try:\n"
    "        await asyncio.sleep(100)\n"
    "    finally:\n"
    "        print('cleaned up', flush=True)\n"
    "    return 0\n"
    "sys.exit(run_with_signals(forever))\n"
)


def _signal_script(script: str, first_line: str, signum: int, delay: float = 0.0) -> tuple[int, str, str]:
    """Run ``script`` and signal it ``delay`` s after ``first_line``: (status, rest of stdout, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == first_line
        time.sleep(delay)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    return proc.returncode, out, err


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_cancel_the_run_and_set_the_exit_code(signum: int, code: int) -> None:
    assert _signal_script(_SLEEPER, "ready\n", signum) == (code, "cleaned up\n", "")


_SLOW_CLOSE = (
    "import asyncio, sys, time\n"
    "from pystern.cli.app import run_with_signals\n"
    "async def done():\n"
    "    # Still running when the loop closes: closing waits for it, as for a resolver thread.\n"
    "    asyncio.get_running_loop().run_in_executor(None, time.sleep, 2)\n"
    "    print('closing', flush=True)\n"
    "    return 0\n"
    "sys.exit(run_with_signals(done))\n"
)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_loop_closes_exits_quietly(signum: int, code: int) -> None:
    # The run is over (the reader of stdout left, say) and the user presses Ctrl-C as it shuts down.
    status, _, err = _signal_script(_SLOW_CLOSE, "closing\n", signum, delay=0.3)
    assert (status, err) == (code, "")


@pytest.mark.parametrize(
    "flag", [["--help"], ["--show-hidden-options"], ["--version"], ["--completion", "bash"]], ids=str
)
def test_a_reader_that_left_ends_help_and_version_quietly(flag: list[str]) -> None:
    # `pystern --help | head -1`: status 0 and no message, as for log lines (README).
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first write
    try:
        done = subprocess.run(
            [str(BIN / "pystern"), *flag], stdout=write_end, stderr=subprocess.PIPE, timeout=30, check=False
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, b"")
