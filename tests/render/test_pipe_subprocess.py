"""The renderer behind the real CLI: ``| head -1`` ends quietly (EPIPE -> OutputClosed -> exit 0)."""

from __future__ import annotations

import subprocess
import sys


def test_head_one_is_quiet() -> None:
    lines = b"".join(b"2023-01-27T13:20:48.123456789Z line %d with some text\n" % i for i in range(200_000))
    shell = f"{sys.executable} -m pystern --stdin -o raw | head -1"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], input=lines, capture_output=True, timeout=50, check=False
    )
    assert done.stdout == b"2023-01-27T13:20:48.123456789Z line 0 with some text\n"
    assert done.stderr == b""
    assert done.returncode == 0
