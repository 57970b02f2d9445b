"""Pod statuses -> ``TargetAdded`` / ``TargetRemoved``: the container-ID table (no I/O).

``ContainerTable`` is stern's target.go with its quirks fixed: keyed by (namespace, pod UID,
container) rather than a joined string, it starts a tail when a container gets a log container
ID, starts a new one when the ID changes (restart), applies ``--container-state`` only at the
first sighting, and reports terminations.  It also says which history a new tail reads, and
whether the pod watch that feeds it (``discovery.PodWatcher``) may lag.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from pystern.filters import TargetFilter
from pystern.model import (
    ContainerStateName,
    ContainerStatus,
    Notice,
    NoticeKind,
    Pod,
    Target,
    Termination,
)
from pystern.tail import History
from pystern.timefmt import NS_PER_SECOND, parse_rfc3339_ns


@dataclass(frozen=True, slots=True)
class TargetAdded:
    """Start tailing this container instance; ``history`` says where its stream starts."""

    target: Target
    history: str = History.CONFIGURED


@dataclass(frozen=True, slots=True)
class TargetRemoved:
    """Stop this instance: ``cancel`` now (``--condition`` no longer matches) or let it drain (deleted)."""

    target: Target
    cancel: bool = False


DiscoveryEvent = TargetAdded | TargetRemoved


@dataclass(slots=True)
class _Entry:
    cid: str = ""
    status: ContainerStatus | None = None
    target: Target | None = None


def _termination(status: ContainerStatus) -> Termination | None:
    if status.state is ContainerStateName.TERMINATED and status.terminated is not None:
        return status.terminated
    return status.last_terminated


def _termination_key(status: ContainerStatus | None) -> str:
    term = _termination(status) if status is not None else None
    if term is None:
        return ""
    return term.container_id or f"{term.finished_at}#{term.exit_code}#{term.reason}"


def _instance_ids(pod: Pod) -> set[str]:
    """Every container instance ID the pod's statuses name (current and last terminated)."""
    ids = {status.container_id for status in pod.statuses}
    ids.update(s.last_terminated.container_id for s in pod.statuses if s.last_terminated is not None)
    ids.discard("")
    return ids


_HISTORY_WHY = {
    History.CONFIGURED: "with --tail/--since (it was running before pystern selected its pod)",
    History.ALL: "from its first line (it started after pystern did)",
    History.NONE: "new lines only (it was tailed before its pod stopped being selected)",
}

LEFT_PODS_KEPT = 4096
"""Forgotten pods whose tailed container IDs are kept (a few hundred bytes each)."""


def _started_before(pod: Pod, cutoff_ns: int) -> set[str]:
    """The pod's instance IDs whose ``startedAt`` is before ``cutoff_ns`` (epoch nanoseconds)."""
    starts = [(s.container_id, s.started_at) for s in pod.statuses]
    last = [s.last_terminated for s in pod.statuses if s.last_terminated is not None]
    starts.extend((t.container_id, t.started_at) for t in last)
    ids: set[str] = set()
    for cid, started in starts:
        if cid and started:
            try:
                if parse_rfc3339_ns(started) < cutoff_ns:
                    ids.add(cid)
            except ValueError:
                continue  # a malformed timestamp: treat the instance as new (its whole log)
    return ids


def workload_of(pod: Pod) -> str:
    """The owner group used for colours: the controller owner, else ``generateName``.

    A Deployment's ReplicaSet is named ``<deployment>-<pod-template-hash>``; its pods are grouped
    under the Deployment, so that during a rolling update the old and new ReplicaSets' pods still
    get distinct colours (the README promises that for the replicas of one workload).
    """
    for owner in pod.owners:
        if owner.controller:
            suffix = "-" + pod.labels.get("pod-template-hash", "")
            if owner.kind == "ReplicaSet" and len(suffix) > 1 and owner.name.endswith(suffix):
                return f"Deployment/{owner.name[: -len(suffix)]}"
            return f"{owner.kind}/{owner.name}"
    return pod.generate_name


