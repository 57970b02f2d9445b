"""In-memory object store with resourceVersions, a bounded event history and watch fan-out.

Objects are kept as JSON-ready dicts *without* ``kind``/``apiVersion`` (list items omit
them; watch events add them).  Every change gets the next integer resourceVersion, is
appended to the history (so ``watch&resourceVersion=N`` can replay what came after N)
and is pushed synchronously to every open watcher's queue.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str, str]
"""(resource, namespace, name); namespace is "" for cluster-scoped objects."""


@dataclass(frozen=True, slots=True)
class Change:
    """One stored change: ``old`` is None for ADDED, ``new`` is None for DELETED."""

    rv: int
    resource: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    @property
    def obj(self) -> dict[str, Any]:
        """The object as the event carries it (the last state for a deletion)."""
        found = self.new if self.new is not None else self.old
        assert found is not None
        return found


@dataclass(eq=False)
class Watcher:
    """One open watch: a queue of changes, raw bytes to send as they are (fault injection), or
    the signals ``"expire"`` (send 410 and close), ``"close"`` (clean end) and ``"reset"`` (abrupt end).
    """

    resource: str
    queue: asyncio.Queue[Change | str | bytes] = field(default_factory=asyncio.Queue)


class Store:
    """All objects of the simulated cluster, by resource."""

    def __init__(self, history: int = 10_000) -> None:
        self.rv = 1
        self.min_rv = 1
        """Watches from an RV below this get 410 Expired."""
        self._objects: dict[Key, dict[str, Any]] = {}
        self._history: collections.deque[Change] = collections.deque(maxlen=history)
        self._watchers: set[Watcher] = set()

    # ---------------------------------------------------------------- reads
    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        """One object or None."""
        return self._objects.get((resource, namespace, name))

    def items(self, resource: str, namespace: str = "") -> list[dict[str, Any]]:
        """Objects of a resource, in one namespace or all ("" = all), sorted by namespace/name."""
        found = [
            (key, obj)
            for key, obj in self._objects.items()
            if key[0] == resource and (not namespace or key[1] == namespace)
        ]
        found.sort(key=lambda pair: pair[0])
        return [obj for _, obj in found]

    def since(self, rv: int) -> Iterator[Change]:
        """Stored changes after ``rv`` (the caller checked ``rv >= min_rv``)."""
        for change in self._history:
            if change.rv > rv:
                yield change

    # ---------------------------------------------------------------- writes
    def next_rv(self) -> int:
        """Allocate the next resourceVersion."""
        self.rv += 1
        return self.rv

    def put(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create or replace an object; stamps ``metadata.resourceVersion``; notifies watchers."""
        meta = obj["metadata"]
        key = (resource, meta.get("namespace", ""), meta["name"])
        rv = self.next_rv()
        meta["resourceVersion"] = str(rv)
        old = self._objects.get(key)
        self._objects[key] = obj
        self._publish(Change(rv, resource, old, obj))
        return obj

    def delete(
        self, resource: str, namespace: str, name: str, final: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Remove an object; the DELETED event carries its last state (or ``final``) with a new RV."""
        old = self._objects.pop((resource, namespace, name), None)
        if old is None:
            return None
        rv = self.next_rv()
        last = dict(final or old)
        last["metadata"] = dict(last["metadata"], resourceVersion=str(rv))
        self._publish(Change(rv, resource, last, None))
        return last

    def _publish(self, change: Change) -> None:
        if len(self._history) == self._history.maxlen:
            self.min_rv = max(self.min_rv, self._history[0].rv)
        self._history.append(change)
        for watcher in self._watchers:
            if watcher.resource == change.resource:
                watcher.queue.put_nowait(change)

    # ---------------------------------------------------------------- watches
    def subscribe(self, resource: str) -> Watcher:
        """Register a watcher; pair with :meth:`unsubscribe` in a ``finally``."""
        watcher = Watcher(resource)
        self._watchers.add(watcher)
        return watcher

    def unsubscribe(self, watcher: Watcher) -> None:
        """Forget a watcher."""
        self._watchers.discard(watcher)

    def expire(self) -> None:
        """Every RV issued so far becomes too old; open watches get a 410 and close."""
        self.next_rv()
        self.min_rv = self.rv
        self._history.clear()
        for watcher in self._watchers:
            watcher.queue.put_nowait("expire")

    def close_all(self, how: str = "close") -> None:
        """End every open watch: ``"close"`` cleanly, ``"reset"`` without the terminating chunk."""
        for watcher in self._watchers:
            watcher.queue.put_nowait(how)

    def send_raw(self, data: bytes, resource: str = "pods") -> int:
        """Queue raw bytes on every open watch of ``resource``; returns how many got them."""
        count = 0
        for watcher in self._watchers:
            if watcher.resource == resource:
                watcher.queue.put_nowait(data)
                count += 1
        return count

    @property
    def watcher_count(self) -> int:
        """Open watches (for tests and soak figures)."""
        return len(self._watchers)
