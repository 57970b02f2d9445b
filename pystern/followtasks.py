"""Follow mode's per-target tasks: started, queued under ``--max-log-requests``, cancelled.

One task per container instance, never two for the same one (a relist or a relabel sees it
again).  Beyond ``--max-log-requests`` new targets wait in a queue, with one notice saying
how many and how to raise the limit; they start as others end.  A target stopped by
``--condition`` prints "-" and hands its slot on.  :func:`pystern.run.run` owns the task group
and feeds this the discovery events.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from pystern.containers import ContainerTable, DiscoveryEvent, TargetAdded
from pystern.model import Notice, NoticeKind, Target
from pystern.options import Config
from pystern.ports import Cluster, Sink
from pystern.tail import RetryPolicy, Tail

__all__ = ["FollowSupervisor"]

InstanceKey = tuple[str, str, str, str, str]


def _instance(target: Target) -> InstanceKey:
    return (target.context, target.namespace, target.pod_uid, target.container, target.container_id)


class FollowSupervisor:
    """Starts, queues and cancels the per-target tasks of follow mode."""

    def __init__(
        self,
        tg: asyncio.TaskGroup,
        config: Config,
        sink: Sink,
        policy: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
    ) -> None:
        self.tg = tg
        self.config = config
        self.sink = sink
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        self.limit = config.follow.max_log_requests
        self.running: dict[InstanceKey, asyncio.Task[None]] = {}
        self.queue: dict[InstanceKey, tuple[Cluster, ContainerTable, TargetAdded]] = {}
        self.cancelling: set[InstanceKey] = set()
        self.added = 0
        """Targets seen so far (started or queued)."""
        self._reported_waiting = 0
        self._report_scheduled = False

    def handle(self, cluster: Cluster, table: ContainerTable, event: DiscoveryEvent) -> None:
        """React to one discovery event."""
        key = _instance(event.target)
        if isinstance(event, TargetAdded):
            if key in self.running or key in self.queue:
                return  # the same instance seen again (relist, relabel): never tail it twice
            self.added += 1
            if self.limit and len(self.running) >= self.limit:
                self.queue[key] = (cluster, table, event)
                self._schedule_report()
            else:
                self._start(key, cluster, table, event)
            return
        if key in self.queue:
            del self.queue[key]
        elif event.cancel and key in self.running:
            self.cancelling.add(key)
            self.running[key].cancel()

    def _start(self, key: InstanceKey, cluster: Cluster, table: ContainerTable, added: TargetAdded) -> None:
        follow = self.config.follow
        tail = Tail(
            cluster,
            added.target,
            self.sink,
            table,
            follow=True,
            since_seconds=follow.since_seconds,
            tail_lines=follow.tail_lines,
            history=added.history,
            policy=self.policy,
            sleep=self.sleep,
            clock=self.clock,
        )
        self.running[key] = self.tg.create_task(self._supervise(key, tail))

    async def _supervise(self, key: InstanceKey, tail: Tail) -> None:
        try:
            await tail.run()
        except asyncio.CancelledError:
            self.running.pop(key, None)
            if key in self.cancelling:
                # Stopped by --condition: print "-" and hand the slot on; a run-wide cancel does neither.
                self.cancelling.discard(key)
                self.sink.notice(Notice(NoticeKind.STOPPED, "", tail.target))
                with contextlib.suppress(RuntimeError):  # the whole run is being cancelled too
                    self._fill()
            raise
        self.running.pop(key, None)
        self._fill()

    def _fill(self) -> None:
        while self.queue and (not self.limit or len(self.running) < self.limit):
            key = next(iter(self.queue))
            cluster, table, added = self.queue.pop(key)
            self._start(key, cluster, table, added)
        if not self.queue:
            self._reported_waiting = 0  # a later queue gets its own notice

    def _schedule_report(self) -> None:
        if not self._report_scheduled:
            # Coalesce a burst of new targets (start-up, a scale-up) into one notice.
            self._report_scheduled = True
            asyncio.get_running_loop().call_soon(self._report_waiting)

    def _report_waiting(self) -> None:
        self._report_scheduled = False
        waiting = len(self.queue)
        if waiting <= self._reported_waiting:
            return
        self._reported_waiting = waiting
        self.sink.notice(
            Notice(
                NoticeKind.WAITING,
                f"{waiting} container(s) waiting: --max-log-requests={self.limit} streams are open; "
                "they start as others end (raise --max-log-requests, 0 = no limit)",
                extra={"waiting": str(waiting), "limit": str(self.limit)},
            )
        )
