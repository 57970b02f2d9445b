"""Faults by name, for the soak (``bench/soak.py``) and the churn tests: one meaning for each name.

Each is one of issue 6's faults, injected into a running sandbox whose pods live in
``namespace``: broken log streams, broken or expired watches, error answers and an API-server
restart.
"""

from __future__ import annotations

from pystern.sandbox.server import Sandbox

FAULTS = ("reset", "restart", "expire", "eof", "watch-close", "503-logs", "watch-reset", "429-watch", "stall")
"""Every name :func:`inject` knows, in the soak's default cycle order."""


async def inject(sandbox: Sandbox, fault: str, *, namespace: str = "churn", down_for: float = 2.0) -> None:
    """Inject ``fault`` (one of :data:`FAULTS`); ``down_for`` is how long a restart refuses connections."""
    c = sandbox.cluster
    if fault in ("reset", "eof", "stall"):
        c.break_log_streams(fault, mid_line=True)
    elif fault == "expire":
        c.expire_watches()
    elif fault in ("watch-close", "watch-reset"):
        c.break_watches(fault.removeprefix("watch-"))
    elif fault == "503-logs":
        c.fail_requests(503, times=3, path_contains="/log")
        c.break_log_streams("reset", mid_line=False)
    elif fault == "429-watch":
        # Matched against the path plus the query: the next list or watch of pods gets the 429.
        c.fail_requests(429, times=1, path_contains=f"/api/v1/namespaces/{namespace}/pods?", retry_after=1)
        c.break_watches("close")
    elif fault == "restart":
        await sandbox.restart(down_for=down_for)
    else:
        raise ValueError(f"unknown fault {fault!r}; choose from {', '.join(FAULTS)}")
