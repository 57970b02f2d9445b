"""What a tail does after a failed attempt: wait, switch to the previous log, or give up.

``RetryDecisions`` is a base class of ``Tail`` (``stream.py``), which provides the state and
helpers it declares.  The rules: unreachable servers and refused credentials are waited out
(the pod watch's relist wakes the tail), error answers back off with jitter and count towards
giving up, "not ready yet" answers wait for the pod to change, and a container found replaced
while its stream was broken is read to its end as the previous instance.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

from pystern import errors
from pystern.model import NoticeKind, Target
from pystern.tail.policy import NO_FOLLOW_RETRIES, RetryPolicy, StatusSource, transient, waiting_error


class RetryDecisions:
    """``_after_error``, ``_settle`` and ``_credentials`` of a ``Tail``."""

    target: Target
    status_source: StatusSource
    policy: RetryPolicy
    follow: bool
    previous: bool
    not_ready: int
    streak_kind: str
    rng: random.Random
    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]

    def _notice(self, kind: NoticeKind, text: str = "") -> None:
        """Provided by ``Tail``."""
        raise NotImplementedError

    def _instance_state(self) -> tuple[bool, bool]:
        """Provided by ``Tail``."""
        raise NotImplementedError

    def _emit_partial(self) -> None:
        """Provided by ``Tail``."""
        raise NotImplementedError

    async def _after_error(
        self, error: errors.PysternError, attempt: int, refusals: int
    ) -> tuple[errors.PysternError | None] | None:
        """Decide after a failed attempt: a 1-tuple with the final result, or None to retry."""
        t = self.target
        if isinstance(error, errors.ApiError) and not transient(error):
            if waiting_error(error):
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
            if attempt > NO_FOLLOW_RETRIES or not transient(error):
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
