"""Which container instance a log stream serves: the API server's view of a tail's instance.

The log endpoint cannot name an instance, so a tail that cannot check a stream against the
last line it printed asks the API server for the pod (``server_view``) and compares the
container IDs it shows with its own.
"""

from __future__ import annotations

from pystern import errors
from pystern.model import Target
from pystern.ports import Cluster


class InstanceGone(errors.ConnectionLost):
    """The API server shows neither this instance nor it as the container's previous one: its log is gone."""


class ServerView:
    """What the API server says of a tail's container instance (plain string constants)."""

    SAME = "same"
    """The kubelet serves this instance's log to a normal request."""
    PREVIOUS = "previous"
    """Replaced once: this instance's log is the container's previous log."""
    GONE = "gone"
    """Replaced more than once, or the pod was recreated under its name: this instance's log is gone."""
    DELETED = "deleted"
    """No pod of that name any more: the server cannot say which instance a stream opened before served."""
    UNKNOWN = "unknown"
    """The server could not be asked (it may be restarting)."""


async def server_view(cluster: Cluster, t: Target) -> str:
    """What the API server says of the tail's container instance now (a :class:`ServerView`)."""
    if not t.container_id:
        return ServerView.SAME  # nothing to compare with
    try:
        listed = await cluster.list_pods(t.namespace, "", f"metadata.name={t.pod}")
    except errors.PysternError:
        return ServerView.UNKNOWN
    for pod in listed.pods:
        st = pod.status_of(t.container, t.kind) if pod.uid == t.pod_uid else None
        if st is None:
            continue
        if st.log_container_id == t.container_id:
            return ServerView.SAME
        last = st.last_terminated
        if last is not None and last.container_id == t.container_id:
            return ServerView.PREVIOUS
        return ServerView.GONE
    if listed.pods:
        return ServerView.GONE  # recreated under the same name: what a stream serves is not ours
    return ServerView.DELETED