@dataclass(slots=True)
class ContainerTable:
    """Container-ID bookkeeping for one cluster (shared by its namespaces' watchers)."""

    target_filter: TargetFilter
    context: str = ""
    started_ns: int = 0
    """Wall-clock epoch nanoseconds when pystern started (0: unknown).  A pod first seen later
    whose containers started before it (relabelled into ``-l``, say) gets ``--tail``/``--since``.
    The API server's clock at the first list (``note_server_start``) is used instead when known."""
    _server_start_ns: int = 0
    explain: bool = False
    """``--verbosity`` >= 1: a ``DIAGNOSTIC`` notice says why a container is not tailed (once per reason)."""
    pods: dict[str, Pod] = field(default_factory=dict)
    _entries: dict[tuple[str, str, str], _Entry] = field(default_factory=dict)
    _by_uid: dict[str, set[tuple[str, str, str]]] = field(default_factory=dict)
    _tailed: dict[str, set[str]] = field(default_factory=dict)
    """Pod UID -> container IDs tailed before (a ``--condition`` re-match reads only new lines)."""
    _passed_over: dict[str, set[str]] = field(default_factory=dict)
    """Pod UID -> container IDs that ran before pystern started or while ``--condition`` did not
    match: if tailed later, ``--tail``/``--since`` apply, and none is read as a missed instance."""
    _changed: dict[str, asyncio.Event] = field(default_factory=dict)
    quiet_watch: float = 90.0
    """Seconds without an event or a bookmark after which a watch may be half-open (``lagging``)."""
    _recovering: set[str | None] = field(default_factory=set)
    """Namespaces (None: all) whose watch ended and has not caught up yet: their statuses may lag."""
    _heard: dict[str | None, float] = field(default_factory=dict)
    """Namespace (None: all) -> when its list or watch last said something (``time.monotonic``)."""
    _left: dict[str, set[str]] = field(default_factory=dict)
    """Pod UID -> container IDs tailed before the pod was forgotten (it left the selector, or was
    deleted: then it never comes back), so a pod relabelled back in is not read again from the start."""
    _explained: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """(pod UID, kind, container) -> the skip reason last said, so that each is said once."""

    def target_for(self, pod: Pod, status: ContainerStatus, cid: str) -> Target:
        """The Target of one container instance."""
        return Target(
            namespace=pod.namespace,
            pod=pod.name,
            container=status.name,
            container_id=cid,
            kind=status.kind,
            node_name=pod.node_name,
            pod_uid=pod.uid,
            labels=pod.labels,
            annotations=pod.annotations,
            context=self.context,
            workload=workload_of(pod),
        )

    def observe(self, pod: Pod, *, initial: bool) -> tuple[list[DiscoveryEvent], list[Notice]]:
        """Record a listed or watched pod (already known to match the pod query and owner).

        ``initial`` is True for the pods of the first list: those are the containers that
        were running when pystern started, so ``--tail``/``--since`` apply to them.
        """
        first_sighting = pod.uid not in self.pods
        if first_sighting and pod.uid in self._left:
            self._tailed[pod.uid] = self._left.pop(pod.uid)
        self.pods[pod.uid] = pod
        self._signal(pod.uid)
        events: list[DiscoveryEvent] = []
        notices: list[Notice] = []
        filt = self.target_filter
        matches = filt.condition_matches(pod)
        if initial or not matches:
            # A pod that starts to match --condition later gets only new lines from instances that
            # ran before (stern's --tail=0 rule), not their whole logs.
            self._passed_over.setdefault(pod.uid, set()).update(_instance_ids(pod))
        elif first_sighting and (self.started_ns or self._server_start_ns):
            # A pod that existed at start-up but was not selected then (relabelled into -l, or
            # seen only now): its containers that were already running get the start-up window,
            # not their whole history.  Kubernetes timestamps are whole seconds, so only those
            # that started before the second pystern started in count (a later start: read all).
            cutoff = self._server_start_ns or self.started_ns // NS_PER_SECOND * NS_PER_SECOND
            earlier = _started_before(pod, cutoff)
            if earlier:
                self._passed_over.setdefault(pod.uid, set()).update(earlier)
        if not matches:
            if self.explain and filt.selection.condition is not None:
                ctype, cstatus = filt.selection.condition
                self._explain(pod, None, f"condition {ctype}={cstatus} does not hold", notices)
            for key in self._by_uid.pop(pod.uid, set()):
                entry = self._entries.pop(key)
                if entry.target is not None:
                    events.append(TargetRemoved(entry.target, cancel=True))
            return events, notices
        keys = self._by_uid.setdefault(pod.uid, set())
        if self.explain:
            self._explain(pod, None, "", notices)
            for status in pod.statuses:
                reason = filt.container_skip_reason(status)
                if reason is not None:
                    self._explain(pod, status, reason, notices)
        for status in filt.candidates(pod):
            key = (pod.namespace, pod.uid, status.name)
            cid = status.log_container_id
            found = self._entries.get(key)
            first = found is None
            if found is None:
                entry = self._entries[key] = _Entry()
                keys.add(key)
            else:
                entry = found
                term_key = _termination_key(status)
                if term_key and term_key != _termination_key(entry.status):
                    notices.append(self._terminated_notice(pod, status, entry))
            previous = entry.cid
            entry.cid, entry.status = cid, status
            if not cid:
                if self.explain:
                    why = f" ({status.waiting_reason})" if status.waiting_reason else ""
                    self._explain(pod, status, f"not started yet: {status.state.value}{why}", notices)
                continue
            if not first and cid == previous:
                continue
            # stern's rule: --container-state filters only the first sighting; a later new ID
            # (a restart, or a new pod whose containers had no ID yet) is tailed whatever its state.
            if first and not filt.state_matches(status):
                if self.explain:
                    self._explain(pod, status, filt.state_skip_reason(status), notices)
                continue
            if self.explain:
                self._explain(pod, status, "", notices)
            tailed = self._tailed.setdefault(pod.uid, set())
            if cid in tailed:
                if not first:
                    continue  # an instance already tailed, seen again after a status without an ID
                # Tailed before --condition stopped matching: read only what comes from now on.
                history = History.NONE
            elif initial or cid in self._passed_over.get(pod.uid, ()):
                history = History.CONFIGURED
            else:
                history = History.ALL
            if history == History.ALL:
                events.extend(self._missed_instance(pod, status, tailed))
            tailed.add(cid)
            entry.target = self.target_for(pod, status, cid)
            events.append(TargetAdded(entry.target, history))
            if self.explain and not initial:
                # At start-up every container gets --tail/--since; later the choice needs saying.
                text = f"{pod.namespace}/{pod.name} › {status.name}: reading {_HISTORY_WHY[history]}"
                notices.append(Notice(NoticeKind.DIAGNOSTIC, text))
        return events, notices

    def note_server_start(self, server_time_ns: int) -> None:
        """The API server's clock at a first list: what "running before start-up" is measured by.

        Container ``startedAt`` comes from the cluster's clock, so comparing it with the server's
        own clock is immune to skew between this machine and the cluster.
        """
        if server_time_ns and (not self._server_start_ns or server_time_ns < self._server_start_ns):
            self._server_start_ns = server_time_ns

    def _explain(self, pod: Pod, status: ContainerStatus | None, reason: str, notices: list[Notice]) -> None:
        """Say why a container (``status``) or a whole pod (None) is not tailed, once per reason.

        An empty ``reason`` means it is tailed (or the pod matches) now: a later skip is said again.
        """
        key = (pod.uid, status.kind.value, status.name) if status is not None else (pod.uid, "", "")
        if self._explained.get(key, "") == reason:
            return
        if not reason:
            del self._explained[key]
            return
        self._explained[key] = reason
        where = f"{pod.namespace}/{pod.name}" + (f" › {status.name}" if status is not None else "")
        notices.append(Notice(NoticeKind.DIAGNOSTIC, f"{where}: not tailed: {reason}"))

    def explain_pod(self, pod: Pod, reason: str, notices: list[Notice]) -> None:
        """``_explain`` for a pod that is not observed at all (``--exclude-pod``)."""
        self._explain(pod, None, reason, notices)

    def _missed_instance(self, pod: Pod, status: ContainerStatus, tailed: set[str]) -> list[DiscoveryEvent]:
        """The replaced instance of a container whose restart happened out of sight.

        A watch shows each container ID in turn, but a relist (after an outage or a 410) or
        two restarts between status updates can skip one: the instance that ran before the
        one now seen has lines no tail read.  The log API keeps exactly one previous instance.
        """
        last = status.last_terminated
        if last is None or not last.container_id or last.container_id in tailed:
            return []
        if last.container_id in self._passed_over.get(pod.uid, ()):
            return []  # not missed: it ran before pystern started or while the pod did not match
        if last.container_id == status.log_container_id:
            return []  # the current log is that instance (waiting to restart): tailed as current
        tailed.add(last.container_id)
        return [TargetAdded(self.target_for(pod, status, last.container_id), History.PREVIOUS)]

    def _terminated_notice(self, pod: Pod, status: ContainerStatus, entry: _Entry) -> Notice:
        term = _termination(status)
        assert term is not None
        reason = term.reason or ("Completed" if term.exit_code == 0 else "Error")
        text = f"terminated: {reason} (exit {term.exit_code}), restart {status.restart_count}"
        target = entry.target or self.target_for(pod, status, term.container_id)
        extra = {
            "reason": reason,
            "exit_code": str(term.exit_code),
            "restart_count": str(status.restart_count),
        }
        return Notice(NoticeKind.TERMINATED, text, target, extra)

    def forget(self, uid: str) -> list[DiscoveryEvent]:
        """The pod is gone (deleted, or no longer selected): its tails end once their streams drain."""
        self.pods.pop(uid, None)
        tailed = self._tailed.pop(uid, None)
        if tailed:
            if len(self._left) >= LEFT_PODS_KEPT:
                del self._left[next(iter(self._left))]  # the oldest: almost surely deleted for good
            self._left[uid] = tailed
        self._passed_over.pop(uid, None)
        for key in [k for k in self._explained if k[0] == uid]:
            del self._explained[key]
        self._signal(uid)
        events: list[DiscoveryEvent] = []
        for key in self._by_uid.pop(uid, set()):
            entry = self._entries.pop(key)
            if entry.target is not None:
                events.append(TargetRemoved(entry.target))
        return events

    def known_uids(self, namespace: str | None) -> set[str]:
        """UIDs of the recorded pods (of one namespace, or all with ``None``)."""
        return {uid for uid, pod in self.pods.items() if namespace is None or pod.namespace == namespace}

    # -- StatusSource for tails
    def status(self, target: Target) -> ContainerStatus | None:
        """The latest status of the target's container; None when its pod is gone."""
        pod = self.pods.get(target.pod_uid)
        return None if pod is None else pod.status_of(target.container, target.kind)

    def deleting(self, target: Target) -> bool:
        """The target's pod is terminating (it has a deletion timestamp)."""
        pod = self.pods.get(target.pod_uid)
        return pod is not None and pod.deleting

    def lagging(self, target: Target) -> bool:
        """The target's pod status may be stale: its watch ended and has not caught up (no event,
        no relist), or it has been silent longer than ``quiet_watch`` (maybe half-open)."""
        recovering = self._recovering
        if recovering and (None in recovering or target.namespace in recovering):
            return True
        return self._quiet(None) or self._quiet(target.namespace)

    def _quiet(self, namespace: str | None) -> bool:
        heard = self._heard.get(namespace)
        return heard is not None and time.monotonic() - heard > self.quiet_watch

    def watch_interrupted(self, namespace: str | None) -> None:
        """The watch of ``namespace`` (None: all) ended or broke: its pods' statuses may lag."""
        self._recovering.add(namespace)

    def watch_current(self, namespace: str | None) -> None:
        """A list, or an event of a new watch, of ``namespace`` (None: all): its statuses are current."""
        self._recovering.discard(namespace)
        if namespace in self._heard:  # only a watch counts silence: a --no-follow list is not one
            self.watch_heard(namespace)

    def watch_heard(self, namespace: str | None) -> None:
        """The watch of ``namespace`` (None: all) sent an event or a bookmark: it is alive."""
        self._heard[namespace] = time.monotonic()

    async def wait_change(self, target: Target, within: float) -> None:
        """Wait until the target's pod changes, at most ``within`` seconds."""
        if target.pod_uid not in self.pods:
            # Gone: nothing will signal it, and an event kept for it would never be released.
            await asyncio.sleep(within)
            return
        event = self._changed.setdefault(target.pod_uid, asyncio.Event())
        try:
            async with asyncio.timeout(within):
                await event.wait()
        except TimeoutError:
            pass

    def wake_all(self, namespace: str | None) -> None:
        """A relist refreshed every pod (of one namespace, or all): wake whoever waits on one.

        Tails backing off from an unreachable server wait here, so they reconnect as soon as
        the pod watch reaches the server again rather than at their own (up to 30 s) pace.
        """
        for uid in self.known_uids(namespace):
            self._signal(uid)

    def _signal(self, uid: str) -> None:
        event = self._changed.pop(uid, None)
        if event is not None:
            event.set()
