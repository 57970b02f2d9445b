"""One container instance's log stream: read, resume, reconnect, and know when it is over.

Lossless follow is the point.  Every request carries ``timestamps=true`` and the
``ResumePoint`` (``lines.py``) makes a resumed request skip exactly what was printed.
Beyond stern:

* a clean EOF while the pod status says the same container still runs is resumed (the
  kubelet's 4 h write timeout and proxies end streams that way; stern's #361);
* when a container stops, one last non-follow read picks up what the stream missed;
* the log endpoint cannot name a container instance, so a reconnect racing a restart
  could read the *new* instance: the tail waits briefly for the watch before reconnecting,
  verifies that a resumed stream contains the last line printed (or, having printed
  nothing, asks the API server which instance runs), stops a follow stream as soon as
  the watch reports a restart, and reads the rest with ``previous=true``;
* a watchdog probes a silent stream for newer lines (a half-open connection) and cuts it;
* backoff with jitter, one RETRYING notice per streak, a give-up rule for servers that
  keep refusing, while an unreachable server is waited for.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pystern import errors
from pystern.model import ContainerStateName, ContainerStatus, Notice, NoticeKind, Target
from pystern.ports import Cluster, LogRequest, Sink
from pystern.tail.lines import LineSplitter, ResumeMismatch, ResumePoint, cut_timestamp, timestamp_of
from pystern.timefmt import NS_PER_SECOND, format_rfc3339_seconds

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


def _waiting_error(exc: errors.ApiError) -> bool:
    """Errors that mean "not ready yet": wait for the pod to change instead of hammering."""
    text = exc.message or str(exc)
    if exc.status == 404 and "pods/log" in text:
        return True  # the kubelet does not know the pod yet
    return exc.status == 400 and ("waiting to start" in text or "is not available" in text)


class InstanceGone(errors.ConnectionLost):
    """The API server shows neither this instance nor it as the container's previous one: its log is gone."""


class ServerView:
    """What the API server says of a tail's container instance (plain string constants)."""

    SAME = "same"
    """The kubelet serves this instance's log to a normal request."""
    PREVIOUS = "previous"
    """Replaced once: this instance's log is the container's previous log."""
    GONE = "gone"
    """Replaced more than once, or the pod was recreated under its name: this instance's log is gone."""
    DELETED = "deleted"
    """No pod of that name any more: the server cannot say which instance a stream opened before served."""
    UNKNOWN = "unknown"
    """The server could not be asked (it may be restarting)."""


def _transient(exc: errors.PysternError) -> bool:
    if isinstance(exc, errors.ApiError):
        return exc.status in (401, 408, 429) or exc.status >= 500
    return isinstance(exc, (errors.ConnectionLost, errors.ConnectionFailed))


