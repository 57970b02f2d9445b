"""The pod watch that feeds a ``containers.ContainerTable``: one list + watch per namespace.

``PodWatcher`` resumes from the last resourceVersion; after a 410 or a broken watch it lists
again and reconciles, so a pod deleted meanwhile ends and a new one is picked up, and no
container is tailed twice.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

from pystern import errors
from pystern.containers import ContainerTable, DiscoveryEvent
from pystern.model import EventType, Notice, NoticeKind, Pod
from pystern.ports import Cluster
from pystern.tail import RetryPolicy

OwnsCheck = Callable[[Pod], Awaitable[bool]]

QUICK_WATCH_END = 1.0
"""Seconds: a watch ending cleanly sooner than this without an event counts as a failure."""


def retry_delay(policy: RetryPolicy, failures: int, exc: errors.PysternError, rng: random.Random) -> float:
    """Seconds before the next attempt to reach a cluster's pod list after ``failures`` in a row."""
    delay = policy.delay(failures, rng)
    if isinstance(exc, errors.ApiError) and exc.retry_after:
        delay = max(delay, exc.retry_after)
    if isinstance(exc, (errors.ConnectionFailed, errors.ConnectionLost)):
        # One request polling a server that is down costs nothing, and the tails wait
        # for this watch's relist to reconnect (``ContainerTable.wake_all``).
        delay = min(delay, policy.unreachable_poll)
    return delay


class PodWatcher:
    """List + watch one namespace (``None`` = all) of one cluster, feeding a ``ContainerTable``."""

    def __init__(
        self,
        cluster: Cluster,
        namespace: str | None,
        table: ContainerTable,
        on_event: Callable[[DiscoveryEvent], None],
        on_notice: Callable[[Notice], None],
        *,
        label_selector: str = "",
        field_selector: str = "",
        owns: OwnsCheck | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.table = table
        self.on_event = on_event
        self.on_notice = on_notice
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.owns = owns
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.resource_version = ""
        self._relisted = False
        """A relist's statuses wait for the next watch to be accepted before they count as current."""
        self._owned: dict[str, bool] = {}

    async def _selected(self, pod: Pod) -> bool:
        filt = self.table.target_filter
        if not filt.pod_matches(pod):
            if self.table.explain and filt.excluded_pod(pod):
                # Only the explicit exclusion is explained: every pod the query does not name would
                # be a line of noise in a busy namespace.
                notices: list[Notice] = []
                self.table.explain_pod(pod, "its name matches --exclude-pod", notices)
                for notice in notices:
                    self.on_notice(notice)
            return False
        if self.owns is None:
            return True
        owned = self._owned.get(pod.uid)
        if owned is None:
            owned = self._owned[pod.uid] = await self.owns(pod)
        return owned

    async def _apply(self, pod: Pod, *, initial: bool) -> None:
        if not await self._selected(pod):
            return
        events, notices = self.table.observe(pod, initial=initial)
        for notice in notices:
            self.on_notice(notice)
        for event in events:
            self.on_event(event)

    def _heard(self) -> None:
        self.table.watch_heard(self.namespace)

    def _watch_open(self) -> None:
        if self._relisted:
            # The server accepted the watch from the list's resourceVersion: from now on it
            # sends every change made since the list, in order.
            self._relisted = False
            self.table.watch_current(self.namespace)

    def _forget(self, uid: str) -> None:
        self._owned.pop(uid, None)
        for event in self.table.forget(uid):
            self.on_event(event)

    async def sync(self, *, initial: bool) -> None:
        """List the pods and reconcile: new ones are observed, vanished ones forgotten.

        Errors propagate (the caller decides: abort at start-up, retry later).
        """
        listed = await self.cluster.list_pods(self.namespace, self.label_selector, self.field_selector)
        if initial:
            self.table.note_server_start(listed.server_time_ns)
        seen = set()
        for pod in listed.pods:
            seen.add(pod.uid)
            await self._apply(pod, initial=initial)
        for uid in self.table.known_uids(self.namespace) - seen:
            self._forget(uid)
        self.resource_version = listed.resource_version
        if initial:
            self.table.watch_current(self.namespace)
        else:
            # Current as of the list only: a change made before the next watch is accepted
            # (which a client-side rate limit or a 429's Retry-After can delay) comes with that
            # watch, so the statuses count as current once it is (``_watch_open``).
            self._relisted = True
            self.table.wake_all(self.namespace)

    async def watch(self, *, reported: errors.PysternError | None = None) -> None:
        """Watch from the last list for ever; relist after a 410 or a broken watch (never returns).

        ``reported``: the first list has not been made because the server did not answer at
        start-up, with this error, already reported.  The watch then begins with that list (its
        containers get the history of a start-up) and retries it quietly while the error persists.
        """
        failures = 0 if reported is None else 1
        shown = None if reported is None else errors.failure_kind(reported)
        need_list = initial = reported is not None
        self.table.watch_heard(self.namespace)  # from now on, a silence this long is suspect
        while True:
            try:
                if need_list:
                    await self.sync(initial=initial)
                    need_list = initial = False
                opened = time.monotonic()
                events = 0
                async for event in self.cluster.watch_pods(
                    self.namespace,
                    self.label_selector,
                    self.field_selector,
                    self.resource_version,
                    on_heard=self._heard,
                    on_open=self._watch_open,
                ):
                    failures, shown = 0, None
                    if not events:
                        self.table.watch_current(self.namespace)
                    events += 1
                    if event.pod.resource_version:
                        self.resource_version = event.pod.resource_version
                    if event.type is EventType.DELETED:
                        self._forget(event.pod.uid)
                    else:
                        await self._apply(event.pod, initial=False)
                # A clean end (the server's watch timeout): carry on from the last resourceVersion.
                # Until the next watch delivers an event, changes may be in flight unreported.
                self.table.watch_interrupted(self.namespace)
                if events == 0 and time.monotonic() - opened < QUICK_WATCH_END:
                    # Ended at once with nothing (an empty body, a proxy): as client-go does, count
                    # it as a failure and back off, quietly, rather than ask again at --qps pace.
                    failures += 1
                    await self.sleep(self.policy.delay(failures, self.rng))
                continue
            except errors.WatchExpired:
                need_list = True
                self.table.watch_interrupted(self.namespace)
                continue
            except errors.PysternError as exc:
                # Anything else breaks the watch; a relist makes sure nothing was missed meanwhile.
                need_list = True
                self.table.watch_interrupted(self.namespace)
                failures += 1
                delay = retry_delay(self.policy, failures, exc, self.rng)
                where = f"namespace {self.namespace}" if self.namespace else "all namespaces"
                if self.table.context:  # several clusters: say which one
                    where += f' of context "{self.table.context}"'
                if failures == 1 or errors.failure_kind(exc) != shown:
                    # One notice per streak, and another when the kind of failure changes (an unreachable
                    # server that answers 401); otherwise the watch recovers or keeps trying quietly.
                    shown = errors.failure_kind(exc)
                    self.on_notice(
                        Notice(
                            NoticeKind.RETRYING, f"watching pods in {where}: {exc}; retrying in {delay:.1f}s"
                        )
                    )
                await self.sleep(delay)
