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
* a watchdog probes a silent stream for newer lines (a half-open connection) and cuts it
  (``watchdog.py``);
* backoff with jitter, one RETRYING notice per streak, a give-up rule for servers that
  keep refusing, while an unreachable server is waited for (``retries.py``).

The API server's view of an instance is in ``instances.py``; settings in ``policy.py``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

from pystern import errors
from pystern.model import ContainerStateName, Notice, NoticeKind, Target
from pystern.ports import Cluster, LogRequest, Sink
from pystern.tail.instances import InstanceGone, ServerView, server_view
from pystern.tail.lines import LineSplitter, ResumeMismatch, ResumePoint, cut_timestamp, timestamp_of
from pystern.tail.policy import (
    ROTATION_MISMATCHES,
    History,
    RetryPolicy,
    StatusSource,
    transient,
    waiting_error,
)
from pystern.tail.retries import RetryDecisions
from pystern.tail.watchdog import StallWatchdog
from pystern.timefmt import NS_PER_SECOND, format_rfc3339_seconds


class Tail(StallWatchdog, RetryDecisions):
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

    async def _confirm_instance(self, previous: bool) -> None:
        """Raise unless the API server shows this instance where the request read (``previous`` or not).

        Read the other way, the tail switches (``self.previous``) and raises to read again.
        """
        if not self.target.container_id:
            return  # nothing to compare with
        view = await server_view(self.cluster, self.target)
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
                    view = await server_view(self.cluster, self.target)
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
            if self.final and isinstance(error, errors.ApiError) and not transient(error):
                return None  # the stopped container's log went away with its pod: nothing more to read
            if (
                isinstance(error, errors.ApiError)
                and not waiting_error(error)
                and not self._credentials(error)
            ):
                refusals += 1
            outcome = await self._after_error(error, failures + 1, refusals)
            if outcome is not None:
                return outcome[0]
            if not (isinstance(error, errors.ApiError) and waiting_error(error)):
                failures += 1

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
