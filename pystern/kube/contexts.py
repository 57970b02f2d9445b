"""Connect to every ``--context`` at once, keeping apart the clusters that do not answer.

With several contexts, one cluster that is down must not stop the others (the engine follows
the rest and keeps trying it); a kubeconfig or credential problem still stops the run, naming
its context, because no retry can fix it.  The CLI and the library face share this rule.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TextIO

from pystern.errors import ConnectionFailed, PysternError, UntrustedCertificate, from_context
from pystern.kube.cluster import KubeCluster, connect
from pystern.options import Connection

__all__ = ["connect_contexts"]

Unreachable = tuple[KubeCluster, ConnectionFailed]


async def _open(
    connection: Connection, context: str | None, stderr: TextIO | None, environ: Mapping[str, str] | None
) -> tuple[KubeCluster, ConnectionFailed | None]:
    cluster = await connect(connection, context, stderr=stderr, environ=environ, probe=False)
    try:
        await cluster.probe()
    except UntrustedCertificate:
        await cluster.aclose()
        raise  # no retry can fix it: stop as a kubeconfig problem does
    except ConnectionFailed as exc:
        return cluster, exc
    except BaseException:
        await cluster.aclose()
        raise
    return cluster, None


async def connect_contexts(
    connection: Connection, *, stderr: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> tuple[list[KubeCluster], list[Unreachable]]:
    """One cluster per ``connection.contexts`` (the current context when none), connected concurrently.

    Returns the clusters that answered and those that did not, with the error; the caller closes
    both.  Raises when no cluster answered (one message naming each context) and for any other
    problem (kubeconfig, credentials), naming the context when there are several; then nothing
    is left open.
    """
    contexts: Sequence[str | None] = connection.contexts or [None]
    several = len(contexts) > 1
    results = await asyncio.gather(
        *(_open(connection, context, stderr, environ) for context in contexts), return_exceptions=True
    )
    opened = [result for result in results if not isinstance(result, BaseException)]
    try:
        for context, result in zip(contexts, results, strict=True):
            if isinstance(result, PysternError) and several and context is not None:
                raise from_context(result, context)
            if isinstance(result, BaseException):
                raise result
        answered = [cluster for cluster, error in opened if error is None]
        unreachable = [(cluster, error) for cluster, error in opened if error is not None]
        if not answered:
            if not several:
                raise unreachable[0][1]
            raise ConnectionFailed("; ".join(str(from_context(e, c.context)) for c, e in unreachable))
    except BaseException:
        for cluster, _ in opened:
            await cluster.aclose()
        raise
    return answered, unreachable
