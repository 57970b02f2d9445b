"""The watchdog of a followed stream: a silent stream is probed for newer lines and cut if it stalled.

A half-open connection sends nothing, not even an EOF, so silence is the only sign.  The
watchdog also wakes on pod changes: a container that stopped is read to its end at once
with a non-follow request, and a terminating pod is probed soon, since its log goes with it.
``StallWatchdog`` is a base class of ``Tail`` (``stream.py``), which provides the state and
``_attempt`` it declares.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pystern import errors
from pystern.model import Target
from pystern.ports import Cluster, LogRequest
from pystern.tail.lines import LineSplitter, ResumePoint, timestamp_of
from pystern.tail.policy import History, RetryPolicy, StatusSource


class StallWatchdog:
    """``_guarded_attempt``: one attempt of a ``Tail``, watched for a stall when following."""

    target: Target
    cluster: Cluster
    status_source: StatusSource
    policy: RetryPolicy
    follow: bool
    history: str
    resume: ResumePoint
    clock: Callable[[], float]
    last_data: float
    draining: bool
    previous: bool
    final: bool
    lines_seen: int

    async def _attempt(self) -> None:
        """Provided by ``Tail``."""
        raise NotImplementedError

    def _instance_state(self) -> tuple[bool, bool]:
        """Provided by ``Tail``."""
        raise NotImplementedError

    async def _guarded_attempt(self) -> None:
        """One attempt; when following, a watchdog cuts a stream that stalled (issue 6).

        The watchdog wakes on pod changes as well as on silence: a container that stopped is
        read to its end at once with a non-follow request (no need to wait for the stream's EOF,
        which a half-open connection never sends), and a terminating pod is probed soon, since
        its log is gone once its grace period ends.
        """
        if not self.follow or self.policy.stall_check <= 0:
            await self._attempt()
            return
        self.last_data = self.clock()
        attempt = asyncio.create_task(self._attempt())
        deleting_check = self.policy.deleting_check
        try:
            while True:
                limit = self._silence_limit(deleting_check)
                quiet = self.clock() - self.last_data
                change = asyncio.create_task(
                    self.status_source.wait_change(self.target, max(limit - quiet, 0.01))
                )
                try:
                    done, _ = await asyncio.wait({attempt, change}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if not change.done():
                        change.cancel()
                        await asyncio.wait({change})
                if attempt in done:
                    attempt.result()
                    return
                known, running = self._instance_state()
                if known and not running and not (self.previous or self.final):
                    # Stopped: a non-follow read from the resume point gets the rest losslessly.
                    return
                quiet_since = self.last_data
                limit = self._silence_limit(deleting_check)
                if self.draining or self.clock() - quiet_since < limit:
                    continue  # a slow consumer is not a stalled stream
                if not known and not self.previous:
                    # The pod is gone or the instance replaced, and the stream is silent: it is over.
                    return
                terminating = self.status_source.deleting(self.target)
                if terminating:
                    deleting_check = min(deleting_check * 2, self.policy.stall_check)
                # The probe is a request of its own, which may wait out the same fault as the
                # stream: an attempt that ends meanwhile is acted on at once (a terminating pod's
                # log is gone when its grace period ends; waiting for the probe lost its last lines).
                probe = asyncio.create_task(self._newer_lines_exist())
                racing: set[asyncio.Task[Any]] = {attempt, probe}
                try:
                    done, _ = await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if not probe.done():
                        probe.cancel()
                        await asyncio.wait({probe})
                if attempt in done:  # its outcome counts; the probe's answer is moot
                    attempt.result()
                    return
                newer = probe.result()
                if not newer:
                    continue
                if not terminating:
                    # Lines may just be in flight on the stream: give it a moment before cutting it.
                    # (Not for a terminating pod: its log may be gone by then; a resumed read
                    # skips whatever the old stream did deliver.)
                    done, _ = await asyncio.wait({attempt}, timeout=min(limit, self.policy.eof_grace))
                    if done:
                        attempt.result()
                        return
                if self.last_data == quiet_since:
                    raise errors.ConnectionLost("log stream stalled while newer lines exist")
        finally:
            if not attempt.done():
                attempt.cancel()
                await asyncio.wait({attempt})
            if not attempt.cancelled():
                # Another exit won the race with the attempt's own failure: that one is moot, but
                # it must be retrieved (else asyncio logs "Task exception was never retrieved").
                attempt.exception()

    def _silence_limit(self, deleting_check: float) -> float:
        """Seconds of silence after which the watchdog acts, from what the watch says of the pod."""
        known, _ = self._instance_state()
        if not known and not self.previous:
            # Gone: bytes still in flight are the only copy left, so let a flowing stream finish.
            return self.policy.eof_grace
        if self.status_source.deleting(self.target) and not (self.previous or self.final):
            return min(deleting_check, self.policy.stall_check)
        return self.policy.stall_check

    async def _newer_lines_exist(self) -> bool:
        """Probe with a short non-follow request whether the log has lines the stream did not deliver."""
        t = self.target
        since_time = self.resume.since_time()
        if since_time is not None:
            request = LogRequest(
                t.namespace, t.pod, t.container, follow=False, since_time=since_time, limit_bytes=256 * 1024
            )
        elif self.history == History.ALL and self.lines_seen == 0:
            request = LogRequest(t.namespace, t.pod, t.container, follow=False, limit_bytes=4096)
        else:
            return False
        skipper = self.resume.skipper()
        splitter = LineSplitter()
        try:
            async with self.cluster.stream_log(request) as chunks:
                async for chunk in chunks:
                    lines = splitter.feed(chunk)
                    if skipper is not None:
                        lines = skipper.filter(lines)
                    if any(timestamp_of(line) for line in lines):
                        return True
        except errors.PysternError:
            return False
        return False
