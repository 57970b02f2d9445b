"""The Kubernetes client layer: the only code that imports kubernetes_asyncio.

It loads kubeconfig and credentials, and implements ``ports.Cluster`` with raw JSON
reads of pod lists, watches and log streams (no generated models on the hot path).

``import pystern.kube`` is cheap: aiohttp is imported by ``connect()`` and
kubernetes_asyncio only when a context uses an exec plugin or an auth-provider.

    cluster = await connect(connection, context)      # KubeconfigError / ConnectionFailed
    async with cluster:
        pods = await cluster.list_pods("default", "", "")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from pystern.kube.kubeconfigfiles import list_contexts
from pystern.kube.objects import parse_pod
from pystern.options import Connection

if TYPE_CHECKING:
    from pystern.errors import ConnectionFailed
    from pystern.kube.cluster import KubeCluster

__all__ = ["KubeCluster", "connect", "connect_contexts", "list_contexts", "parse_pod"]


async def connect(
    connection: Connection,
    context: str | None = None,
    *,
    stderr: TextIO | None = None,
    probe: bool = True,
    environ: Mapping[str, str] | None = None,
) -> KubeCluster:
    """Build a ``KubeCluster`` for ``context`` (see ``pystern.kube.cluster.connect``)."""
    from pystern.kube.cluster import connect as _connect

    return await _connect(connection, context, stderr=stderr, probe=probe, environ=environ)


async def connect_contexts(
    connection: Connection, *, stderr: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> tuple[list[KubeCluster], list[tuple[KubeCluster, ConnectionFailed]]]:
    """Every ``--context`` at once: (clusters that answered, (cluster, error) for those that did not)
    (see ``pystern.kube.contexts.connect_contexts``)."""
    from pystern.kube.contexts import connect_contexts as _connect_contexts

    return await _connect_contexts(connection, stderr=stderr, environ=environ)


def __getattr__(name: str) -> Any:
    if name == "KubeCluster":
        from pystern.kube.cluster import KubeCluster

        return KubeCluster
    raise AttributeError(name)
