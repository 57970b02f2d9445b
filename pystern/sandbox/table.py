"""``meta.k8s.io/v1`` Table rendering, so ``kubectl get pods`` shows READY/STATUS/RESTARTS.

kubectl asks for ``as=Table``; given a plain list it prints only NAME and AGE.  The
cells follow the API server's pod printer (pkg/printers/internalversion printPod), in
a simplified form: status reason, init progress, waiting/terminated reasons, Terminating.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pystern.timefmt import parse_rfc3339_ns

_NAME = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "priority": 0,
    "description": "Name must be unique within a namespace.",
}
_AGE = {
    "name": "Age",
    "type": "string",
    "format": "",
    "priority": 0,
    "description": "CreationTimestamp is a timestamp representing the server time when this object "
    "was created.",
}

POD_COLUMNS = [
    _NAME,
    {
        "name": "Ready",
        "type": "string",
        "format": "",
        "priority": 0,
        "description": "The aggregate readiness state of this pod for accepting traffic.",
    },
    {
        "name": "Status",
        "type": "string",
        "format": "",
        "priority": 0,
        "description": "The aggregate status of the containers in this pod.",
    },
    {
        "name": "Restarts",
        "type": "string",
        "format": "",
        "priority": 0,
        "description": "The number of times the containers in this pod have been restarted and when the "
        "last container in this pod has restarted.",
    },
    _AGE,
    {
        "name": "IP",
        "type": "string",
        "format": "",
        "priority": 1,
        "description": "IP address allocated to the pod. Routable at least within the cluster.",
    },
    {
        "name": "Node",
        "type": "string",
        "format": "",
        "priority": 1,
        "description": "NodeName is a request to schedule this pod onto a specific node.",
    },
    {
        "name": "Nominated Node",
        "type": "string",
        "format": "",
        "priority": 1,
        "description": "nominatedNodeName is set only when this pod preempts other pods on the node.",
    },
    {
        "name": "Readiness Gates",
        "type": "string",
        "format": "",
        "priority": 1,
        "description": "If specified, all readiness gates will be evaluated for pod readiness.",
    },
]


def human_age(created: str, now: float | None = None) -> str:
    """kubectl's short duration (``5s``, ``3m``, ``2d``) since ``created``; ``<unknown>`` if unset."""
    if not created:
        return "<unknown>"
    seconds = int((now if now is not None else time.time()) - parse_rfc3339_ns(created) / 1e9)
    seconds = max(seconds, 0)
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"


def _pod_summary(pod: dict[str, Any]) -> tuple[str, int, int, int, str]:
    """kubectl's printPod: (STATUS, ready, total, restarts, last restart's finishedAt)."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase or "Unknown"
    sidecars = {c["name"] for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = restarts = sidecar_restarts = 0
    last = sidecar_last = ""
    inits = status.get("initContainerStatuses") or []
    initializing = False
    for i, cs in enumerate(inits):
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt") or ""
        restarts += int(cs.get("restartCount", 0))
        last = max(last, finished)
        if cs["name"] in sidecars:
            sidecar_restarts += int(cs.get("restartCount", 0))
            sidecar_last = max(sidecar_last, finished)
        state = cs.get("state") or {}
        term = state.get("terminated")
        if term and term.get("exitCode") == 0:
            continue
        if cs["name"] in sidecars and cs.get("started"):
            ready += bool(cs.get("ready"))
            continue
        if term:
            reason = "Init:" + (term.get("reason") or _exit_text(term))
        elif state.get("waiting", {}).get("reason") not in (None, "", "PodInitializing"):
            reason = "Init:" + state["waiting"]["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        initializing = True
        break
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    if not initializing or conditions.get("Initialized") == "True":
        restarts, last = sidecar_restarts, sidecar_last
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount", 0))
            last = max(last, ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt") or "")
            state = cs.get("state") or {}
            if state.get("waiting", {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated"):
                reason = state["terminated"].get("reason") or _exit_text(state["terminated"])
            elif state.get("running") and cs.get("ready"):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if conditions.get("Ready") == "True" else "NotReady"
    if (pod.get("metadata") or {}).get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return str(reason), ready, total, restarts, last


def _exit_text(term: dict[str, Any]) -> str:
    return f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"


def pod_cells(pod: dict[str, Any]) -> list[Any]:
    """One Table row's cells for a pod."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    reason, ready, total, restarts, last = _pod_summary(pod)
    return [
        meta.get("name", ""),
        f"{ready}/{total}",
        reason,
        f"{restarts} ({human_age(last)} ago)" if restarts and last else str(restarts),
        human_age(meta.get("creationTimestamp", "")),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        "<none>",
    ]


def _col(name: str, priority: int = 0) -> dict[str, Any]:
    return {"name": name, "type": "string", "format": "", "priority": priority, "description": name}


