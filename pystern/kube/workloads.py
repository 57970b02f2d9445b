"""``kind/name`` queries: turn a workload into a pod label selector plus an ownership check.

The selector comes from ``spec.selector`` (what the controller itself uses; kubectl does
the same), not from the pod template labels as stern does: template labels can be
narrower and change between rollouts.  A selector can still match pods the workload does
not own (two deployments with overlapping labels), so ``WorkloadSelector.owns`` follows
``ownerReferences``:

* deployment -> its ReplicaSets -> pods; cronjob -> its Jobs -> pods;
* statefulset, daemonset, job, replicationcontroller, replicaset -> pods directly;
* service: the selector alone (services own nothing); pod: the exact name.

Owner look-ups are cached by UID.  A rolling update creates ReplicaSets during the run,
so an unknown owner UID is looked up (one GET, shared by concurrent callers), never
rejected outright.  A workload deleted and created again under its name (a redeploy with
``kubectl delete`` + ``apply``) has a new UID: an owner of the same kind and name with an
unknown UID is checked against the workload as it is now, so the new one is followed too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from pystern.errors import ApiError, PysternError
from pystern.model import OwnerReference, Pod
from pystern.ports import Cluster
from pystern.selectors import label_selector_to_string

__all__ = ["ALIASES", "WorkloadError", "WorkloadSelector", "resolve_workload"]

ALIASES: dict[str, str] = {
    "po": "pods",
    "pod": "pods",
    "deploy": "deployments",
    "deployment": "deployments",
    "rs": "replicasets",
    "replicaset": "replicasets",
    "sts": "statefulsets",
    "statefulset": "statefulsets",
    "ds": "daemonsets",
    "daemonset": "daemonsets",
    "job": "jobs",
    "cj": "cronjobs",
    "cronjob": "cronjobs",
    "svc": "services",
    "service": "services",
    "rc": "replicationcontrollers",
    "replicationcontroller": "replicationcontrollers",
}
_DIRECT = {
    "replicasets": "ReplicaSet",
    "statefulsets": "StatefulSet",
    "daemonsets": "DaemonSet",
    "jobs": "Job",
    "replicationcontrollers": "ReplicationController",
}
# Two-level ownership: workload kind -> (intermediate resource, its ownerReference kind).
_VIA = {"deployments": ("replicasets", "ReplicaSet"), "cronjobs": ("jobs", "Job")}
_OWNER_KIND = {**_DIRECT, "deployments": "Deployment", "cronjobs": "CronJob"}
_KINDS = {"pods", "services", *_DIRECT, *_VIA}


class WorkloadError(PysternError):
    """A workload that cannot select pods (e.g. a service without a selector)."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _owner_refs(obj: Mapping[str, Any]) -> list[OwnerReference]:
    refs = _dict(obj.get("metadata")).get("ownerReferences")
    return [
        OwnerReference(str(r.get("kind") or ""), str(r.get("name") or ""), str(r.get("uid") or ""))
        for r in refs or ()
        if isinstance(r, dict)
    ]


class WorkloadSelector:
    """The pods of one workload: ``label_selector`` for list/watch, ``owns`` to confirm."""

    def __init__(
        self,
        cluster: Cluster,
        kind: str,
        name: str,
        namespace: str,
        obj: dict[str, Any],
        label_selector: str,
        field_selector: str = "",
    ) -> None:
        self.cluster = cluster
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.object = obj
        self.uid = str(_dict(obj.get("metadata")).get("uid") or "")
        self.label_selector = label_selector
        self.field_selector = field_selector
        self._known: dict[str, bool] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._incarnations: dict[str, bool] = {self.uid: True}
        """Workload UID -> whether it is this workload (it may be deleted and created again)."""
        self.warnings: list[str] = []
        """Look-ups that could not be made (403): the selector was trusted instead."""

    def seed(self, intermediates: list[dict[str, Any]]) -> None:
        """Record which ReplicaSets / Jobs from a list belong to this workload."""
        for item in intermediates:
            uid = _dict(item.get("metadata")).get("uid")
            if isinstance(uid, str) and uid:
                self._known[uid] = any(ref.uid == self.uid for ref in _owner_refs(item))

    async def owns(self, pod: Pod) -> bool:
        """Whether the workload really owns ``pod`` (a selector match alone is not enough)."""
        if pod.namespace != self.namespace:
            return False
        if self.kind == "pods":
            return pod.name == self.name
        if self.kind == "services":
            return True
        if self.kind in _DIRECT:
            for ref in pod.owners:
                if await self._is_this_workload(ref):
                    return True
            return False
        resource, ref_kind = _VIA[self.kind]
        for ref in pod.owners:
            if ref.kind == ref_kind and await self._intermediate_owned(resource, ref):
                return True
        return False

    async def _intermediate_owned(self, resource: str, ref: OwnerReference) -> bool:
        if ref.uid in self._known:
            return self._known[ref.uid]
        lock = self._locks.setdefault(ref.uid, asyncio.Lock())
        async with lock:
            if ref.uid in self._known:
                return self._known[ref.uid]
            try:
                obj = await self.cluster.get_object(resource, self.namespace, ref.name)
            except ApiError as exc:
                if exc.status == 404:
                    result = False  # already gone: its pods are going too
                elif exc.status == 403:
                    self.warnings.append(str(exc))
                    result = True  # cannot check: trust the label selector
                else:
                    raise
            else:
                # A re-created object with the same name has a new UID: not our owner.
                result = False
                if _dict(obj.get("metadata")).get("uid") == ref.uid:
                    for owner in _owner_refs(obj):
                        result = result or await self._is_this_workload(owner)
            self._known[ref.uid] = result
            self._locks.pop(ref.uid, None)
            return result

    async def _is_this_workload(self, ref: OwnerReference) -> bool:
        """Whether an owner reference points at this workload, in this or a later incarnation."""
        if ref.uid in self._incarnations:
            return self._incarnations[ref.uid]
        if ref.kind != _OWNER_KIND[self.kind] or ref.name != self.name:
            return False
        lock = self._locks.setdefault(ref.uid, asyncio.Lock())
        async with lock:
            if ref.uid not in self._incarnations:
                # Same kind and name, another UID: deleted and created again, or a stale reference.
                try:
                    obj = await self.cluster.get_object(self.kind, self.namespace, self.name)
                except ApiError as exc:
                    if exc.status not in (403, 404):
                        raise
                    result = exc.status == 403  # 403: cannot check, trust the name as for owners
                else:
                    result = _dict(obj.get("metadata")).get("uid") == ref.uid
                self._incarnations[ref.uid] = result
            self._locks.pop(ref.uid, None)
            return self._incarnations[ref.uid]


