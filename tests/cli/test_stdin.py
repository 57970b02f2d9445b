"""``--stdin`` in-process: lines are split as stern splits them (only at ``\\n``)."""

from __future__ import annotations

import io

from pystern.cli import ProcessIO, run_cli
from pystern.tail.lines import MAX_LINE, TRUNCATED


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


def test_a_huge_line_is_cut_like_one_from_the_cluster(env: dict[str, str]) -> None:
    # Bounded memory (and linear time) for a line with no end in sight, such as a one-line dump.
    huge = b"x" * (MAX_LINE + 10)
    code, out, err = _run(["--stdin", "-o", "raw"], env, huge + b"\nnext\n" + huge)
    assert (code, err) == (0, "")
    cut = b"x" * MAX_LINE + TRUNCATED + b"\n"
    assert out == cut + b"next\n" + cut
