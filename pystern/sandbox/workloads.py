"""The scenario driver, part 2: workloads (Deployment -> ReplicaSet -> Pod, and friends).

Objects carry what ``kubectl logs deploy/x`` and stern read: ``spec.selector``
(matchLabels / matchExpressions, or a plain map for Services and RCs),
``spec.template.metadata.labels``, and ownerReferences from each pod to its controller.
Pod names follow the controllers' patterns (``web-<hash>-<5 chars>``, ``db-0``, ...).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from pystern.sandbox.driver import PodDriver
from pystern.sandbox.pods import now_ns, rfc3339

# The alphabet Kubernetes uses for generated name suffixes (no vowels, no confusable digits).
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def _suffix(n: int = 5) -> str:
    return "".join(secrets.choice(_ALPHANUMS) for _ in range(n))


def _template_hash(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in digest[:10])


def _meta(
    name: str, namespace: str, labels: dict[str, str], owner: tuple[str, str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": _uid(),
        "generation": 1,
        "creationTimestamp": rfc3339(now_ns()),
    }
    if labels:
        meta["labels"] = dict(labels)
    if owner is not None:
        kind, oname, ouid = owner
        api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
        meta["ownerReferences"] = [
            {
                "apiVersion": api,
                "kind": kind,
                "name": oname,
                "uid": ouid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return meta


def _uid() -> str:
    import uuid

    return str(uuid.uuid4())


def _selector(
    match_labels: dict[str, str], match_expressions: Sequence[dict[str, Any]] | None
) -> dict[str, Any]:
    sel: dict[str, Any] = {"matchLabels": dict(match_labels)}
    if match_expressions:
        sel["matchExpressions"] = [dict(e) for e in match_expressions]
    return sel


def _template(
    labels: dict[str, str], containers: Sequence[str], restart_policy: str = "Always"
) -> dict[str, Any]:
    return {
        "metadata": {"labels": dict(labels)},
        "spec": {
            "containers": [{"name": c, "image": f"{c}:latest"} for c in containers],
            "restartPolicy": restart_policy,
        },
    }


class ScenarioDriver(PodDriver):
    """Everything a scenario can do to the simulated cluster (``sb.cluster``)."""

    # ---------------------------------------------------------------- deployments
    def add_deployment(
        self,
        name: str,
        *,
        namespace: str = "default",
        replicas: int = 1,
        labels: dict[str, str] | None = None,
        containers: Sequence[str] = ("app",),
        match_expressions: Sequence[dict[str, Any]] | None = None,
        **pod_kwargs: Any,
    ) -> dict[str, Any]:
        """A Deployment with one ReplicaSet ``name-<hash>`` and its pods ``name-<hash>-<xxxxx>``.

        ``labels`` (default ``{"app": name}``) are the selector's matchLabels and the
        template labels; extra keyword arguments go to :meth:`add_pod` for every pod.
        """
        labels = dict(labels or {"app": name})
        self.add_namespace(namespace)
        deploy = {
            "metadata": _meta(name, namespace, labels),
            "spec": {
                "replicas": replicas,
                "selector": _selector(labels, match_expressions),
                "template": _template(labels, containers),
                "strategy": {"type": "RollingUpdate"},
            },
            "status": {
                "observedGeneration": 1,
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
            },
        }
        deploy["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
        self.store.put("deployments", deploy)
        self._workload_pods[(namespace, name)] = {"containers": tuple(containers), **pod_kwargs}
        self._new_replicaset(deploy, revision=1)
        return deploy

    def _new_replicaset(
        self, deploy: dict[str, Any], revision: int, pods: int | None = None
    ) -> dict[str, Any]:
        meta = deploy["metadata"]
        name, namespace = meta["name"], meta["namespace"]
        spec = deploy["spec"]
        tmpl_labels = dict(spec["template"]["metadata"]["labels"])
        pth = _template_hash(f"{namespace}/{name}/{revision}/{meta['uid']}")
        rs_labels = {**tmpl_labels, "pod-template-hash": pth}
        rs_name = f"{name}-{pth}"
        selector = dict(spec["selector"])
        selector["matchLabels"] = {**selector.get("matchLabels", {}), "pod-template-hash": pth}
        rs = {
            "metadata": _meta(rs_name, namespace, rs_labels, ("Deployment", name, meta["uid"])),
            "spec": {
                "replicas": spec["replicas"],
                "selector": selector,
                "template": {**spec["template"], "metadata": {"labels": rs_labels}},
            },
            "status": {"replicas": spec["replicas"], "readyReplicas": spec["replicas"]},
        }
        rs["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": str(revision)}
        self.store.put("replicasets", rs)
        for _ in range(spec["replicas"] if pods is None else pods):
            self._rs_pod(rs, name)
        return rs

    def _rs_pod(self, rs: dict[str, Any], workload: str) -> dict[str, Any]:
        meta = rs["metadata"]
        kwargs = dict(self._workload_pods.get((meta["namespace"], workload), {}))
        return self.add_pod(
            f"{meta['name']}-{_suffix()}",
            namespace=meta["namespace"],
            labels=dict(meta["labels"]),
            owner=("ReplicaSet", meta["name"], meta["uid"]),
            generate_name=f"{meta['name']}-",
            **kwargs,
        )

    def _owned_pods(self, namespace: str, kind: str, owner_name: str) -> list[str]:
        return [
            rec.name
            for (ns, _), rec in self.pods.items()
            if ns == namespace and rec.owner is not None and rec.owner[:2] == (kind, owner_name)
        ]

    def _replicasets_of(self, name: str, namespace: str) -> list[dict[str, Any]]:
        """ReplicaSets owned by a Deployment, oldest revision first."""
        found = [
            rs
            for rs in self.store.items("replicasets", namespace)
            if any(
                o["name"] == name and o["kind"] == "Deployment"
                for o in rs["metadata"].get("ownerReferences", [])
            )
        ]
        return sorted(
            found, key=lambda rs: int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
        )

    def _start_revision(self, name: str, namespace: str) -> dict[str, Any]:
        deploy = self.store.get("deployments", namespace, name)
        if deploy is None:
            raise KeyError(f"no deployment {namespace}/{name}")
        revision = int(deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"]) + 1
        meta = {
            **deploy["metadata"],
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "generation": revision,
        }
        updated = {**deploy, "metadata": meta, "status": {**deploy["status"], "updatedReplicas": 0}}
        self.store.put("deployments", updated)
        return self._new_replicaset(updated, revision, pods=0)

    def _sync_deployment_status(self, name: str, namespace: str) -> None:
        deploy = self.store.get("deployments", namespace, name)
        if deploy is None:
            return
        sets = self._replicasets_of(name, namespace)
        counts = [len(self._owned_pods(namespace, "ReplicaSet", rs["metadata"]["name"])) for rs in sets]
        for rs, count in zip(sets, counts, strict=True):
            if rs["status"].get("replicas") != count:
                self.store.put(
                    "replicasets",
                    {
                        **rs,
                        "metadata": dict(rs["metadata"]),
                        "status": {"replicas": count, "readyReplicas": count},
                    },
                )
        total = sum(counts)
        updated = counts[-1] if counts else 0
        status = {
            "observedGeneration": deploy["metadata"]["generation"],
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": total,
            "availableReplicas": total,
        }
        if deploy["status"] != status:
            self.store.put("deployments", {**deploy, "metadata": dict(deploy["metadata"]), "status": status})

    def rolling_step(self, name: str, *, namespace: str = "default") -> dict[str, Any]:
        """One step of a rolling update: one pod of an older ReplicaSet gives way to one of the newest.

        When no update is in progress a new revision (a new ReplicaSet) is started first.
        Returns the new pod.
        """
        sets = self._replicasets_of(name, namespace)
        old = [
            p for rs in sets[:-1] for p in self._owned_pods(namespace, "ReplicaSet", rs["metadata"]["name"])
        ]
        if not old:
            newest = self._start_revision(name, namespace)
            old = [
                p for rs in sets for p in self._owned_pods(namespace, "ReplicaSet", rs["metadata"]["name"])
            ]
        else:
            newest = sets[-1]
        if old:
            victim = min(old, key=lambda p: self.pods[(namespace, p)].created_ns)
            self.delete_pod(victim, namespace=namespace)
        pod = self._rs_pod(newest, name)
        self._sync_deployment_status(name, namespace)
        return pod

    def rollout(self, name: str, *, namespace: str = "default") -> dict[str, Any]:
        """A new ReplicaSet revision whose pods replace every pod of the older ones at once."""
        new_rs = self._start_revision(name, namespace)
        old = [
            p
            for rs in self._replicasets_of(name, namespace)[:-1]
            for p in self._owned_pods(namespace, "ReplicaSet", rs["metadata"]["name"])
        ]
        for pod in old:
            self.delete_pod(pod, namespace=namespace)
        for _ in range(new_rs["spec"]["replicas"]):
            self._rs_pod(new_rs, name)
        self._sync_deployment_status(name, namespace)
        return new_rs

    def replace_pod(self, pod: str, *, namespace: str = "default") -> dict[str, Any]:
        """Delete a controller-owned pod and let its controller create a replacement."""
        rec = self.pod(pod, namespace)
        if rec.owner is None:
            raise ValueError(f"pod {namespace}/{pod} has no controller")
        kind, owner_name, _ = rec.owner
        self.delete_pod(pod, namespace=namespace)
        if kind == "ReplicaSet":
            rs = self.store.get("replicasets", namespace, owner_name)
            assert rs is not None
            workload = rs["metadata"]["ownerReferences"][0]["name"]
            return self._rs_pod(rs, workload)
        if kind == "StatefulSet":
            sts = self.store.get("statefulsets", namespace, owner_name)
            assert sts is not None
            return self._sts_pod(sts, int(pod.rsplit("-", 1)[1]))
        raise ValueError(f"cannot replace a pod owned by a {kind}")

    # ---------------------------------------------------------------- other controllers
    def add_statefulset(
        self,
        name: str,
        *,
        namespace: str = "default",
        replicas: int = 1,
        labels: dict[str, str] | None = None,
        containers: Sequence[str] = ("app",),
        match_expressions: Sequence[dict[str, Any]] | None = None,
        **pod_kwargs: Any,
    ) -> dict[str, Any]:
        """A StatefulSet with pods ``name-0`` .. ``name-(n-1)``."""
        labels = dict(labels or {"app": name})
        sts = {
            "metadata": _meta(name, namespace, labels),
            "spec": {
                "replicas": replicas,
                "selector": _selector(labels, match_expressions),
                "serviceName": name,
                "template": _template(labels, containers),
            },
            "status": {"replicas": replicas, "readyReplicas": replicas},
        }
        self.add_namespace(namespace)
        self.store.put("statefulsets", sts)
        self._workload_pods[(namespace, name)] = {"containers": tuple(containers), **pod_kwargs}
        for i in range(replicas):
            self._sts_pod(sts, i)
        return sts

    def _sts_pod(self, sts: dict[str, Any], ordinal: int) -> dict[str, Any]:
        meta = sts["metadata"]
        pod_name = f"{meta['name']}-{ordinal}"
        labels = {
            **sts["spec"]["template"]["metadata"]["labels"],
            "controller-revision-hash": f"{meta['name']}-{_template_hash(meta['uid'])}",
            "statefulset.kubernetes.io/pod-name": pod_name,
            "apps.kubernetes.io/pod-index": str(ordinal),
        }
        kwargs = dict(self._workload_pods.get((meta["namespace"], meta["name"]), {}))
        return self.add_pod(
            pod_name,
            namespace=meta["namespace"],
            labels=labels,
            owner=("StatefulSet", meta["name"], meta["uid"]),
            **kwargs,
        )

    def add_daemonset(
        self,
        name: str,
        *,
        namespace: str = "default",
        labels: dict[str, str] | None = None,
        containers: Sequence[str] = ("app",),
        match_expressions: Sequence[dict[str, Any]] | None = None,
        **pod_kwargs: Any,
    ) -> dict[str, Any]:
        """A DaemonSet with one pod per node."""
        labels = dict(labels or {"app": name})
        nodes = [n["metadata"]["name"] for n in self.store.items("nodes")]
        ds = {
            "metadata": _meta(name, namespace, labels),
            "spec": {
                "selector": _selector(labels, match_expressions),
                "template": _template(labels, containers),
            },
            "status": {"desiredNumberScheduled": len(nodes), "numberReady": len(nodes)},
        }
        self.add_namespace(namespace)
        self.store.put("daemonsets", ds)
        meta = ds["metadata"]
        for node in nodes:
            pod_labels = {
                **labels,
                "controller-revision-hash": _template_hash(meta["uid"]),
                "pod-template-generation": "1",
            }
            self.add_pod(
                f"{name}-{_suffix()}",
                namespace=namespace,
                labels=pod_labels,
                node=node,
                owner=("DaemonSet", name, meta["uid"]),
                containers=containers,
                generate_name=f"{name}-",
                **pod_kwargs,
            )
        return ds

    def add_job(
        self,
        name: str,
        *,
        namespace: str = "default",
        labels: dict[str, str] | None = None,
        containers: Sequence[str] = ("main",),
        owner: tuple[str, str, str] | None = None,
        **pod_kwargs: Any,
    ) -> dict[str, Any]:
        """A Job whose selector is its controller-uid, with one running pod ``name-<xxxxx>``."""
        self.add_namespace(namespace)
        meta = _meta(name, namespace, dict(labels or {}), owner)
        uid = meta["uid"]
        pod_labels = {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": uid,
            "job-name": name,
            **(labels or {}),
        }
        meta.setdefault("labels", {}).update(
            {
                "batch.kubernetes.io/controller-uid": uid,
                "batch.kubernetes.io/job-name": name,
                "controller-uid": uid,
                "job-name": name,
            }
        )
        job = {
            "metadata": meta,
            "spec": {
                "completions": 1,
                "parallelism": 1,
                "backoffLimit": 6,
                "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
                "template": _template(pod_labels, containers, "Never"),
            },
            "status": {"active": 1, "startTime": meta["creationTimestamp"]},
        }
        self.store.put("jobs", job)
        self.add_pod(
            f"{name}-{_suffix()}",
            namespace=namespace,
            labels=pod_labels,
            owner=("Job", name, uid),
            containers=containers,
            restart_policy="Never",
            generate_name=f"{name}-",
            **pod_kwargs,
        )
        return job

    def complete_job(self, name: str, *, namespace: str = "default") -> None:
        """Every container of the Job's pods exits 0; pods Succeeded; the Job succeeded."""
        for pod in self._owned_pods(namespace, "Job", name):
            rec = self.pod(pod, namespace)
            for c in rec.of_kind("regular"):
                self.terminate_container(pod, c.name, namespace=namespace)
            self.set_phase(pod, "Succeeded", namespace=namespace)
        job = self.store.get("jobs", namespace, name)
        if job is not None:
            self.store.put(
                "jobs",
                {
                    **job,
                    "metadata": dict(job["metadata"]),
                    "status": {
                        "succeeded": 1,
                        "startTime": job["status"].get("startTime"),
                        "completionTime": rfc3339(now_ns()),
                    },
                },
            )

    def add_cronjob(
        self,
        name: str,
        *,
        namespace: str = "default",
        schedule: str = "*/5 * * * *",
        labels: dict[str, str] | None = None,
        containers: Sequence[str] = ("main",),
    ) -> dict[str, Any]:
        """A CronJob (its jobs are created by :meth:`run_cronjob`)."""
        self.add_namespace(namespace)
        labels = dict(labels or {})
        cj = {
            "metadata": _meta(name, namespace, labels),
            "spec": {
                "schedule": schedule,
                "concurrencyPolicy": "Allow",
                "suspend": False,
                "jobTemplate": {"spec": {"template": _template(labels, containers, "OnFailure")}},
            },
            "status": {},
        }
        self.store.put("cronjobs", cj)
        return cj

    def run_cronjob(self, name: str, *, namespace: str = "default") -> dict[str, Any]:
        """Create a Job owned by the CronJob (``name-<minutes since epoch>``)."""
        cj = self.store.get("cronjobs", namespace, name)
        if cj is None:
            raise KeyError(f"no cronjob {namespace}/{name}")
        tmpl = cj["spec"]["jobTemplate"]["spec"]["template"]
        containers = [c["name"] for c in tmpl["spec"]["containers"]]
        job_name = f"{name}-{now_ns() // 60_000_000_000 + len(self._owned_jobs(namespace, name))}"
        return self.add_job(
            job_name,
            namespace=namespace,
            labels=dict(tmpl["metadata"]["labels"]),
            containers=containers,
            owner=("CronJob", name, cj["metadata"]["uid"]),
        )

    def _owned_jobs(self, namespace: str, cronjob: str) -> list[dict[str, Any]]:
        return [
            j
            for j in self.store.items("jobs", namespace)
            if any(o["name"] == cronjob for o in j["metadata"].get("ownerReferences", []))
        ]

    def add_service(
        self, name: str, selector: dict[str, str], *, namespace: str = "default"
    ) -> dict[str, Any]:
        """A ClusterIP Service; ``spec.selector`` is a plain map."""
        self.add_namespace(namespace)
        svc = {
            "metadata": _meta(name, namespace, {}),
            "spec": {
                "selector": dict(selector),
                "type": "ClusterIP",
                "clusterIP": "10.96.0.10",
                "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
            },
            "status": {"loadBalancer": {}},
        }
        svc["metadata"].pop("generation")
        return self.store.put("services", svc)

    def add_replication_controller(
        self,
        name: str,
        *,
        namespace: str = "default",
        replicas: int = 1,
        labels: dict[str, str] | None = None,
        containers: Sequence[str] = ("app",),
    ) -> dict[str, Any]:
        """A ReplicationController (selector is a plain map) with pods ``name-<xxxxx>``."""
        self.add_namespace(namespace)
        labels = dict(labels or {"app": name})
        rc = {
            "metadata": _meta(name, namespace, labels),
            "spec": {
                "replicas": replicas,
                "selector": dict(labels),
                "template": _template(labels, containers),
            },
            "status": {"replicas": replicas, "readyReplicas": replicas},
        }
        self.store.put("replicationcontrollers", rc)
        for _ in range(replicas):
            self.add_pod(
                f"{name}-{_suffix()}",
                namespace=namespace,
                labels=dict(labels),
                containers=containers,
                owner=("ReplicationController", name, rc["metadata"]["uid"]),
                generate_name=f"{name}-",
            )
        return rc

    @property
    def _workload_pods(self) -> dict[tuple[str, str], dict[str, Any]]:
        store: dict[tuple[str, str], dict[str, Any]] | None = getattr(self, "_wl_pods", None)
        if store is None:
            store = {}
            self._wl_pods = store
        return store
