"""``meta.k8s.io/v1`` Table rendering, so ``kubectl get`` shows the API server's columns.

kubectl asks for ``as=Table``; given a plain list it prints only NAME and AGE.  Pods use
:mod:`pystern.sandbox.podprinter`; the other resources' cells follow the server's printers
(pkg/printers/internalversion), -o wide columns included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pystern.sandbox.podprinter import AGE_COLUMN, NAME_COLUMN, POD_COLUMNS, human_age, pod_cells
from pystern.timefmt import parse_rfc3339_ns


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


def _containers(template_spec: dict[str, Any]) -> list[str]:
    """kubectl's layoutContainerCells: the names, then the images, comma-separated."""
    containers = template_spec.get("containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


def format_selector(selector: dict[str, Any] | None) -> str:
    """metav1.FormatLabelSelector: requirements sorted by key; ``<none>`` when there are none."""
    reqs: list[tuple[str, str]] = [
        (k, f"{k}={v}") for k, v in ((selector or {}).get("matchLabels") or {}).items()
    ]
    for expr in (selector or {}).get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), sorted(expr.get("values") or [])
        text = {"In": f"{key} in ({','.join(values)})", "NotIn": f"{key} notin ({','.join(values)})"}
        reqs.append((key, text.get(op, key if op == "Exists" else f"!{key}")))
    return ",".join(text for _, text in sorted(reqs)) or "<none>"


def _format_labels(labels: dict[str, str] | None) -> str:
    """labels.FormatLabels, for the plain-map selectors of services and replication controllers."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "<none>"


def _workload_wide(obj: dict[str, Any], *, selector: bool = True) -> list[str]:
    spec = obj.get("spec") or {}
    template = spec.get("template") or (spec.get("jobTemplate") or {}).get("spec", {}).get("template") or {}
    cells = _containers(template.get("spec") or {})
    if not selector:
        return cells
    sel = spec.get("selector") if "jobTemplate" not in spec else spec["jobTemplate"]["spec"].get("selector")
    if isinstance(sel, dict) and not {"matchLabels", "matchExpressions"} & set(sel):
        return [*cells, _format_labels(sel)]  # a replication controller's plain map
    return [*cells, format_selector(sel)]


def _node_wide(obj: dict[str, Any]) -> list[str]:
    status = obj.get("status") or {}
    addresses = {a.get("type"): a.get("address") for a in reversed(status.get("addresses") or [])}
    info = status.get("nodeInfo") or {}
    return [
        addresses.get("InternalIP") or "<none>",
        addresses.get("ExternalIP") or "<none>",
        *(info.get(key) or "<unknown>" for key in ("osImage", "kernelVersion", "containerRuntimeVersion")),
    ]


_WORKLOAD_WIDE = ["Containers", "Images", "Selector"]

# resource -> (the columns after Name, with Age where the API server's printer puts it; the -o wide
# columns, which the server always sends and kubectl shows only with -o wide; the cell function,
# which gives every cell but Name and Age, the wide ones last)
_EXTRA: dict[str, tuple[list[str], list[str], Callable[[dict[str, Any]], list[Any]]]] = {
    "deployments": (
        ["Ready", "Up-to-date", "Available", "Age"],
        _WORKLOAD_WIDE,
        lambda o: [*_deployment(o), *_workload_wide(o)],
    ),
    "replicasets": (
        ["Desired", "Current", "Ready", "Age"],
        _WORKLOAD_WIDE,
        lambda o: [*_replicaset(o), *_workload_wide(o)],
    ),
    "replicationcontrollers": (
        ["Desired", "Current", "Ready", "Age"],
        _WORKLOAD_WIDE,
        lambda o: [*_replicaset(o), *_workload_wide(o)],
    ),
    "statefulsets": (
        ["Ready", "Age"],
        ["Containers", "Images"],
        lambda o: [
            _ready(o, "readyReplicas", int((o.get("spec") or {}).get("replicas", 1))),
            *_workload_wide(o, selector=False),
        ],
    ),
    "jobs": (
        ["Status", "Completions", "Duration", "Age"],
        _WORKLOAD_WIDE,
        lambda o: [*_job(o), *_workload_wide(o)],
    ),
    "cronjobs": (
        ["Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age"],
        _WORKLOAD_WIDE,
        lambda o: [*_cronjob(o), *_workload_wide(o)],
    ),
    "namespaces": (["Status", "Age"], [], lambda o: [(o.get("status") or {}).get("phase", "Active")]),
    "leases": (["Holder", "Age"], [], lambda o: [(o.get("spec") or {}).get("holderIdentity", "")]),
    "nodes": (
        ["Status", "Roles", "Age", "Version"],
        ["Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"],
        lambda o: [*_node(o), *_node_wide(o)],
    ),
    "services": (
        ["Type", "Cluster-IP", "External-IP", "Port(s)", "Age"],
        ["Selector"],
        lambda o: [*_service(o), _format_labels((o.get("spec") or {}).get("selector"))],
    ),
    "daemonsets": (
        ["Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age"],
        _WORKLOAD_WIDE,
        lambda o: [*_daemonset(o), *_workload_wide(o)],
    ),
}


def _columns(resource: str) -> list[dict[str, Any]]:
    if resource == "pods":
        return POD_COLUMNS
    names, wide, _ = _EXTRA.get(resource, (["Age"], [], None))
    return [
        NAME_COLUMN,
        *(AGE_COLUMN if name == "Age" else _col(name) for name in names),
        *(_col(n, 1) for n in wide),
    ]


def _row(resource: str, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    if resource == "pods":
        cells = pod_cells(obj)
    else:
        names, _, cell_fn = _EXTRA.get(resource, (["Age"], [], lambda o: []))
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