def _ready(obj: dict[str, Any], ready_key: str, want: int) -> str:
    return f"{(obj.get('status') or {}).get(ready_key, 0) or 0}/{want}"


def _deployment(obj: dict[str, Any]) -> list[Any]:
    want = int((obj.get("spec") or {}).get("replicas", 1))
    status = obj.get("status") or {}
    return [
        _ready(obj, "readyReplicas", want),
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
    ]


def _replicaset(obj: dict[str, Any]) -> list[Any]:
    want = int((obj.get("spec") or {}).get("replicas", 1))
    status = obj.get("status") or {}
    return [want, status.get("replicas", 0), status.get("readyReplicas", 0)]


def _job(obj: dict[str, Any]) -> list[Any]:
    status = obj.get("status") or {}
    done = "Complete" if status.get("succeeded") else "Running"
    start, end = status.get("startTime") or "", status.get("completionTime") or ""
    # kubectl: from the start to the completion, or to now while it runs.
    duration = human_age(start, parse_rfc3339_ns(end) / 1e9 if end else None) if start else ""
    completions = f"{status.get('succeeded', 0)}/{(obj.get('spec') or {}).get('completions', 1)}"
    return [done, completions, duration]


def _cronjob(obj: dict[str, Any]) -> list[Any]:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    last = status.get("lastScheduleTime") or ""
    return [
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        "True" if spec.get("suspend") else "False",
        len(status.get("active") or []),
        human_age(last) if last else "<none>",
    ]


def _daemonset(obj: dict[str, Any]) -> list[Any]:
    status = obj.get("status") or {}
    desired = status.get("desiredNumberScheduled", 0)
    node_selector = ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("nodeSelector")
    return [
        desired,
        status.get("currentNumberScheduled", desired),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", desired),
        status.get("numberAvailable", status.get("numberReady", 0)),
        ",".join(f"{k}={v}" for k, v in sorted(node_selector.items())) if node_selector else "<none>",
    ]


def _service(obj: dict[str, Any]) -> list[Any]:
    spec = obj.get("spec") or {}
    ports = [f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or []]
    external = spec.get("externalIPs") or [
        i.get("ip") or i.get("hostname")
        for i in ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    ]
    return [
        spec.get("type", ""),
        spec.get("clusterIP", ""),
        ",".join(external) if external else "<none>",
        ",".join(ports) if ports else "<none>",
    ]


def _node(obj: dict[str, Any]) -> list[Any]:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (obj.get("status") or {}).get("conditions") or []
    )
    info = (obj.get("status") or {}).get("nodeInfo") or {}
    return ["Ready" if ready else "NotReady", ",".join(roles) or "<none>", info.get("kubeletVersion", "")]


# resource -> (the columns after Name, with Age where the API server's printer puts it; the cell
# function, which gives every cell but Name and Age)
_EXTRA: dict[str, tuple[list[str], Callable[[dict[str, Any]], list[Any]]]] = {
    "deployments": (["Ready", "Up-to-date", "Available", "Age"], _deployment),
    "replicasets": (["Desired", "Current", "Ready", "Age"], _replicaset),
    "statefulsets": (
        ["Ready", "Age"],
        lambda o: [_ready(o, "readyReplicas", int((o.get("spec") or {}).get("replicas", 1)))],
    ),
    "jobs": (["Status", "Completions", "Duration", "Age"], _job),
    "cronjobs": (["Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age"], _cronjob),
    "namespaces": (["Status", "Age"], lambda o: [(o.get("status") or {}).get("phase", "Active")]),
    "nodes": (["Status", "Roles", "Age", "Version"], _node),
    "services": (["Type", "Cluster-IP", "External-IP", "Port(s)", "Age"], _service),
    "daemonsets": (
        ["Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age"],
        _daemonset,
    ),
}


def _columns(resource: str) -> list[dict[str, Any]]:
    if resource == "pods":
        return POD_COLUMNS
    names = _EXTRA[resource][0] if resource in _EXTRA else ["Age"]
    return [_NAME, *(_AGE if name == "Age" else _col(name) for name in names)]


def _row(resource: str, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    if resource == "pods":
        cells = pod_cells(obj)
    else:
        names, cell_fn = _EXTRA.get(resource, (["Age"], lambda o: []))
        cells = [meta.get("name", ""), *cell_fn(obj)]
        cells.insert(1 + names.index("Age"), human_age(meta.get("creationTimestamp", "")))
    return {
        "cells": cells,
        "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta},
    }


def table(resource: str, items: list[dict[str, Any]], resource_version: str) -> dict[str, Any]:
    """A Table for a list (or a one-row Table for a watch event)."""
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": _columns(resource),
        "rows": [_row(resource, obj) for obj in items],
    }


def wants_table(accept: str) -> bool:
    """Whether the Accept header asks for a meta.k8s.io Table."""
    return "as=Table" in accept
