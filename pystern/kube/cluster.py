"""``KubeCluster``: ``ports.Cluster`` over raw JSON reads, and ``connect()`` that builds it.

Lists are paged (``limit=500`` + ``continue``) and parsed with ``objects.parse_pod``;
watches and log streams are read by ``streams``.  Every response is closed on exit and
on cancel; ``aclose()`` closes the session and with it every connection.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from pystern.errors import ApiError, UsageError, WatchExpired
from pystern.kube.credentials import build_credentials
from pystern.kube.kubeconfig import KubeTarget, resolve
from pystern.kube.objects import MalformedObject, parse_pod
from pystern.kube.plainhttp import without_credentials_over_http
from pystern.kube.streams import EmptyStream, LogChunks, PodWatch
from pystern.kube.transport import Transport
from pystern.model import PodList
from pystern.options import Connection
from pystern.ports import Cluster, LogRequest

__all__ = ["RESOURCES", "KubeCluster", "PodWatch", "connect"]

RESOURCES: dict[str, tuple[str, bool]] = {
    "pods": ("/api/v1", True),
    "services": ("/api/v1", True),
    "replicationcontrollers": ("/api/v1", True),
    "namespaces": ("/api/v1", False),
    "nodes": ("/api/v1", False),
    "deployments": ("/apis/apps/v1", True),
    "replicasets": ("/apis/apps/v1", True),
    "statefulsets": ("/apis/apps/v1", True),
    "daemonsets": ("/apis/apps/v1", True),
    "jobs": ("/apis/batch/v1", True),
    "cronjobs": ("/apis/batch/v1", True),
}
"""Plural resource -> (API prefix, namespaced)."""

DEFAULT_WATCH_SECONDS = 300
"""timeoutSeconds we ask for when the caller has no preference (client-go: 5-10 min)."""
WATCH_READ_MARGIN = 30.0
"""The watch read timeout is the server-side timeout plus this margin."""
LIST_PAGE = 500


def _group_suffix(kind: str) -> str:
    prefix = RESOURCES[kind][0]
    return "." + prefix.split("/")[2] if prefix.startswith("/apis/") else ""


def resource_path(kind: str, namespace: str | None, name: str = "") -> str:
    """The URL path of a collection or (with ``name``) one object."""
    try:
        prefix, namespaced = RESOURCES[kind]
    except KeyError:
        raise UsageError(f"unknown resource kind {kind!r}; known: {', '.join(RESOURCES)}") from None
    path = prefix
    if namespaced and namespace:
        path += f"/namespaces/{quote(namespace, safe='')}"
    path += f"/{kind}"
    if name:
        path += f"/{quote(name, safe='')}"
    return path


class KubeCluster:
    """One API server as seen by the engine (implements ``ports.Cluster``)."""

    def __init__(self, transport: Transport, target: KubeTarget, stderr: TextIO | None = None) -> None:
        self.transport = transport
        self.target = target
        self.server = target.server
        self.on_warning: Callable[[str], None] | None = None
        """Receives one line per skipped malformed watch line; None: write it to stderr."""
        self.skipped_watch_lines = 0
        self._stderr = stderr

    # ------------------------------------------------------------------ identity
    @property
    def context(self) -> str:
        """Kubeconfig context name ("" when unnamed)."""
        return self.target.context

    @property
    def default_namespace(self) -> str:
        """The context's namespace, ``default`` when unset."""
        return self.target.namespace

    def warn(self, message: str) -> None:
        """Report a skipped piece of malformed server data (never raises)."""
        self.skipped_watch_lines += 1
        if self.on_warning is not None:
            self.on_warning(message)
        elif self._stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                self._stderr.write(f"pystern: warning: {message}\n")

    # ------------------------------------------------------------------ lists
    async def _list_all(self, path: str, query: list[tuple[str, str]]) -> tuple[list[Any], str, int]:
        """Every item of a (paged) list, its resourceVersion, and the server's clock at the first page."""
        items: list[Any] = []
        token = ""
        date_ns = 0
        while True:
            page = [*query, ("limit", str(LIST_PAGE))]
            if token:
                page.append(("continue", token))
            try:
                doc, date = await self.transport.get_json_dated(path, page)
            except WatchExpired:
                if not token:
                    raise
                # The snapshot behind the token was compacted away between pages: as client-go's
                # pager does, list again in one piece (a consistent list beats failing the start).
                items, token = [], ""
                doc, date = await self.transport.get_json_dated(path, query)
            date_ns = date_ns or date
            if not isinstance(doc, dict):
                raise ApiError(200, "BadResponse", f"the server sent no list for {path}")
            items.extend(i for i in doc.get("items") or () if isinstance(i, dict))
            meta = doc.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            token = str(meta.get("continue") or "")
            if not token:
                return items, str(meta.get("resourceVersion") or ""), date_ns

    async def list_pods(self, namespace: str | None, label_selector: str, field_selector: str) -> PodList:
        """List pods (``namespace=None`` means all namespaces) with the RV to watch from."""
        query = _selectors(label_selector, field_selector)
        try:
            items, rv, date_ns = await self._list_all(resource_path("pods", namespace), query)
        except ApiError as exc:
            if namespace is not None or exc.status != 403 or type(exc) is not ApiError:
                raise
            # Users with rights in their own namespaces meet this with -A; the server's message
            # alone ("... at the cluster scope") does not say what to do instead.
            hint = "tailing every namespace (-A) needs that right: name the namespaces you may read with -n"
            raise ApiError(403, exc.reason, f"{exc.message}; {hint}", retry_after=exc.retry_after) from exc
        pods = []
        for item in items:
            try:
                pods.append(parse_pod(item))
            except MalformedObject as exc:
                self.warn(f"skipped a malformed pod in a list: {exc}")
        return PodList(tuple(pods), rv, date_ns)

    def watch_pods(
        self,
        namespace: str | None,
        label_selector: str,
        field_selector: str,
        resource_version: str,
        timeout_seconds: int | None = None,
        on_heard: Callable[[], None] | None = None,
        on_open: Callable[[], None] | None = None,
    ) -> PodWatch:
        """Watch pods from ``resource_version`` ("" = synthetic ADDED for every pod first).

        Without ``timeout_seconds`` we ask for 300 s, so that the client-side read timeout
        (server timeout + 30 s) can tell a half-open connection from a quiet watch.
        """
        seconds = timeout_seconds if timeout_seconds and timeout_seconds > 0 else DEFAULT_WATCH_SECONDS
        query = [("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", str(seconds))]
        if resource_version:
            query.append(("resourceVersion", resource_version))
        query.extend(_selectors(label_selector, field_selector))
        return PodWatch(
            self.transport,
            self.warn,
            resource_path("pods", namespace),
            query,
            seconds + WATCH_READ_MARGIN,
            on_heard=on_heard,
            on_open=on_open,
        )

    # ------------------------------------------------------------------ logs
    @contextlib.asynccontextmanager
    async def stream_log(self, request: LogRequest) -> AsyncIterator[AsyncIterator[bytes]]:
        """Open ``GET .../pods/{pod}/log`` (``timestamps=true``) and yield its raw chunks."""
        query = [("container", request.container), ("timestamps", "true")]
        if request.follow:
            query.append(("follow", "true"))
        if request.previous:
            query.append(("previous", "true"))
        if request.since_time:
            query.append(("sinceTime", request.since_time))
        elif request.since_seconds is not None:
            query.append(("sinceSeconds", str(max(1, int(request.since_seconds)))))
        if request.tail_lines is not None and request.tail_lines >= 0:
            query.append(("tailLines", str(request.tail_lines)))
        if request.limit_bytes:
            query.append(("limitBytes", str(request.limit_bytes)))
        path = resource_path("pods", request.namespace, request.pod) + "/log"
        transport = self.transport
        resp = await transport.open(path, query, transport.timeout(request.read_timeout), stream=True)
        what = f"{request.namespace}/{request.pod} {request.container}"
        try:
            yield EmptyStream() if resp.status == 204 else LogChunks(resp, what)
        finally:
            # A fully read body may go back to the pool; anything else closes the socket.
            if resp.content.at_eof():
                resp.release()
            else:
                resp.close()

    # ------------------------------------------------------------------ objects
    async def get_object(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        """GET one object as a JSON dict (``kind`` is the plural resource)."""
        path = resource_path(kind, namespace)
        if not name or "/" in name or name in (".", ".."):
            raise ApiError(404, "NotFound", f'{kind}{_group_suffix(kind)} "{name}" not found')
        doc = await self.transport.get_json(resource_path(kind, namespace, name))
        if not isinstance(doc, dict):
            raise ApiError(200, "BadResponse", f"the server sent no object for {path}/{name}")
        return doc

    async def list_objects(
        self, kind: str, namespace: str | None, label_selector: str = ""
    ) -> list[dict[str, Any]]:
        """List objects of a kind as JSON dicts (``namespaces``/``nodes`` ignore ``namespace``)."""
        items, _, _ = await self._list_all(resource_path(kind, namespace), _selectors(label_selector, ""))
        return items

    # ------------------------------------------------------------------ lifecycle
    async def probe(self) -> None:
        """Check that the server answers at all (raises ``ConnectionFailed`` within the connect timeout)."""
        await self.transport.probe()

    async def aclose(self) -> None:
        """Close every connection."""
        await self.transport.aclose()

    async def __aenter__(self) -> KubeCluster:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _selectors(label_selector: str, field_selector: str) -> list[tuple[str, str]]:
    query = []
    if label_selector:
        query.append(("labelSelector", label_selector))
    if field_selector:
        query.append(("fieldSelector", field_selector))
    return query


async def connect(
    connection: Connection,
    context: str | None = None,
    *,
    stderr: TextIO | None = None,
    probe: bool = True,
    environ: Mapping[str, str] | None = None,
    may_prompt: bool = True,
) -> KubeCluster:
    """Resolve the kubeconfig, get credentials and (with ``probe``) check the server answers.

    ``may_prompt=False``: an exec plugin is not given the terminal (shell completion).

    Raises ``KubeconfigError`` or ``ConnectionFailed`` with one clear line; the probe is
    bounded by ``connection.connect_timeout``.
    """
    err = sys.stderr if stderr is None else stderr
    target = without_credentials_over_http(resolve(connection, context, environ), err)
    credentials = await build_credentials(target, err, may_prompt=may_prompt)
    transport = Transport(target, credentials, connection, err)
    sources = ":".join(target.sources) or ("in-cluster service account" if target.in_cluster else "none")
    transport.log(
        1,
        f'kubeconfig {sources}; context "{target.context}"; default namespace "{target.namespace}"; '
        f"server {target.server}; auth: {credentials.description}"
        + "".join(f"; {name.lower()} {value!r}" for name, value in target.impersonate),
    )
    cluster = KubeCluster(transport, target, err)
    if probe:
        try:
            await cluster.probe()
        except BaseException:
            await transport.aclose()
            raise
    return cluster


if TYPE_CHECKING:

    def _implements_cluster(cluster: KubeCluster) -> Cluster:
        return cluster  # mypy checks KubeCluster against the ports.Cluster protocol here
