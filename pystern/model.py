"""Frozen domain objects shared by every layer (stdlib only).

Names follow stern: a *Target* is one container instance of one pod that gets its
own log stream; a *Notice* is a line for stderr (``+ pod › container`` and friends).
Pods arrive from the API as JSON and are parsed by ``kube.objects`` into these small
dataclasses, never into kubernetes_asyncio's generated models (30x slower).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

EMPTY_MAP: Mapping[str, str] = MappingProxyType({})


class ContainerKind(enum.Enum):
    """Where a container is declared in the pod spec."""

    INIT = "init"
    REGULAR = "regular"
    EPHEMERAL = "ephemeral"


class ContainerStateName(enum.Enum):
    """The ``state`` of a container status (exactly one key is set by the kubelet)."""

    RUNNING = "running"
    WAITING = "waiting"
    TERMINATED = "terminated"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Termination:
    """A ``terminated`` state: why and how a container instance ended."""

    exit_code: int
    reason: str = ""
    container_id: str = ""
    signal: int = 0
    finished_at: str = ""
    started_at: str = ""


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    """One entry of ``status.(init|ephemeral)ContainerStatuses``."""

    name: str
    kind: ContainerKind
    state: ContainerStateName
    container_id: str = ""
    restart_count: int = 0
    waiting_reason: str = ""
    terminated: Termination | None = None
    last_terminated: Termination | None = None
    started_at: str = ""
    """RFC3339 start of the current instance (``running``/``terminated.startedAt``; empty if waiting)."""

    @property
    def log_container_id(self) -> str:
        """The instance whose log the kubelet serves, chosen as the kubelet does.

        running -> current ID; terminated with an ID -> that ID; otherwise the last
        terminated instance (a CrashLoopBackOff container serves its previous log).
        """
        if self.state is ContainerStateName.RUNNING and self.container_id:
            return self.container_id
        if self.state is ContainerStateName.TERMINATED and self.container_id:
            return self.container_id
        if self.last_terminated is not None and self.last_terminated.container_id:
            return self.last_terminated.container_id
        return ""


@dataclass(frozen=True, slots=True)
class OwnerReference:
    """``metadata.ownerReferences[]`` entry."""

    kind: str
    name: str
    uid: str
    controller: bool = False


@dataclass(frozen=True, slots=True)
class Pod:
    """The parts of a pod object a tailer reads."""

    namespace: str
    name: str
    uid: str
    resource_version: str = ""
    node_name: str = ""
    phase: str = ""
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_MAP)
    annotations: Mapping[str, str] = field(default_factory=lambda: EMPTY_MAP)
    owners: tuple[OwnerReference, ...] = ()
    generate_name: str = ""
    deleting: bool = False
    conditions: Mapping[str, str] = field(default_factory=lambda: EMPTY_MAP)
    """Condition type -> status (``"True"``/``"False"``/``"Unknown"``)."""
    spec_containers: tuple[tuple[str, ContainerKind], ...] = ()
    statuses: tuple[ContainerStatus, ...] = ()
    """Init, then regular, then ephemeral statuses (stern's candidate order)."""

    def status_of(self, container: str, kind: ContainerKind) -> ContainerStatus | None:
        """The status of one container of this pod, or None if it has none (yet)."""
        for status in self.statuses:
            if status.name == container and status.kind is kind:
                return status
        return None


class EventType(enum.Enum):
    """Watch event types that carry a pod."""

    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class PodEvent:
    """A pod watch event."""

    type: EventType
    pod: Pod


@dataclass(frozen=True, slots=True)
class PodList:
    """A list answer: the pods plus the resourceVersion to watch from."""

    pods: tuple[Pod, ...]
    resource_version: str
    server_time_ns: int = 0
    """The API server's clock when it answered (its ``Date`` header, whole seconds); 0: unknown."""


@dataclass(frozen=True, slots=True)
class Target:
    """One container instance whose log is streamed."""

    namespace: str
    pod: str
    container: str
    container_id: str = ""
    kind: ContainerKind = ContainerKind.REGULAR
    node_name: str = ""
    pod_uid: str = ""
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY_MAP)
    annotations: Mapping[str, str] = field(default_factory=lambda: EMPTY_MAP)
    context: str = ""
    """The kubeconfig context it came from ("" when tailing a single cluster)."""
    workload: str = ""
    """Owner group used to give replicas distinct colours (e.g. ``ReplicaSet/web-5d8f``)."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity of the container slot, independent of the instance (container ID)."""
        return (self.context, self.namespace, self.pod, self.container)


class NoticeKind(enum.Enum):
    """Kinds of stderr notices; the renderer decides their exact text and colour."""

    STARTED = "started"  # "+ pod › container"
    STOPPED = "stopped"  # "- pod › container"
    TERMINATED = "terminated"  # "pod › app terminated: OOMKilled (exit 137), restart 3"
    RETRYING = "retrying"  # stream broke, reconnecting
    GAVE_UP = "gave_up"
    WAITING = "waiting"  # max-log-requests queue
    WARNING = "warning"
    ERROR = "error"
    DIAGNOSTIC = "diagnostic"  # --verbosity 1: "pystern: <decision>"


@dataclass(frozen=True, slots=True)
class Notice:
    """A line for stderr.  ``target`` is set for per-container notices."""

    kind: NoticeKind
    text: str = ""
    target: Target | None = None
    extra: Mapping[str, str] = field(default_factory=lambda: EMPTY_MAP)