async def _find_in_all_namespaces(cluster: Cluster, kind: str, name: str) -> dict[str, Any]:
    """``-A`` with ``kind/name``: the one object of that name in any namespace."""
    found = [
        item
        for item in await cluster.list_objects(kind, None)
        if _dict(item.get("metadata")).get("name") == name
    ]
    if not found:
        group = {"services": "", "replicationcontrollers": "", "pods": ""}.get(kind)
        suffix = "" if group is not None else (".batch" if kind in ("jobs", "cronjobs") else ".apps")
        raise ApiError(404, "NotFound", f'{kind}{suffix} "{name}" not found in any namespace')
    if len(found) > 1:
        spaces = ", ".join(sorted(str(_dict(i.get("metadata")).get("namespace")) for i in found))
        raise WorkloadError(f'{kind} "{name}" exists in several namespaces ({spaces}); choose one with -n')
    return found[0]


async def resolve_workload(cluster: Cluster, kind: str, name: str, namespace: str) -> WorkloadSelector:
    """GET the workload and build its selector (``namespace=""``: search every namespace).

    Raises ``ApiError`` with the server's message and the namespace
    (``deployments.apps "web" not found in namespace "shop"``)
    and ``WorkloadError`` for a service without a selector.
    """
    kind = ALIASES.get(kind.lower(), kind.lower())
    if kind not in _KINDS:
        raise WorkloadError(f"cannot select pods of {kind!r}; use one of: {', '.join(sorted(_KINDS))}")
    if namespace:
        try:
            obj = await cluster.get_object(kind, namespace, name)
        except ApiError as exc:
            if exc.status != 404 or not exc.message:
                raise
            # kubectl's text leaves the namespace out; with -n a,b (looked up in each) or the
            # context's namespace, which one lacks the object is what the user needs to know.
            raise ApiError(404, exc.reason, f'{exc.message} in namespace "{namespace}"') from exc
    else:
        obj = await _find_in_all_namespaces(cluster, kind, name)
        namespace = str(_dict(obj.get("metadata")).get("namespace") or "")
    if kind == "pods":
        return WorkloadSelector(cluster, kind, name, namespace, obj, "", f"metadata.name={name}")
    spec = _dict(obj.get("spec"))
    if kind in ("services", "replicationcontrollers"):
        selector = _dict(spec.get("selector"))
        if not selector and kind == "replicationcontrollers":
            selector = _dict(_dict(_dict(spec.get("template")).get("metadata")).get("labels"))
        if not selector:
            raise WorkloadError(
                f'{kind[:-1]} "{name}" in namespace "{namespace}" has no selector, so no pods belong to it'
            )
        return WorkloadSelector(cluster, kind, name, namespace, obj, label_selector_to_string(selector))
    if kind == "cronjobs":
        job_spec = _dict(_dict(spec.get("jobTemplate")).get("spec"))
        # Jobs get generated controller-uid selectors, so the cronjob's template labels
        # (copied onto every pod) narrow the watch and ownership does the rest.
        raw = job_spec.get("selector") or _dict(_dict(job_spec.get("template")).get("metadata")).get("labels")
        workload = WorkloadSelector(cluster, kind, name, namespace, obj, label_selector_to_string(_dict(raw)))
        job_labels = _dict(_dict(_dict(spec.get("jobTemplate")).get("metadata")).get("labels"))
        if job_labels:  # the labels the CronJob controller puts on its Jobs
            workload.seed(await cluster.list_objects("jobs", namespace, label_selector_to_string(job_labels)))
        return workload
    pod_selector = label_selector_to_string(_dict(spec.get("selector")))
    if kind == "jobs":
        # A Job's generated selector is its controller-uid, so a Job created again under the same
        # name would go unseen; its pods also carry the job-name label, and ownership does the rest.
        labels = _dict(_dict(_dict(spec.get("template")).get("metadata")).get("labels"))
        for key in ("batch.kubernetes.io/job-name", "job-name"):
            if labels.get(key) == name and "controller-uid" in pod_selector:
                pod_selector = label_selector_to_string({key: name})
                break
    workload = WorkloadSelector(cluster, kind, name, namespace, obj, pod_selector)
    if kind == "deployments":
        workload.seed(await cluster.list_objects("replicasets", namespace, workload.label_selector))
    return workload
