"""The API server's pod printer (pkg/printers/internalversion printPod), in a simplified form.

STATUS follows the reason, init progress, waiting/terminated reasons and Terminating as
kubectl shows them; the -o wide cells (IP, node...) are always sent, as the server does.
"""

from __future__ import annotations

import time
from typing import Any

from pystern.timefmt import parse_rfc3339_ns

NAME_COLUMN = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "priority": 0,
    "description": "Name must be unique within a namespace.",
}
AGE_COLUMN = {
    "name": "Age",
    "type": "string",
    "format": "",
    "priority": 0,
    "description": "CreationTimestamp is a timestamp representing the server time when this object "
    "was created.",
}

POD_COLUMNS = [
    NAME_COLUMN,
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
    AGE_COLUMN,
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
