"""A tail's settings and vocabulary: where a stream starts, how it backs off, what it asks discovery.

``RetryPolicy`` holds every delay and limit (tests run with a fast one); ``History`` says
where a container's first stream starts; ``StatusSource`` is the port to discovery's
container table; ``transient`` and ``waiting_error`` sort failures for the retry loop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from pystern import errors
from pystern.model import ContainerStatus, Target

NO_FOLLOW_RETRIES = 3
"""Transient failures a --no-follow stream survives (resuming) before it counts as failed."""
ROTATION_MISMATCHES = 3
"""Resumed streams in a row without the last line printed, with the same container instance
still running, after which the log is taken to have been rotated and is accepted as it is."""


class History:
    """Where a new stream starts (plain string constants; compared by value)."""

    CONFIGURED = "configured"
    """``--tail``/``--since`` as given: containers already running when pystern started."""
    ALL = "all"
    """From the first line: containers that started after pystern did (stern's restart gap)."""
    NONE = "none"
    """Only new lines (``tailLines=0``): a pod that matches ``--condition`` again."""
    PREVIOUS = "previous"
    """All of an instance that had already stopped and been replaced when pystern first saw it
    (``previous=true``): a container that restarted during an outage or between two watch events."""


class StatusSource(Protocol):
    """What a tail asks discovery: the latest status of its container, and change notification."""

    def status(self, target: Target) -> ContainerStatus | None:
        """The container's latest status, or None when the pod is gone."""
        ...

    async def wait_change(self, target: Target, within: float) -> None:
        """Return when the target's pod changes, or after ``within`` seconds."""
        ...

    def deleting(self, target: Target) -> bool:
        """The target's pod is terminating (it has a deletion timestamp)."""
        ...

    def lagging(self, target: Target) -> bool:
        """The status may be behind the cluster: the watch that reports it ended and has not caught
        up, or has been silent longer than ``RetryPolicy.quiet_watch`` (maybe half-open)."""
        ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff between reconnection attempts and when to give up."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2
    give_up_after: int = 10
    """Consecutive failed attempts (error answers, no line received) before giving up.  Connection
    failures do not count towards it: an API server that is down is waited for at ``maximum`` pace."""
    healthy_after: float = 60.0
    """An attempt that lasted this long resets the failure count even without lines."""
    stall_check: float = 60.0
    """Follow mode: after this many silent seconds, probe whether the log has newer lines than the
    stream delivered (a half-open or stuck connection); 0 turns the watchdog off."""
    eof_grace: float = 1.0
    """After a clean EOF, how long to wait for a pod status change before deciding it was not the end."""
    unreachable_poll: float = 2.0
    """The longest pause between the pod watch's attempts to reach a server that refuses
    connections; tails backing off are woken by the watch's relist once it is back."""
    quiet_watch: float = 90.0
    """A pod watch that sent no event and no BOOKMARK for this long may be half-open (API servers
    send a bookmark about every minute): until it speaks again, the containers it reports count
    as lagging (``StatusSource.lagging``), so a tail with no line printed yet checks its stream
    with the API server before printing."""
    deleting_check: float = 0.5
    """Follow mode, pod terminating: the first stall probe after this many silent seconds, doubling
    after each probe that finds nothing.  The log goes with the pod when its grace period ends, so
    60 s of ``stall_check`` would be too late; the doubling bounds the probes a silent pod costs."""

    def delay(self, failures: int, rng: random.Random) -> float:
        """The pause before attempt ``failures + 1`` (``failures >= 1``), with jitter."""
        base = min(self.maximum, self.initial * self.factor ** max(0, failures - 1))
        return base * rng.uniform(1.0 - self.jitter, 1.0 + self.jitter)


def waiting_error(exc: errors.ApiError) -> bool:
    """Errors that mean "not ready yet": wait for the pod to change instead of hammering."""
    text = exc.message or str(exc)
    if exc.status == 404 and "pods/log" in text:
        return True  # the kubelet does not know the pod yet
    return exc.status == 400 and ("waiting to start" in text or "is not available" in text)


def transient(exc: errors.PysternError) -> bool:
    """Failures worth retrying: connection trouble, throttling, server errors and expired credentials."""
    if isinstance(exc, errors.ApiError):
        return exc.status in (401, 408, 429) or exc.status >= 500
    return isinstance(exc, (errors.ConnectionLost, errors.ConnectionFailed))
