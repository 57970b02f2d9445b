"""Cluster look-ups for dynamic completion: short, bounded, and silent on failure.

A completion callback runs while the user waits at a prompt, so every look-up is
bounded by ``TIMEOUT`` and any failure (no kubeconfig, unreachable server, forbidden)
yields no candidates instead of an error message in the middle of the command line.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping, Sequence

from pystern.errors import PysternError
from pystern.options import Connection

TIMEOUT = 2.0
"""Seconds a completion look-up may take before it gives up with no candidates."""


class LookupFailed(Exception):
    """A look-up gave no answer (reported to the shell as cobra's error directive)."""


def connection_for(kubeconfig: str) -> Connection:
    """The connection settings a completion look-up uses (tight timeouts)."""
    return Connection(kubeconfig=kubeconfig or None, connect_timeout=TIMEOUT, request_timeout=TIMEOUT)


def contexts(kubeconfig: str, env: Mapping[str, str]) -> list[str]:
    """Context names from the kubeconfig files (no cluster call)."""
    from pystern.kube import list_contexts

    try:
        names, _ = list_contexts(connection_for(kubeconfig), env)
    except (PysternError, OSError, ValueError) as exc:
        raise LookupFailed(str(exc)) from None
    return names


async def _names(
    kubeconfig: str,
    context: str | None,
    kind: str,
    namespaces: Sequence[str | None],
    env: Mapping[str, str],
) -> list[str]:
    from pystern.kube.cluster import connect

    quiet = io.StringIO()  # warnings of the kube layer must not land on the user's prompt line
    # The terminal is the shell's while the user types: a credential plugin must not prompt.
    cluster = await connect(
        connection_for(kubeconfig), context, stderr=quiet, probe=False, environ=env, may_prompt=False
    )
    names: set[str] | None = None
    async with cluster:
        for namespace in namespaces:
            if namespace == "":
                namespace = cluster.default_namespace
            items = await cluster.list_objects(kind, namespace)
            found = {str((i.get("metadata") or {}).get("name", "")) for i in items if isinstance(i, dict)}
            # With `-n a,b` the command looks the object up in each namespace and stops at the first
            # that lacks it, so only the names every one of them holds are worth offering.
            names = found if names is None else names & found
    return sorted(name for name in names or () if name)


def object_names(
    kubeconfig: str,
    context: str | None,
    kind: str,
    namespace: str | Sequence[str] | None,
    env: Mapping[str, str],
) -> list[str]:
    """Names of the objects of ``kind`` (plural resource) in ``namespace``, sorted and distinct.

    ``namespace=""`` means the context's default namespace; ``None`` means every namespace
    (and is what cluster-scoped kinds, namespaces and nodes, take); a sequence of namespaces
    gives the names found in each of them.  Raises ``LookupFailed`` on any error or after
    ``TIMEOUT`` (for all the look-ups together).
    """
    namespaces = [namespace] if namespace is None or isinstance(namespace, str) else list(namespace)
    try:
        return asyncio.run(asyncio.wait_for(_names(kubeconfig, context, kind, namespaces, env), TIMEOUT))
    except (PysternError, OSError, ValueError, TimeoutError) as exc:
        raise LookupFailed(str(exc) or type(exc).__name__) from None
