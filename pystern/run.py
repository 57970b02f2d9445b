"""The supervisor: one discovery task per namespace per cluster, one task per target.

``run`` is the engine's entry point.  It sees clusters through ``ports.Cluster`` and
writes through ``ports.Sink`` only.  Follow mode runs until cancelled and never
exits because of ``--max-log-requests`` (stern does): extra containers wait in a
queue, with one notice saying how many and how to raise the limit.  ``--no-follow``
lists once, streams every container through a pool of ``--max-log-requests`` and
returns 1 if any stream failed, after the others finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Sequence

from pystern import errors
from pystern.containers import ContainerTable, DiscoveryEvent, TargetAdded
from pystern.discovery import retry_delay
from pystern.followtasks import FollowSupervisor
from pystern.merge import MergeChannel, SortingSink, StreamMerger
from pystern.model import Notice, NoticeKind, Pod, Target
from pystern.options import Config
from pystern.ports import Cluster, Sink
from pystern.tail import History, RetryPolicy, Tail
from pystern.watchers import ResolveWorkload, build_watchers, naming, new_table

Sleep = Callable[[float], Awaitable[None]]
Unreachable = tuple[Cluster, errors.PysternError]
"""A cluster that did not answer when the run started, and the error it gave."""


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_error(exc)
        return exc
    return group


async def run(
    config: Config,
    clusters: Sequence[Cluster],
    sink: Sink,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    resolve_workload: ResolveWorkload | None = None,
    policy: RetryPolicy | None = None,
    wall_clock: Callable[[], int] = time.time_ns,
    unreachable: Sequence[Unreachable] = (),
) -> int:
    """Tail what ``config`` selects on ``clusters`` into ``sink``.

    Follow mode runs until cancelled.  ``--no-follow`` returns 0, or 1 when a stream
    failed (an ERROR notice carries the first error).  Start-up errors (a forbidden
    namespace, a missing workload) raise the ``errors.PysternError`` for the CLI.
    ``wall_clock`` (epoch ns) dates the start when the API server sends no ``Date``.

    ``unreachable``: further clusters (of several contexts) that did not answer at connect time.
    Follow mode says so once and keeps trying each in the background, as it does for a cluster
    lost mid-run, while it follows the others; ``--no-follow`` says so, leaves them out and returns 1.
    """
    policy = policy or RetryPolicy()
    try:
        if config.follow.follow:
            await _follow(
                config, clusters, sink, clock, sleep, resolve_workload, policy, wall_clock(), unreachable
            )
            return 0
        code = await _no_follow(config, clusters, sink, sleep, clock, resolve_workload, policy, unreachable)
        return 1 if unreachable else code
    except BaseExceptionGroup as group:
        raise _first_error(group) from None


async def _follow(
    config: Config,
    clusters: Sequence[Cluster],
    sink: Sink,
    clock: Callable[[], float],
    sleep: Sleep,
    resolve_workload: ResolveWorkload | None,
    policy: RetryPolicy,
    started_ns: int,
    unreachable: Sequence[Unreachable],
) -> None:
    sorting = SortingSink(sink, config.output.sort_window, clock, sleep) if config.output.sort else None
    out: Sink = sorting if sorting is not None else sink
    several = len(clusters) + len(unreachable) > 1
    async with asyncio.TaskGroup() as tg:
        if sorting is not None:
            tg.create_task(sorting.run())
        sup = FollowSupervisor(tg, config, out, policy, sleep, clock)
        tables = []
        starts: list[tuple[Cluster, errors.PysternError | None]] = [(c, None) for c in clusters]
        for cluster, error in [*starts, *unreachable]:
            table = new_table(config, cluster, several, policy, started_ns)
            tables.append(table)

            def on_event(
                event: DiscoveryEvent, cluster: Cluster = cluster, table: ContainerTable = table
            ) -> None:
                sup.handle(cluster, table, event)

            if error is not None:
                out.notice(
                    Notice(
                        NoticeKind.RETRYING,
                        f'context "{cluster.context}": {error}; following the other contexts, and this one '
                        "once it answers",
                    )
                )
                tg.create_task(
                    _follow_late(
                        tg,
                        config,
                        cluster,
                        table,
                        on_event,
                        out.notice,
                        resolve_workload,
                        policy,
                        sleep,
                        error,
                    )
                )
                continue
            with naming(cluster, several):
                watchers = await build_watchers(
                    config, cluster, table, on_event, out.notice, resolve_workload, policy, sleep
                )
                for watcher in watchers:
                    await watcher.sync(initial=True)  # a start-up failure aborts the run
                    tg.create_task(watcher.watch())
        if not sup.added:
            # As kubectl get -w says "No resources found": silence reads as a hang or a typo.
            every = [*clusters, *(c for c, _ in unreachable)]
            text = _nothing_matched(config, every) + " yet; waiting for one" + _not_started(tables)
            text += await _absent_namespaces(config, clusters)
            out.notice(Notice(NoticeKind.WARNING, text))


async def _follow_late(
    tg: asyncio.TaskGroup,
    config: Config,
    cluster: Cluster,
    table: ContainerTable,
    on_event: Callable[[DiscoveryEvent], None],
    on_notice: Callable[[Notice], None],
    resolve_workload: ResolveWorkload | None,
    policy: RetryPolicy,
    sleep: Sleep,
    error: errors.PysternError,
) -> None:
    """Follow a cluster that did not answer at start-up (``error``, already reported) once it does.

    A pod query builds its watchers without a request; each watch begins with the first list,
    retried as a broken watch is.  A workload query is resolved first, retried the same way.
    """
    rng = random.Random()
    failures, reported = 1, error
    while True:
        try:
            watchers = await build_watchers(
                config, cluster, table, on_event, on_notice, resolve_workload, policy, sleep
            )
            break
        except errors.UsageError:
            raise
        except errors.PysternError as exc:
            failures += 1
            delay = retry_delay(policy, failures, exc, rng)
            if errors.failure_kind(exc) != errors.failure_kind(reported):
                on_notice(
                    Notice(
                        NoticeKind.RETRYING, f'context "{cluster.context}": {exc}; retrying in {delay:.1f}s'
                    )
                )
            reported = exc
            await sleep(delay)
    for watcher in watchers:
        tg.create_task(watcher.watch(reported=reported))


async def _no_follow(
    config: Config,
    clusters: Sequence[Cluster],
    sink: Sink,
    sleep: Sleep,
    clock: Callable[[], float],
    resolve_workload: ResolveWorkload | None,
    policy: RetryPolicy,
    unreachable: Sequence[Unreachable],
) -> int:
    planned: list[tuple[Cluster, ContainerTable, TargetAdded]] = []
    tables = []
    several = len(clusters) + len(unreachable) > 1
    for cluster, error in unreachable:
        # Nothing to wait for: what exists is printed now, so this cluster's part is missing (exit 1).
        sink.notice(Notice(NoticeKind.ERROR, f'context "{cluster.context}": {error}; its logs are left out'))
    for cluster in clusters:
        table = new_table(config, cluster, several, policy)
        tables.append(table)

        def on_event(
            event: DiscoveryEvent, cluster: Cluster = cluster, table: ContainerTable = table
        ) -> None:
            if isinstance(event, TargetAdded):
                planned.append((cluster, table, event))

        with naming(cluster, several):
            for watcher in await build_watchers(
                config, cluster, table, on_event, sink.notice, resolve_workload, policy, sleep
            ):
                await watcher.sync(initial=True)

    if not planned:
        # kubectl says "No resources found"; stern prints nothing, which users read as a hang or a
        # bug (stern's #155).  A warning, so --only-log-lines keeps it and stdout stays clean.
        text = _nothing_matched(config, clusters) + _not_started(tables)
        sink.notice(Notice(NoticeKind.WARNING, text + await _absent_namespaces(config, clusters)))
    failures: list[tuple[Target, errors.PysternError]] = []
    merger = StreamMerger(sink) if config.output.sort else None
    limit = config.follow.max_log_requests
    # An exact merge needs every stream's head at once, so --sort opens them all (see merge.py).
    pool = asyncio.Semaphore(limit) if limit > 0 and merger is None else None

    async def one(
        cluster: Cluster, table: ContainerTable, target: Target, channel: MergeChannel | None
    ) -> None:
        out: Sink = channel if channel is not None else sink
        try:
            if pool is not None:
                await pool.acquire()
            try:
                tail = Tail(
                    cluster,
                    target,
                    out,
                    table,
                    follow=False,
                    since_seconds=config.follow.since_seconds,
                    tail_lines=config.follow.tail_lines,
                    history=History.CONFIGURED,
                    policy=policy,
                    sleep=sleep,
                    clock=clock,
                )
                error = await tail.run()
            finally:
                if pool is not None:
                    pool.release()
            if error is not None:
                failures.append((target, error))
        finally:
            if channel is not None:
                channel.close()

    async with asyncio.TaskGroup() as tg:
        for cluster, table, added in planned:
            channel = merger.channel(added.target) if merger is not None else None
            tg.create_task(one(cluster, table, added.target, channel))
        if merger is not None:
            tg.create_task(merger.run())
    sink.flush()
    if failures:
        # Each failed stream had its own notice among the +/- lines; this last line says how many.
        target, error = failures[0]
        sink.notice(
            Notice(
                NoticeKind.ERROR,
                f"{len(failures)} of {len(planned)} log streams failed; the first: "
                f"{target.namespace}/{target.pod} {target.container}: {error}",
            )
        )
        return 1
    return 0


def _nothing_matched(config: Config, clusters: Sequence[Cluster]) -> str:
    """Where nothing matched, for the warning at the start of a run (follow or ``--no-follow``)."""
    sel = config.selection
    # With several clusters, say which were searched: "default" alone could be any of them.
    of = " of contexts " + ", ".join(f'"{c.context}"' for c in clusters) if len(clusters) > 1 else ""
    if sel.all_namespaces:
        return "no container matched in any namespace" + of
    namespaces = sel.namespaces or tuple(dict.fromkeys(c.default_namespace for c in clusters))
    if len(namespaces) == 1:
        return f'no container matched in namespace "{namespaces[0]}"' + of
    return "no container matched in namespaces " + ", ".join(f'"{ns}"' for ns in namespaces) + of


async def _absent_namespaces(config: Config, clusters: Sequence[Cluster]) -> str:
    """Named namespaces the API server does not know, for the nothing-matched warning ("" if none).

    The API server lists pods of a namespace that does not exist as an empty list, so a typo in
    ``-n`` looks like a quiet namespace.  Only a 404 counts: most users may not read Namespace
    objects (403), and any other failure says nothing either.
    """
    if config.selection.all_namespaces:
        return ""
    looked_in = {c.context: config.selection.namespaces or (c.default_namespace,) for c in clusters}
    # namespace -> the contexts that do not know it, in the order the namespaces were named
    absent: dict[str, list[str]] = {ns: [] for names in looked_in.values() for ns in names}
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_ABSENT_CHECK_SECONDS):  # a warning never waits long for its detail
            for cluster in clusters:
                for namespace in looked_in[cluster.context]:
                    try:
                        await cluster.get_object("namespaces", "", namespace)
                    except errors.ApiError as exc:
                        if exc.status == 404:
                            absent[namespace].append(cluster.context)
                    except errors.PysternError:
                        pass
    notes = []
    for namespace, contexts in absent.items():
        if not contexts:
            continue
        where = (
            "" if len(contexts) == len(clusters) else " in context " + ", ".join(f'"{c}"' for c in contexts)
        )
        notes.append(f'namespace "{namespace}" does not exist{where}')
    return f" ({'; '.join(notes)})" if notes else ""


_ABSENT_CHECK_SECONDS = 5.0


def _not_started(tables: Sequence[ContainerTable]) -> str:
    """Matched pods whose chosen containers have not started, for the nothing-matched warning ("" if none).

    A Pending pod is the usual reason a right query finds nothing; saying so keeps the user
    from hunting for a typo.  Only the containers the filters choose count (``-c side`` while
    side is being created, beside a running app); a pod with no container status yet counts.
    """
    waiting: list[tuple[Pod, list[str]]] = []
    for table in tables:
        for pod in table.pods.values():
            chosen = table.target_filter.candidates(pod)
            if pod.statuses and (not chosen or any(s.log_container_id for s in chosen)):
                continue
            started = any(s.log_container_id for s in pod.statuses)
            waiting.append((pod, [s.name for s in chosen] if started else []))
    if not waiting:
        return ""
    if len(waiting) == 1:
        pod, names = waiting[0]
        if names:
            which = ", ".join(f'"{name}"' for name in names)
            return f' (pod "{pod.name}" has not started container{"s" if len(names) > 1 else ""} {which} yet)'
        return f' (pod "{pod.name}" has not started a container yet)'
    return f" ({len(waiting)} pods have not started a container yet)"
