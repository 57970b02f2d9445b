"""The two interfaces the engine talks through: ``Cluster`` (input) and ``Sink`` (output).

``kube.cluster.KubeCluster`` implements ``Cluster`` over kubernetes_asyncio's HTTP
session; ``render`` implements ``Sink``.  Tests can drive the engine with the real
``KubeCluster`` against the sandbox and a ``Sink`` that records bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pystern.model import Notice, PodEvent, PodList, Target


@dataclass(frozen=True, slots=True)
class LogRequest:
    """Options of one ``GET .../pods/{pod}/log`` request (always ``timestamps=true``)."""

    namespace: str
    pod: str
    container: str
    follow: bool = True
    since_seconds: int | None = None
    since_time: str | None = None
    """RFC3339; the kubelet truncates it to whole seconds."""
    tail_lines: int | None = None
    previous: bool = False
    limit_bytes: int | None = None
    read_timeout: float | None = None
    """Seconds of silence after which the stream counts as broken (``ConnectionLost``).

    None (the default) means no limit: a quiet container is legal and TCP keepalive
    detects dead peers.  Set it only where silence is known to be wrong."""


class Cluster(Protocol):
    """One Kubernetes API server, as seen by the engine."""

    @property
    def context(self) -> str:
        """Kubeconfig context name ("" when unnamed)."""
        ...

    @property
    def default_namespace(self) -> str:
        """The context's namespace, ``default`` when unset."""
        ...

    async def list_pods(self, namespace: str | None, label_selector: str, field_selector: str) -> PodList:
        """List pods (``namespace=None`` means all namespaces)."""
        ...

    def watch_pods(
        self,
        namespace: str | None,
        label_selector: str,
        field_selector: str,
        resource_version: str,
        timeout_seconds: int | None = None,
        on_heard: Callable[[], None] | None = None,
        on_open: Callable[[], None] | None = None,
    ) -> AsyncIterator[PodEvent]:
        """Watch pods from ``resource_version``; ends when the server closes the watch.

        Raises ``errors.WatchExpired`` on a 410 and ``errors.ConnectionLost`` on a
        broken connection; the caller re-lists.  ``on_heard`` is called for every event and
        BOOKMARK the server sends: a watch that stays silent longer than the server's bookmark
        interval may be half-open.  ``on_open`` is called once the server has accepted the
        watch: from then on it sends every change since ``resource_version``, in order.
        """
        ...

    def stream_log(self, request: LogRequest) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Open a log stream; the iterator yields raw chunks (not lines).

        Non-2xx replies raise ``errors.ApiError`` on entry; a broken connection raises
        ``errors.ConnectionLost`` while iterating; a clean end simply stops.  A 204
        (pod not scheduled yet) yields nothing.
        """
        ...

    async def get_object(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        """GET one object as a JSON dict (``kind`` is the plural resource, e.g. ``deployments``)."""
        ...

    async def list_objects(
        self, kind: str, namespace: str | None, label_selector: str = ""
    ) -> list[dict[str, Any]]:
        """List objects of a kind as JSON dicts (``namespaces`` and ``nodes`` ignore ``namespace``)."""
        ...

    async def aclose(self) -> None:
        """Close every connection."""
        ...


class Sink(Protocol):
    """Where the engine sends log lines and notices."""

    def emit(self, target: Target, lines: Sequence[bytes]) -> None:
        """Render complete lines of one target.

        Each line is the raw kubelet record ``<RFC3339NanoFixed> <message>`` with no
        trailing newline (a record without a parsable timestamp is passed as is).
        """
        ...

    def notice(self, notice: Notice) -> None:
        """Render a stderr notice."""
        ...

    async def drain(self) -> None:
        """Wait until buffered output has gone out (backpressure for slow consumers)."""
        ...

    def flush(self) -> None:
        """Write out whatever is buffered."""
        ...


@runtime_checkable
class MergedSink(Sink, Protocol):
    """A ``Sink`` that can also take lines of several targets already in output order (``--sort``)."""

    def emit_merged(self, targets: Sequence[Target], owners: Sequence[int], lines: Sequence[bytes]) -> None:
        """Render ``lines`` in this order; line ``k`` belongs to ``targets[owners[k]]``.

        The same output as calling ``emit`` for each run of consecutive lines of one target,
        without paying for a call per run when the targets alternate line by line.
        """
        ...
