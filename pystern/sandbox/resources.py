"""The resources the sandbox serves, and the legacy discovery documents built from them.

kubectl asks for aggregated discovery first; answering with plain ``application/json``
makes it fall back to these legacy documents (client-go discovery_client.go), which are
much smaller to reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-pystern-sandbox",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.4",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True, slots=True)
class Resource:
    """One served resource type."""

    name: str
    group: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    singular: str = ""
    verbs: tuple[str, ...] = ("get", "list", "watch")
    """What discovery claims: exactly what the sandbox serves (``kubectl api-resources --verbs``)."""

    @property
    def group_version(self) -> str:
        """``v1`` or ``apps/v1``."""
        return f"{self.group}/v1" if self.group else "v1"


RESOURCES: tuple[Resource, ...] = (
    Resource("pods", "", "Pod", True, ("po",), "pod", ("delete", "get", "list", "watch")),
    Resource("namespaces", "", "Namespace", False, ("ns",), "namespace"),
    Resource("nodes", "", "Node", False, ("no",), "node"),
    Resource("services", "", "Service", True, ("svc",), "service"),
    Resource("replicationcontrollers", "", "ReplicationController", True, ("rc",), "replicationcontroller"),
    Resource(
        "deployments",
        "apps",
        "Deployment",
        True,
        ("deploy",),
        "deployment",
        ("get", "list", "patch", "watch"),
    ),
    Resource("replicasets", "apps", "ReplicaSet", True, ("rs",), "replicaset"),
    Resource(
        "statefulsets",
        "apps",
        "StatefulSet",
        True,
        ("sts",),
        "statefulset",
        ("get", "list", "patch", "watch"),
    ),
    Resource(
        "daemonsets", "apps", "DaemonSet", True, ("ds",), "daemonset", ("get", "list", "patch", "watch")
    ),
    Resource("jobs", "batch", "Job", True, (), "job"),
    Resource("cronjobs", "batch", "CronJob", True, ("cj",), "cronjob"),
    # Served (kubectl get events, describe) but never written: the sandbox records no events.
    Resource("events", "", "Event", True, ("ev",), "event"),
    # Each node's heartbeat, in kube-node-lease (kubectl describe node shows it).
    Resource("leases", "coordination.k8s.io", "Lease", True, (), "lease"),
    # kubectl auth whoami / auth can-i: created (POSTed) only, never stored.
    Resource(
        "selfsubjectreviews",
        "authentication.k8s.io",
        "SelfSubjectReview",
        False,
        (),
        "selfsubjectreview",
        ("create",),
    ),
    Resource(
        "selfsubjectrulesreviews",
        "authorization.k8s.io",
        "SelfSubjectRulesReview",
        False,
        (),
        "selfsubjectrulesreview",
        ("create",),
    ),
    Resource(
        "selfsubjectaccessreviews",
        "authorization.k8s.io",
        "SelfSubjectAccessReview",
        False,
        (),
        "selfsubjectaccessreview",
        ("create",),
    ),
)
BY_PATH: dict[tuple[str, str], Resource] = {(r.group, r.name): r for r in RESOURCES}
# In the API server's order of /apis (kubectl api-versions sorts them).
GROUPS = ("apps", "authentication.k8s.io", "authorization.k8s.io", "batch", "coordination.k8s.io")
_ALL = {"pods", "services", "replicationcontrollers", "deployments", "replicasets", "statefulsets"}
_ALL |= {"daemonsets", "jobs", "cronjobs"}
"""The resources in the ``all`` category (``kubectl get all``)."""


def api_versions(server_address: str) -> dict[str, Any]:
    """``GET /api``."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group_list() -> dict[str, Any]:
    """``GET /apis``."""
    groups = []
    for group in GROUPS:
        gv = {"groupVersion": f"{group}/v1", "version": "v1"}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict[str, Any] | None:
    """``GET /apis/<group>``."""
    if group not in GROUPS:
        return None
    gv = {"groupVersion": f"{group}/v1", "version": "v1"}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": [gv], "preferredVersion": gv}


def resource_list(group: str) -> dict[str, Any] | None:
    """``GET /api/v1`` or ``GET /apis/<group>/v1``."""
    if group and group not in GROUPS:
        return None
    entries: list[dict[str, Any]] = []
    for res in RESOURCES:
        if res.group != group:
            continue
        entry: dict[str, Any] = {
            "name": res.name,
            "singularName": res.singular,
            "namespaced": res.namespaced,
            "kind": res.kind,
            "verbs": list(res.verbs),
        }
        if res.short_names:
            entry["shortNames"] = list(res.short_names)
        if res.name in _ALL:
            entry["categories"] = ["all"]
        entries.append(entry)
        if res.name == "pods":
            entries.append(
                {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]}
            )
        if res.name == "deployments":  # kubectl scale patches it
            scale = {"name": "deployments/scale", "singularName": "", "namespaced": True, "kind": "Scale"}
            entries.append({**scale, "group": "autoscaling", "version": "v1", "verbs": ["patch"]})
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/v1" if group else "v1",
        "resources": entries,
    }
