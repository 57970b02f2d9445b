"""Pod JSON -> ``model.Pod``, straight from ``json.loads`` dicts (stdlib only).

kubernetes_asyncio's generated models are ~30x slower to build and are never used on
the watch or log path.  Parsing is lenient about optional fields (``null`` where a map
is expected, missing status lists early in a pod's life) and strict only about what
identifies a pod: ``metadata.name`` and ``metadata.namespace``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pystern.model import (
    EMPTY_MAP,
    ContainerKind,
    ContainerStateName,
    ContainerStatus,
    OwnerReference,
    Pod,
    Termination,
)

__all__ = ["MalformedObject", "parse_pod", "parse_termination"]


class MalformedObject(ValueError):
    """An API object without the fields that identify it."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str_map(value: Any) -> Mapping[str, str]:
    if not isinstance(value, dict) or not value:
        return EMPTY_MAP
    return MappingProxyType({str(k): v if isinstance(v, str) else str(v) for k, v in value.items()})


def parse_termination(state: Any) -> Termination | None:
    """A ``terminated`` state dict -> ``Termination`` (None when absent)."""
    if not isinstance(state, dict):
        return None
    return Termination(
        exit_code=_int(state.get("exitCode")),
        reason=_str(state.get("reason")),
        container_id=_str(state.get("containerID")),
        signal=_int(state.get("signal")),
        finished_at=_str(state.get("finishedAt")),
        started_at=_str(state.get("startedAt")),
    )


def _status(raw: Any, kind: ContainerKind) -> ContainerStatus | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return None
    state = _dict(raw.get("state"))
    terminated = None
    waiting_reason = started_at = ""
    if "running" in state:
        name = ContainerStateName.RUNNING
        started_at = _str(_dict(state["running"]).get("startedAt"))
    elif "terminated" in state:
        name = ContainerStateName.TERMINATED
        terminated = parse_termination(state["terminated"])
        started_at = terminated.started_at if terminated is not None else ""
    elif "waiting" in state:
        name = ContainerStateName.WAITING
        waiting_reason = _str(_dict(state["waiting"]).get("reason"))
    else:
        name = ContainerStateName.UNKNOWN
    return ContainerStatus(
        name=raw["name"],
        kind=kind,
        state=name,
        container_id=_str(raw.get("containerID")),
        restart_count=_int(raw.get("restartCount")),
        waiting_reason=waiting_reason,
        terminated=terminated,
        last_terminated=parse_termination(_dict(raw.get("lastState")).get("terminated")),
        started_at=started_at,
    )


_SPEC_LISTS = (
    ("initContainers", ContainerKind.INIT),
    ("containers", ContainerKind.REGULAR),
    ("ephemeralContainers", ContainerKind.EPHEMERAL),
)
_STATUS_LISTS = (
    ("initContainerStatuses", ContainerKind.INIT),
    ("containerStatuses", ContainerKind.REGULAR),
    ("ephemeralContainerStatuses", ContainerKind.EPHEMERAL),
)


def parse_pod(obj: Any) -> Pod:
    """Build a ``Pod`` from the raw JSON dict of a list item or watch event object.

    Raises ``MalformedObject`` when the object has no name or namespace.
    """
    if not isinstance(obj, dict):
        raise MalformedObject(f"expected a pod object, got {type(obj).__name__}")
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise MalformedObject("pod object without metadata")
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or not name or not isinstance(namespace, str) or not namespace:
        raise MalformedObject("pod object without metadata.name or metadata.namespace")
    spec = _dict(obj.get("spec"))
    status = _dict(obj.get("status"))
    owners = tuple(
        OwnerReference(
            kind=_str(ref.get("kind")),
            name=_str(ref.get("name")),
            uid=_str(ref.get("uid")),
            controller=ref.get("controller") is True,
        )
        for ref in _list(meta.get("ownerReferences"))
        if isinstance(ref, dict)
    )
    conditions = {
        c["type"]: _str(c.get("status"))
        for c in _list(status.get("conditions"))
        if isinstance(c, dict) and isinstance(c.get("type"), str)
    }
    spec_containers = tuple(
        (c["name"], kind)
        for key, kind in _SPEC_LISTS
        for c in _list(spec.get(key))
        if isinstance(c, dict) and isinstance(c.get("name"), str)
    )
    statuses = tuple(
        parsed
        for key, kind in _STATUS_LISTS
        for raw in _list(status.get(key))
        if (parsed := _status(raw, kind)) is not None
    )
    return Pod(
        namespace=namespace,
        name=name,
        uid=_str(meta.get("uid")),
        resource_version=_str(meta.get("resourceVersion")),
        node_name=_str(spec.get("nodeName")),
        phase=_str(status.get("phase")),
        labels=_str_map(meta.get("labels")),
        annotations=_str_map(meta.get("annotations")),
        owners=owners,
        generate_name=_str(meta.get("generateName")),
        deleting=bool(meta.get("deletionTimestamp")),
        conditions=MappingProxyType(conditions) if conditions else EMPTY_MAP,
        spec_containers=spec_containers,
        statuses=statuses,
    )
