"""``--stdin`` in-process: lines are split as stern splits them (only at ``\\n``)."""

from __future__ import annotations

import io

from pystern.cli import ProcessIO, run_cli


def _run(argv: list[str], env: dict[str, str], stdin: bytes) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    code = run_cli(argv, ProcessIO(io.BytesIO(stdin), out, err, False, False, env))
    return code, out.getvalue(), err.getvalue()


def test_crlf_input_keeps_its_carriage_return(env: dict[str, str]) -> None:
    # stern trims only "\n"; a log line from the cluster keeps its "\r" too, so `kubectl logs x |
    # pystern --stdin -o json` gives the same message as `pystern x -o json`.
    code, out, err = _run(["--stdin", "-o", "json"], env, b"a\r\nb\r")
    assert (code, err) == (0, "")
    lines = out.decode().splitlines()
    assert [line.split(",")[0] for line in lines] == ['{"message":"a\\r"', '{"message":"b\\r"']


def test_raw_output_passes_crlf_through(env: dict[str, str]) -> None:
    assert _run(["--stdin", "-o", "raw"], env, b"a\r\nb\n")[1] == b"a\r\nb\n"
