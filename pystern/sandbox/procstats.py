"""Measurements of a running process from ``/proc`` (Linux): its RSS and its open file descriptors.

The soak (``bench/soak.py``) and the whole-program reliability tests watch a real ``pystern``
process with these; both already import the sandbox, so they live here rather than in either.
A process that is gone, or a system without ``/proc``, reads as 0.
"""

from __future__ import annotations

import os
from pathlib import Path


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def open_fds(pid: int) -> int:
    """Open file descriptors of ``pid`` (0 when it is gone)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0
