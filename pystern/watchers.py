"""One cluster's discovery set-up for a query: its container table and its pod watchers.

One watcher per namespace (one for all with ``-A``), each with the query's selectors; a
``kind/name`` query is resolved into a label selector plus an ownership check per
namespace (through the injected ``ResolveWorkload``: the engine cannot import kube).  With
several contexts a start-up error names the one it came from.  :mod:`pystern.run` drives
the watchers this builds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Protocol

from pystern import errors
from pystern.containers import ContainerTable, DiscoveryEvent
from pystern.discovery import PodWatcher
from pystern.filters import TargetFilter
from pystern.model import Notice, Pod
from pystern.options import Config
from pystern.ports import Cluster
from pystern.tail import RetryPolicy

__all__ = ["ResolveWorkload", "WorkloadSelector", "build_watchers", "naming", "new_table"]


class WorkloadSelector(Protocol):
    """What a workload query resolves to: a label selector plus an exact ownership check."""

    @property
    def label_selector(self) -> str:
        """Selector sent to the API server (pods of the workload and maybe others)."""
        ...

    async def owns(self, pod: Pod) -> bool:
        """Whether the workload really owns ``pod`` (ownerReferences, via ReplicaSets/Jobs)."""
        ...


class ResolveWorkload(Protocol):
    """``pystern.kube.workloads.resolve_workload``, injected by the CLI (the engine cannot import kube)."""

    async def __call__(self, cluster: Cluster, kind: str, name: str, namespace: str) -> WorkloadSelector:
        """Resolve ``kind/name`` in ``namespace`` (raises ``errors.ApiError`` when it does not exist)."""
        ...


def _join_selectors(*parts: str) -> str:
    return ",".join(p for p in parts if p)


async def build_watchers(
    config: Config,
    cluster: Cluster,
    table: ContainerTable,
    on_event: Callable[[DiscoveryEvent], None],
    on_notice: Callable[[Notice], None],
    resolve_workload: ResolveWorkload | None,
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]],
) -> list[PodWatcher]:
    """One watcher per namespace (one for all with -A), with the selector resolved for each."""
    sel = config.selection
    if sel.all_namespaces:
        namespaces: list[str | None] = [None]
    else:
        namespaces = list(sel.namespaces or (cluster.default_namespace,))
    watchers = []
    for ns in namespaces:
        label, fields, owns = sel.label_selector, sel.field_selector, None
        if sel.resource is not None and sel.resource.kind == "pods":
            # Let the server do the exact-name match too: one pod's events instead of all.
            fields = _join_selectors(fields, f"metadata.name={sel.resource.name}")
        elif sel.resource is not None:
            if resolve_workload is None:
                raise errors.UsageError(
                    f"{sel.resource.kind}/{sel.resource.name}: workload queries are not available here"
                )
            workload = await resolve_workload(cluster, sel.resource.kind, sel.resource.name, ns or "")
            label, owns = workload.label_selector, workload.owns
            fields = _join_selectors(fields, str(getattr(workload, "field_selector", "") or ""))
        watchers.append(
            PodWatcher(
                cluster,
                ns,
                table,
                on_event,
                on_notice,
                label_selector=label,
                field_selector=fields,
                owns=owns,
                policy=policy,
                sleep=sleep,
            )
        )
    return watchers


@contextlib.contextmanager
def naming(cluster: Cluster, several: bool) -> Iterator[None]:
    """With several clusters, a start-up error says which context it came from."""
    try:
        yield
    except errors.PysternError as exc:
        if several:
            raise errors.from_context(exc, cluster.context) from exc.__cause__
        raise


def new_table(
    config: Config, cluster: Cluster, several: bool, policy: RetryPolicy, started_ns: int = 0
) -> ContainerTable:
    """One cluster's container table for the query; its targets name the context only among several."""
    return ContainerTable(
        TargetFilter(config.selection),
        context=cluster.context if several else "",
        quiet_watch=policy.quiet_watch,
        started_ns=started_ns,
        explain=config.connection.verbosity >= 1,
    )