class Tail:
    """Streams one container instance to the sink until it ends, resuming across failures."""

    def __init__(
        self,
        cluster: Cluster,
        target: Target,
        sink: Sink,
        status: StatusSource,
        *,
        follow: bool = True,
        since_seconds: float | None = None,
        tail_lines: int = -1,
        history: str = History.CONFIGURED,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.cluster = cluster
        self.target = target
        self.sink = sink
        self.status_source = status
        self.follow = follow
        self.since_seconds = since_seconds
        self.tail_lines = tail_lines
        self.history = history
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.resume = ResumePoint()
        self.splitter = LineSplitter()
        self.lines_seen = 0
        self.last_emitted = b""
        self.last_data = 0.0
        self.previous = history == History.PREVIOUS
        """Read the previous instance: the stream broke after the container restarted, or the
        instance had been replaced before it was first seen."""
        self.final = False
        """The container has stopped: one last non-follow read picks up what the stream missed."""
        self.draining = False
        """Busy with lines in hand (waiting for stdout, or for the server to confirm the instance):
        the stream's silence meanwhile is not a stall."""
        self.mismatches = 0
        self.attempts = 0
        """Streams opened so far: every one after the first is a reconnect."""
        self.began_at: float | None = None
        """Wall-clock time of the first request: the anchor of the configured history window."""
        self.not_ready = 0
        """Consecutive "not ready yet" answers (kubelet 404, waiting to start): paces the re-asks."""
        self.streak_kind = ""
        """``errors.failure_kind`` of the last retry notice: a streak gets a new one when it changes."""

    def request(self) -> LogRequest:
        """The next request: resumed from the resume point, else from the configured history."""
        t = self.target
        since_time = self.resume.since_time() or self._window_since_time()
        if self.previous:
            return LogRequest(
                t.namespace, t.pod, t.container, follow=False, since_time=since_time, previous=True
            )
        follow = self.follow and not self.final
        if since_time is not None:
            return LogRequest(t.namespace, t.pod, t.container, follow=follow, since_time=since_time)
        if self.history == History.ALL:
            return LogRequest(t.namespace, t.pod, t.container, follow=follow)
        if self.history == History.NONE:
            return LogRequest(t.namespace, t.pod, t.container, follow=follow, tail_lines=0)
        since = None
        if self.since_seconds is not None and self.since_seconds > 0:
            since = max(1, int(self.since_seconds))
        tail = self.tail_lines if self.tail_lines >= 0 else None
        return LogRequest(
            t.namespace, t.pod, t.container, follow=follow, since_seconds=since, tail_lines=tail
        )

    def _window_since_time(self) -> str | None:
        """A tail that printed nothing yet, after its first request: its history window as ``sinceTime``.

        With no resume point, asking again with ``tailLines``/``sinceSeconds`` would move the
        window, and a replaced instance's log read whole (``previous``) would print the lines
        ``--tail 0`` or ``--since`` hid.  Anchored where the tail began, to the second (the
        kubelet's granularity).
        """
        if self.began_at is None or self.history not in (History.CONFIGURED, History.NONE):
            return None
        start = self.began_at
        if self.history == History.CONFIGURED and self.tail_lines != 0:
            if self.since_seconds is None or self.since_seconds <= 0:
                return None  # the whole log was asked for
            start -= self.since_seconds
        return format_rfc3339_seconds(int(start * NS_PER_SECOND))

    async def _attempt(self) -> None:
        self.draining = False  # a cancelled attempt may have stopped inside ``drain()``
        self.attempts += 1
        last = self.last_emitted
        # After three mismatches with the same instance still running, the log was rotated
        # under us (the kubelet keeps only the current file): accept what it serves.
        verify = self.mismatches < ROTATION_MISMATCHES
        skipper = self.resume.skipper(b"" if timestamp_of(last) else last, verify=verify)
        self.splitter.reset()
        emit, update, sink, splitter = self.sink.emit, self.resume.update, self.sink, self.splitter
        clock = self.clock
        request = self.request()
        if self.began_at is None:
            self.began_at = time.time()
        # A follow stream opened just as the container restarted may serve the new instance
        # (the endpoint cannot name one): stop as soon as the watch says ours was replaced.
        watch_instance = request.follow and not request.previous
        # A tail that printed nothing has no last line to verify a stream against.  Its first
        # stream is checked by the watch (below), but a re-read of the current log (a reconnect,
        # the last read of a stopped container) may follow a restart the watch has not
        # reported, and so may any read while the watch is recovering: then the API server is
        # asked which instance the stream serves before anything is printed.  Asked once the
        # stream has served lines, its answer holds for the moment the stream was opened.  So is
        # a read of the previous log: ours was replaced when it was sent, but the container may
        # have restarted again before the server answered, and then it serves the next instance.
        unverifiable = not self.resume.ts
        uncertain = self.attempts > 1 or request.previous
        async with self.cluster.stream_log(request) as chunks:
            async for chunk in chunks:
                self.last_data = clock()
                lines = splitter.feed(chunk)
                if skipper is not None and not skipper.done:
                    lines = skipper.filter(lines)
                if lines:
                    if unverifiable and (uncertain or self.status_source.lagging(self.target)):
                        # Busy, not silent: a slow answer (a 429's Retry-After) must not make the
                        # watchdog cut the stream and drop the lines in hand.
                        self.draining = True
                        await self._confirm_instance(request.previous)
                        self.draining = False
                    unverifiable = False
                    if watch_instance and self._replaced():
                        raise errors.ConnectionLost(
                            "the container restarted; reading the rest of the old instance"
                        )
                    emit(self.target, lines)
                    update(lines)
                    self.lines_seen += len(lines)
                    self.last_emitted = lines[-1]
                    # Backpressure: a slow stdout must slow the connection, not grow a buffer.
                    self.draining = True
                    await sink.drain()
                    self.draining = False
                    self.last_data = clock()

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

    async def _confirm_instance(self, previous: bool) -> None:
        """Raise unless the API server shows this instance where the request read (``previous`` or not).

        Read the other way, the tail switches (``self.previous``) and raises to read again.
        """
        if not self.target.container_id:
            return  # nothing to compare with
        view = await self._server_view()
        if view == (ServerView.PREVIOUS if previous else ServerView.SAME):
            return
        if view == ServerView.UNKNOWN:
            if previous and not self._superseded(previous):
                return  # the watch said ours was replaced, and not since: its word has to do
            raise errors.ConnectionLost("cannot ask the API server which instance the stream serves")
        if view == ServerView.DELETED and not self._superseded(previous):
            # The pod was deleted after the stream opened (it served lines).  Unless the watch saw
            # a later instance, whose own tail reads it, the stream served ours; and nobody can
            # read those lines any more, so dropping them would lose them.
            return
        if view in (ServerView.GONE, ServerView.DELETED):
            raise InstanceGone("the container instance was replaced and its log is gone")
        self.previous = view == ServerView.PREVIOUS
        if self.previous:
            raise errors.ConnectionLost("the container restarted; reading the rest of the old instance")
        raise errors.ConnectionLost("the instance still serves the container's log; reading it again")

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

    def _emit_partial(self) -> None:
        rest = self.splitter.finish()
        if rest is not None and not timestamp_of(rest) and cut_timestamp(rest):
            return  # only a piece of the timestamp prefix arrived: the record's text never did
        self._emit_rest(rest)

    def _emit_rest(self, rest: bytes | None) -> None:
        if rest is not None and rest != self.last_emitted:
            self.sink.emit(self.target, [rest])
            self.resume.update([rest])
            self.lines_seen += 1
            self.last_emitted = rest

    def _notice(self, kind: NoticeKind, text: str = "") -> None:
        self.sink.notice(Notice(kind, text, self.target))

    def _replaced(self) -> bool:
        """The pod is known and serves another instance of the container now."""
        st = self.status_source.status(self.target)
        return (
            st is not None and bool(st.log_container_id) and st.log_container_id != self.target.container_id
        )

    def _superseded(self, previous: bool) -> bool:
        """The watch saw a later instance than the one a ``previous`` (or current) read serves."""
        if not previous:
            return self._replaced()
        st = self.status_source.status(self.target)
        last = st.last_terminated if st is not None else None
        return last is not None and last.container_id != self.target.container_id

    def _instance_state(self) -> tuple[bool, bool]:
        """(same instance still known, same instance running) from the latest pod status."""
        st = self.status_source.status(self.target)
        if st is None or st.log_container_id != self.target.container_id:
            return False, False
        return True, st.state is ContainerStateName.RUNNING

    async def run(self) -> errors.PysternError | None:
        """Stream until the container's log ends for good.

        Returns None when it ended normally, else the error that ended it (a --no-follow
        failure, a give-up, a 403).  ``+`` is printed at the start and ``-`` at the end;
        cancellation prints nothing and propagates.
        """
        self._notice(NoticeKind.STARTED)
        result = await self._loop()
        self._notice(NoticeKind.STOPPED)
        return result

    async def _loop(self) -> errors.PysternError | None:
        failures = 0
        refusals = 0  # consecutive error answers from the server (what the give-up rule counts)
        while True:
            before = self.lines_seen
            started = self.clock()
            error: errors.PysternError | None = None
            try:
                await self._guarded_attempt()
            except errors.PysternError as exc:
                error = exc
            if self.lines_seen > before or self.clock() - started >= self.policy.healthy_after:
                failures = refusals = self.not_ready = 0
            if self.lines_seen > before:
                # "Three mismatches" means three in a row: a stream that printed lines ends the
                # streak, so a tail that once accepted a rotated log still verifies later resumes.
                self.mismatches = 0
            if error is None:
                if not self.follow or self.previous or self.final:
                    self._emit_partial()
                    return None
                # The status may lag the stream's end: give the watch a moment to say so.
                await self._settle()
                running = self._instance_state()[1]
                if not running:
                    if self._read_rest_after_stop():
                        continue
                    self._emit_partial()
                    return None
                rest = self.splitter.finish()
                if rest is not None and not timestamp_of(rest) and not cut_timestamp(rest):
                    # Kubelet error text ends the stream without a newline; a cut record is re-read.
                    self._emit_rest(rest)
                failures += 1
                if failures == 1:
                    self._notice(NoticeKind.RETRYING, "log stream ended while the container runs; resuming")
                if failures > 1:
                    await self.sleep(self.policy.delay(failures - 1, self.rng))
                continue
            if isinstance(error, ResumeMismatch):
                self.mismatches += 1
                if self.mismatches >= ROTATION_MISMATCHES:
                    if self.previous:
                        # Not even the previous instance's log continues ours: ours is older
                        # still (two restarts), and its log is gone.  (A dead container's log
                        # is not rotated.)
                        self._emit_partial()
                        return None
                    # The same evidence (a resumed stream without the last line printed) is
                    # what a restart looks like: ask the API server itself, not the watch,
                    # which may lag, before accepting the stream as a rotated log.
                    view = await self._server_view()
                    if view in (ServerView.PREVIOUS, ServerView.GONE, ServerView.DELETED):
                        # Not a rotation: the instance was replaced and the watch has not said so.
                        self.previous = True
                        self.mismatches = 0
                    elif view == ServerView.UNKNOWN:
                        # The server could not be asked (it may be restarting): accept nothing
                        # unverified yet; the next resume is checked, and the server asked, again.
                        # (Accepting then lost an old instance's last lines and printed a new
                        # instance's twice while the API server restarted.)
                        self.mismatches = ROTATION_MISMATCHES - 1
            if isinstance(error, InstanceGone):
                self._emit_partial()
                return None
            if self.final and isinstance(error, errors.ApiError) and not _transient(error):
                return None  # the stopped container's log went away with its pod: nothing more to read
            if (
                isinstance(error, errors.ApiError)
                and not _waiting_error(error)
                and not self._credentials(error)
            ):
                refusals += 1
            outcome = await self._after_error(error, failures + 1, refusals)
            if outcome is not None:
                return outcome[0]
            if not (isinstance(error, errors.ApiError) and _waiting_error(error)):
                failures += 1

    async def _server_view(self) -> str:
        """What the API server says of this container instance now (a :class:`ServerView`)."""
        t = self.target
        if not t.container_id:
            return ServerView.SAME  # nothing to compare with
        try:
            listed = await self.cluster.list_pods(t.namespace, "", f"metadata.name={t.pod}")
        except errors.PysternError:
            return ServerView.UNKNOWN
        for pod in listed.pods:
            st = pod.status_of(t.container, t.kind) if pod.uid == t.pod_uid else None
            if st is None:
                continue
            if st.log_container_id == t.container_id:
                return ServerView.SAME
            last = st.last_terminated
            if last is not None and last.container_id == t.container_id:
                return ServerView.PREVIOUS
            return ServerView.GONE
        if listed.pods:
            return ServerView.GONE  # recreated under the same name: what a stream serves is not ours
        return ServerView.DELETED

    def _read_rest_after_stop(self) -> bool:
        """After a clean end, the container has stopped: read once more, without following?

        The end may have been a proxy's or the kubelet's rather than the container's (the
        status only says it stopped since).  A last non-follow read from the resume point
        picks up lines the stream missed; the skipper drops the rest.  A deleted pod's log
        is gone, so nothing is tried for it.
        """
        known, _ = self._instance_state()
        if known:
            self.final = True
            return True
        st = self.status_source.status(self.target)
        last = st.last_terminated if st is not None else None
        if last is not None and last.container_id == self.target.container_id:
            self.previous = True
            return True
        return False

    async def _after_error(
        self, error: errors.PysternError, attempt: int, refusals: int
    ) -> tuple[errors.PysternError | None] | None:
        """Decide after a failed attempt: a 1-tuple with the final result, or None to retry."""
        t = self.target
        if isinstance(error, errors.ApiError) and not _transient(error):
            if _waiting_error(error):
                if not self.follow:
                    return (error,)
                known, _ = self._instance_state()
                if not known:
                    return (None,)
                # A pod change (the container starting) wakes this at once; a running pod whose
                # kubelet does not know it yet (404 pods/log) changes no more, so ask again with
                # backoff instead of waiting the maximum.
                self.not_ready += 1
                await self.status_source.wait_change(t, self.policy.delay(self.not_ready, self.rng))
                return None
            if error.status == 404:
                # A stream that broke (or was never opened) cannot be read again: lines written
                # since the last one shown may have gone with the pod, so say so.
                self._notice(
                    NoticeKind.WARNING,
                    f"pod {t.namespace}/{t.pod} was deleted before its log was read to the end",
                )
                return (None if self.follow else error,)
            if error.status == 403:
                self._notice(NoticeKind.ERROR, f"forbidden: pods/log {t.namespace}/{t.pod}: {error}")
                return (error,)
            if self.follow:
                self._notice(NoticeKind.GAVE_UP, f"{error}")
            return (error,)
        waited = 0.0
        if not self.follow:
            if attempt > NO_FOLLOW_RETRIES or not _transient(error):
                return (error,)
        else:
            # A terminating pod's containers are not restarted (nothing to settle), and its log
            # is gone when the grace period ends: reconnect without waiting for the watch.
            waited = 0.0 if self.previous or self.status_source.deleting(t) else await self._settle()
            known, _ = self._instance_state()
            if not known and not self.previous:
                st = self.status_source.status(t)
                last = st.last_terminated if st is not None else None
                if last is None or last.container_id != t.container_id:
                    # Pod deleted or the instance is older than the previous one: its log is gone.
                    self._emit_partial()
                    return (None,)
                # The container restarted while our stream was broken: read the rest as "previous".
                self.previous = True
            # Unreachable servers are waited for (the pod is still there as far as we know);
            # a server that keeps answering with errors is given up on.
            if refusals >= self.policy.give_up_after:
                self._notice(NoticeKind.GAVE_UP, f"giving up after {refusals} failed attempts: {error}")
                return (error,)
            if self.previous and refusals == 0:
                return None  # the previous instance's log is there to read now
        delay = self.policy.delay(attempt, self.rng)
        if isinstance(error, errors.ApiError) and error.retry_after:
            delay = max(delay, error.retry_after)
        kind = errors.failure_kind(error)
        if attempt == 1 or kind != self.streak_kind:
            # One notice per streak of failures, and another when its kind changes (a token that
            # expired while the server was failing: the 401 is what the user must act on); the
            # give-up (if it comes) says the rest.
            self.streak_kind = kind
            self._notice(NoticeKind.RETRYING, f"{error}; retrying in {delay:.1f}s")
        if delay > waited:
            if self.follow and kind in ("unreachable", "401"):
                # The server is unreachable, or refuses our credentials for now: the pod watch
                # keeps trying, and its relist (or any change of this pod) wakes us as soon as it
                # gets through; a pod terminating meanwhile may not wait for our own backoff.
                await self.status_source.wait_change(t, delay - waited)
            else:
                await self.sleep(delay - waited)
        return None

    def _credentials(self, error: errors.PysternError) -> bool:
        """Following, a 401 is waited out rather than counted towards giving up: credentials are
        renewed outside pystern (an exec plugin, a rotated token file, a new login), and a tail
        that gave up would stay silent once they work again."""
        return self.follow and errors.failure_kind(error) == "401"

    async def _settle(self) -> float:
        """Before reconnecting: wait up to ``eof_grace`` for the watch to report this container stopping.

        The log endpoint cannot be asked for one container instance: a reconnect after a
        restart that the watch has not reported yet would read the *new* instance.  Returns
        the seconds waited.
        """
        started = self.clock()
        deadline = started + self.policy.eof_grace
        while self._instance_state() == (True, True):
            remaining = deadline - self.clock()
            if remaining <= 0:
                break
            await self.status_source.wait_change(self.target, remaining)
        return self.clock() - started
