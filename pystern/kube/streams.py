"""Readers of long responses: pod watches (newline-delimited JSON) and log streams (raw chunks).

* ``PodWatch`` splits events from ``readany()`` chunks itself (no ``watch.Watch``, no
  generated models).  BOOKMARK events yield nothing but move ``resource_version``; a 410
  ERROR event raises ``WatchExpired`` (the caller lists again; kubernetes_asyncio would
  retry once with the same stale RV); other ERROR events raise ``ApiError``; a line that
  is not JSON, an event of unknown type, a pod without name/namespace or an event over
  ``MAX_EVENT_BYTES`` is skipped and reported through ``warn``, never a crash.
* ``LogChunks`` yields raw chunks; a broken connection or a read timeout becomes
  ``ConnectionLost``.  ``EmptyStream`` stands for a 204 (pod not scheduled yet).
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from pystern.errors import ApiError, ConnectionLost, WatchExpired
from pystern.kube.answers import api_error
from pystern.kube.deferredca import aiohttp
from pystern.kube.objects import MalformedObject, parse_pod
from pystern.kube.transport import Query, Transport
from pystern.model import EventType, PodEvent

__all__ = ["MAX_EVENT_BYTES", "EmptyStream", "LogChunks", "PodWatch"]

MAX_EVENT_BYTES = 64 * 1024 * 1024
"""A watch event larger than this is skipped instead of buffered without bound."""
_STREAM_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)
_HEARD = frozenset(("ADDED", "MODIFIED", "DELETED", "BOOKMARK"))
"""Event types that show the watch is alive (``PodWatch`` calls ``on_heard`` for each)."""


def _broken(exc: BaseException) -> str:
    """Why a long response broke, in words a user can act on (aiohttp's own text names its parser)."""
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
        return "no data before the read timeout"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the connection was closed in the middle of the answer"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    errno = getattr(exc, "errno", None)
    if isinstance(exc, OSError) and errno:
        return os.strerror(errno)  # "Connection reset by peer", not "[Errno 104] ..."
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


class EmptyStream:
    """A 204 answer: no log yet (pod not scheduled)."""

    def __aiter__(self) -> EmptyStream:
        return self

    async def __anext__(self) -> bytes:
        raise StopAsyncIteration


class LogChunks:
    """Raw chunks of one log response; broken connections become ``ConnectionLost``."""

    def __init__(self, resp: aiohttp.ClientResponse, what: str) -> None:
        self._resp = resp
        self._what = what

    def __aiter__(self) -> LogChunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._resp.content.readany()
        except _STREAM_ERRORS as exc:
            raise ConnectionLost(f"log stream of {self._what} broke: {_broken(exc)}") from exc
        if not chunk:
            raise StopAsyncIteration
        return chunk


class PodWatch:
    """An async iterator of ``PodEvent`` for one watch request (also an async context manager).

    ``resource_version`` follows every event and BOOKMARK, so a caller whose watch ended
    cleanly re-watches from it; after ``WatchExpired`` it must list again instead.
    """

    def __init__(
        self,
        transport: Transport,
        warn: Callable[[str], None],
        path: str,
        query: Query,
        read_timeout: float,
        *,
        on_heard: Callable[[], None] | None = None,
        on_open: Callable[[], None] | None = None,
    ) -> None:
        self.resource_version = dict(query).get("resourceVersion", "")
        self._on_heard = on_heard
        self._on_open = on_open
        self._transport = transport
        self._warn = warn
        self._path = path
        self._query = query
        self._read_timeout = read_timeout
        self._resp: aiohttp.ClientResponse | None = None
        self._lines: deque[bytes] = deque()
        self._partial = b""
        self._skipping = False
        self._done = False

    def __aiter__(self) -> PodWatch:
        return self

    async def __aenter__(self) -> PodWatch:
        await self.open()
        return self

    async def open(self) -> None:
        """Send the watch request now (otherwise the first ``__anext__`` does)."""
        if self._resp is None and not self._done:
            transport = self._transport
            try:
                self._resp = await transport.open(
                    self._path, self._query, transport.timeout(self._read_timeout), stream=True
                )
            except BaseException:
                self._done = True
                raise
            if self._on_open is not None:
                self._on_open()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection (safe to call more than once)."""
        self._done = True
        if self._resp is not None:
            self._resp.close()
            self._resp = None

    async def __anext__(self) -> PodEvent:
        if self._done:
            raise StopAsyncIteration
        try:
            await self.open()
            while True:
                line = await self._next_line()
                if line is None:
                    await self.aclose()
                    raise StopAsyncIteration
                event = self._event(line)
                if event is not None:
                    return event
        except BaseException:
            await self.aclose()
            raise

    async def _next_line(self) -> bytes | None:
        assert self._resp is not None
        while not self._lines:
            try:
                chunk = await self._resp.content.readany()
            except _STREAM_ERRORS as exc:
                raise ConnectionLost(f"pod watch broke: {_broken(exc)}") from exc
            if not chunk:
                rest, self._partial = self._partial, b""
                return rest if rest.strip() and not self._skipping else None
            parts = (self._partial + chunk).split(b"\n")
            self._partial = parts.pop()
            if self._skipping and parts:
                parts.pop(0)
                self._skipping = False
            self._lines.extend(p for p in parts if p.strip())
            if len(self._partial) > MAX_EVENT_BYTES:
                self._partial, self._skipping = b"", True
                self._warn(f"skipped a watch event larger than {MAX_EVENT_BYTES} bytes")
        return self._lines.popleft()

    def _event(self, line: bytes) -> PodEvent | None:
        try:
            doc = json.loads(line)
        except ValueError:
            self._warn(f"skipped a watch line that is not JSON: {line[:80]!r}")
            return None
        except RecursionError:  # nested past what json reads: it ended the run as an internal error
            self._warn("skipped a watch line nested too deeply to read")
            return None
        if not isinstance(doc, dict):
            self._warn("skipped a watch line that is not a JSON object")
            return None
        kind = doc.get("type")
        obj = doc.get("object")
        if kind == "ERROR" or (kind is None and doc.get("kind") == "Status"):
            status = obj if isinstance(obj, dict) else doc
            raise _status_error(status)
        if self._on_heard is not None and kind in _HEARD:
            self._on_heard()
        if kind == "BOOKMARK":
            meta = obj.get("metadata") if isinstance(obj, dict) else None
            rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
            if isinstance(rv, str) and rv:
                self.resource_version = rv
            return None
        try:
            event_type = EventType(kind)
        except ValueError:
            self._warn(f"skipped a watch event of unknown type {kind!r}")
            return None
        try:
            pod = parse_pod(obj)
        except MalformedObject as exc:
            self._warn(f"skipped a malformed {event_type.value} watch event: {exc}")
            return None
        if pod.resource_version:
            self.resource_version = pod.resource_version
        return PodEvent(event_type, pod)


def _status_error(status: Mapping[str, Any]) -> ApiError:
    code = status.get("code")
    reason = str(status.get("reason") or "")
    if not isinstance(code, int) or code < 400:
        code = 410 if reason in ("Expired", "Gone") else 500
    err = api_error(code, reason, json.dumps(status).encode())
    if isinstance(err, WatchExpired) or code != 410:
        return err
    return WatchExpired(code, reason, err.message)
