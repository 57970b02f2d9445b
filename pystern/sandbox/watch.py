"""Watch streams with the API server's semantics (B1 of kubernetes-wire.md).

* no resourceVersion or "0": synthetic ADDED for every match, then live changes;
* "N": only changes after N; an N older than the history gives HTTP 200 and one ERROR
  event (410 Expired), a newer one an ERROR 504 "Too large resource version";
* an object entering or leaving the selector arrives as ADDED / DELETED;
* BOOKMARK only with ``allowWatchBookmarks``; ``timeoutSeconds`` ends cleanly;
* ``sendInitialEvents`` ends the initial burst with the ``k8s.io/initial-events-end`` bookmark.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from aiohttp import web

from pystern.sandbox.driver import PodDriver
from pystern.sandbox.resources import Resource
from pystern.sandbox.status import dumps, expired_status, too_large_status
from pystern.sandbox.store import Change, Store
from pystern.sandbox.table import table

Matcher = Callable[[dict[str, Any]], bool]


class WatchRequest:
    """Parsed options of one watch."""

    def __init__(
        self,
        resource: Resource,
        namespace: str,
        matcher: Matcher,
        *,
        resource_version: str,
        timeout: float | None,
        bookmarks: bool,
        initial_events: bool,
        as_table: bool,
    ) -> None:
        self.resource = resource
        self.namespace = namespace
        self.matcher = matcher
        self.resource_version = resource_version
        self.timeout = timeout
        self.bookmarks = bookmarks
        self.initial_events = initial_events
        self.as_table = as_table
        self.stalled = False
        """Set by ``break_watches("stall")``: events are swallowed from then on."""

    def matches(self, obj: dict[str, Any] | None) -> bool:
        """Namespace and selector check."""
        if obj is None:
            return False
        if self.namespace and obj["metadata"].get("namespace") != self.namespace:
            return False
        return self.matcher(obj)

    def event(self, kind: str, obj: dict[str, Any]) -> bytes:
        """One newline-terminated event."""
        if self.as_table:
            payload = table(self.resource.name, [obj], obj["metadata"].get("resourceVersion", ""))
        else:
            payload = {"kind": self.resource.kind, "apiVersion": self.resource.group_version, **obj}
        return dumps({"type": kind, "object": payload})

    def bookmark(self, rv: int, *, initial_end: bool = False) -> bytes:
        """A BOOKMARK: an otherwise empty object of the watched kind carrying the RV."""
        meta: dict[str, Any] = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj: dict[str, Any] = {
            "kind": self.resource.kind,
            "apiVersion": self.resource.group_version,
            "metadata": meta,
        }
        if self.resource.name == "pods":
            obj["spec"] = {"containers": None}
            obj["status"] = {}
        return dumps({"type": "BOOKMARK", "object": obj})

    def translate(self, change: Change) -> bytes | None:
        """The event this watcher sees for a change, or None (selector transitions of B1)."""
        if change.resource != self.resource.name:
            return None  # the history replayed from a resourceVersion holds every resource's changes
        was = self.matches(change.old)
        now = self.matches(change.new)
        if was and now:
            assert change.new is not None
            return self.event("MODIFIED", change.new)
        if now:
            assert change.new is not None
            return self.event("ADDED", change.new)
        if was:
            assert change.old is not None
            last = change.old
            if change.new is not None:
                # Leaving the selector: the previous content with the new RV (cache_watcher.go).
                last = dict(last, metadata=dict(last["metadata"], resourceVersion=str(change.rv)))
            return self.event("DELETED", last)
        return None


async def serve_watch(request: web.Request, driver: PodDriver, watch: WatchRequest) -> web.StreamResponse:
    """Run one watch until timeout, expiry, or the client going away."""
    store = driver.store
    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    try:
        await resp.prepare(request)  # headers go out before the first event, as the API server does
    except (ConnectionResetError, ConnectionError):
        return resp  # the client went away before the headers: nothing to watch for
    watcher = store.subscribe(watch.resource.name)
    loop = asyncio.get_running_loop()
    timeout = watch.timeout
    if timeout is None:
        timeout = driver.watch_timeout if driver.watch_timeout is not None else random.uniform(1800, 3600)
    deadline = loop.time() + timeout
    try:
        initial: list[bytes] = []
        rv_text = watch.resource_version
        if rv_text in ("", "0"):
            for obj in store.items(watch.resource.name, watch.namespace):
                if watch.matches(obj):
                    initial.append(watch.event("ADDED", obj))
            if watch.initial_events:
                initial.append(watch.bookmark(store.rv, initial_end=True))
        else:
            try:
                since = int(rv_text)
            except ValueError:
                since = -1
            if since < store.min_rv:
                await resp.write(dumps({"type": "ERROR", "object": expired_status(since, store.min_rv)}))
                return resp
            if since > store.rv:
                await resp.write(dumps({"type": "ERROR", "object": too_large_status(since, store.rv)}))
                return resp
            for change in store.since(since):
                event = watch.translate(change)
                if event is not None:
                    initial.append(event)
            if watch.initial_events:
                initial.append(watch.bookmark(store.rv, initial_end=True))
            # Everything up to now was replayed from history; drop what the queue holds already.
            while not watcher.queue.empty():
                watcher.queue.get_nowait()
        if initial:
            await resp.write(b"".join(initial))

        def next_bookmark_at(now: float) -> float:
            # Bookmarks come every interval and once about 2 s before the deadline (cache_watcher.go).
            due = now + driver.bookmark_interval
            before_end = deadline - 2.0
            return before_end if now < before_end < due else due

        next_bookmark = next_bookmark_at(loop.time())
        while True:
            now = loop.time()
            if now >= deadline:
                break
            wake_at = min(deadline, next_bookmark) if watch.bookmarks else deadline
            try:
                async with asyncio.timeout(max(0.0, wake_at - now)):
                    item = await watcher.queue.get()
            except TimeoutError:
                now = loop.time()
                if watch.bookmarks and not watch.stalled and now >= next_bookmark and now < deadline:
                    await resp.write(watch.bookmark(store.rv))
                    next_bookmark = next_bookmark_at(now)
                continue
            batch = [item]
            while not watcher.queue.empty():
                batch.append(watcher.queue.get_nowait())
            if not await _send_batch(request, resp, watch, store, batch):
                break
    except (ConnectionResetError, ConnectionError):
        pass
    finally:
        store.unsubscribe(watcher)
    return resp


async def _send_batch(
    request: web.Request,
    resp: web.StreamResponse,
    watch: WatchRequest,
    store: Store,
    batch: list[Change | str | bytes],
) -> bool:
    """Write a batch of queued items in one go; False when the watch must end."""
    chunks: list[bytes] = []
    for item in batch:
        if item == "stall":
            watch.stalled = True
        if watch.stalled and item not in ("close", "reset"):
            continue
        if isinstance(item, Change):
            event = watch.translate(item)
            if event is not None:
                chunks.append(event)
            continue
        if isinstance(item, bytes):
            chunks.append(item)
            continue
        if chunks:
            await resp.write(b"".join(chunks))
            chunks = []
        if item == "reset":
            if request.transport is not None:
                request.transport.close()
            raise ConnectionResetError("watch cut by the scenario driver")
        if item == "expire":
            oldest = store.min_rv
            requested = int(watch.resource_version) if watch.resource_version.isdigit() else oldest - 1
            await resp.write(dumps({"type": "ERROR", "object": expired_status(requested, oldest)}))
        return False
    if chunks:
        await resp.write(b"".join(chunks))
    return True
