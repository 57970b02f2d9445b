"""The short soak as a background process: started when collection ends, read by its test.

``bench/soak.py`` runs for about 17 s and spends nearly all of it waiting (about 1.5 s of CPU:
its sandbox, its pystern and its clock-driven faults).  Started as soon as the session knows the
soak test is selected, it runs beside the tests before it, and its test only collects the
verdict.  The run itself, its arguments and every assertion on it are unchanged.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
SOAK_ARGS = ["--seconds", "16", "--warmup", "9", "--fault-every", "1.8", "--report-every", "5", "--json"]
TEST_ID = "test_soak_short.py::test_short_soak_is_clean"
"""The end of the soak test's node ID."""
LIMIT = 80.0
"""Seconds the soak may take from its start before it counts as hung."""


@dataclass
class SoakRun:
    """A running ``bench/soak.py``; its output goes to files, so it never waits on a full pipe."""

    proc: subprocess.Popen[bytes]
    out: IO[bytes]
    err: IO[bytes]
    started: float

    def result(self) -> tuple[int, str, str]:
        """Wait for the end (at most ``LIMIT`` s after the start): (exit status, stdout, stderr)."""
        try:
            self.proc.wait(timeout=max(0.0, self.started + LIMIT - time.monotonic()))
            self.out.seek(0)
            self.err.seek(0)
            return self.proc.returncode, self.out.read().decode(), self.err.read().decode()
        finally:
            self.stop()

    def stop(self) -> None:
        """Kill the soak if it is still running (a hung run, or a session that ended early)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()


def start() -> SoakRun:
    """Start the short soak in the background."""
    # Open past this function on purpose: the soak writes to them until its test reads them.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    err = tempfile.TemporaryFile()  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, str(SOAK), *SOAK_ARGS], stdout=out, stderr=err)
    return SoakRun(proc, out, err, time.monotonic())
