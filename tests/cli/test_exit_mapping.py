"""How run_cli maps what the run raises to one stderr line and an exit status."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import pytest

import pystern.cli
from pystern.cli import Invocation, ProcessIO, run_cli
from pystern.errors import ApiError, ConnectionFailed, KubeconfigError
from pystern.render import OutputClosed


def _io(env: dict[str, str]) -> tuple[ProcessIO, io.StringIO]:
    err = io.StringIO()
    return ProcessIO(io.BytesIO(), io.BytesIO(), err, False, False, env), err


def _closed_by(cause: BaseException) -> OutputClosed:
    closed = OutputClosed("stdout was closed")
    closed.__cause__ = cause
    return closed


def _raising(exc: BaseException) -> Callable[[Invocation, ProcessIO], Callable[[], Awaitable[int]]]:
    def body(invocation: Invocation, process: ProcessIO) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            raise exc

        return run

    return body


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (KubeconfigError("no kubeconfig found"), 1, "pystern: error: no kubeconfig found\n"),
        (
            ConnectionFailed("cannot reach https://x: refused"),
            1,
            "pystern: error: cannot reach https://x: refused\n",
        ),
        (ApiError(403, "Forbidden", "pods is forbidden"), 1, "pystern: error: pods is forbidden\n"),
        (ExceptionGroup("g", [ValueError("x"), KubeconfigError("bad")]), 1, "pystern: error: bad\n"),
        (ApiError(500, "", "two\nlines"), 1, "pystern: error: two lines\n"),
        (
            ApiError(500, "", "evil \x1b]0;title\x07\x1b[2J\x9b"),
            1,
            "pystern: error: evil \\x1b]0;title\\x07\\x1b[2J\\x9b\n",
        ),
        (
            RuntimeError("boom"),
            1,
            "pystern: internal error: RuntimeError('boom'); run with --debug for details\n",
        ),
        (BrokenPipeError(), 0, ""),
        (KeyboardInterrupt(), 130, ""),
        # The writer thread stopped by something other than the reader leaving: lines were lost.
        (_closed_by(MemoryError()), 1, "pystern: error: cannot write to standard output: out of memory\n"),
        (
            _closed_by(RuntimeError("boom")),
            1,
            "pystern: error: cannot write to standard output: internal error RuntimeError('boom'); "
            "run with --debug for details\n",
        ),
        (_closed_by(BrokenPipeError()), 0, ""),
    ],
)
def test_mapping(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], exc: BaseException, code: int, line: str
) -> None:
    monkeypatch.setattr(pystern.cli, "body", _raising(exc))
    process, err = _io(env)
    assert run_cli(["."], process) == code
    assert err.getvalue() == line


def test_debug_flag_forms(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    monkeypatch.setattr(pystern.cli, "body", _raising(RuntimeError("boom")))
    for argv, shown in (([".", "--debug=true"], True), ([".", "--debug=false"], False), (["."], False)):
        process, err = _io(env)
        run_cli(argv, process)
        assert ("Traceback" in err.getvalue()) is shown, argv


def test_debug_prints_the_traceback_of_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.setattr(pystern.cli, "body", _raising(RuntimeError("boom")))
    process, err = _io(env)
    assert run_cli([".", "--debug"], process) == 1
    assert "Traceback" in err.getvalue()
    assert err.getvalue().endswith(
        "pystern: internal error: RuntimeError('boom'); run with --debug for details\n"
    )


def test_run_status_is_the_exit_status(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    def body(invocation: Invocation, process: ProcessIO) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            return 1

        return run

    monkeypatch.setattr(pystern.cli, "body", body)
    process, err = _io(env)
    assert run_cli(["--no-follow", "."], process) == 1
    assert err.getvalue() == ""


def test_verbosity_notes_and_warnings(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tmp_path: object
) -> None:
    from pathlib import Path

    stern = Path(env["HOME"]) / ".config/stern/config.yaml"
    stern.parent.mkdir(parents=True)
    stern.write_text("tail: 1\nbogus: 2\n")
    monkeypatch.setattr(pystern.cli, "body", _raising(KubeconfigError("stop")))
    process, err = _io(env)
    run_cli([".", "--verbosity=1"], process)
    assert err.getvalue().splitlines() == [
        f'pystern: warning: unknown option "bogus" in config file {stern}',
        f"pystern: reading stern's config file {stern} (no pystern config file exists)",
        "pystern: error: stop",
    ]
    process, err = _io(env)
    run_cli(["."], process)
    assert "reading stern's config file" not in err.getvalue()
