"""The scenario driver, part 5: StatefulSets, DaemonSets, Jobs, CronJobs, Services, RCs.

Objects carry what ``kubectl logs deploy/x`` and stern read: ``spec.selector``
(matchLabels / matchExpressions, or a plain map for Services and RCs),
``spec.template.metadata.labels``, and ownerReferences from each pod to its controller.
Pod names follow the controllers' patterns (``web-<hash>-<5 chars>``, ``db-0``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pystern.sandbox.deployments import RESTARTED_AT, DeploymentDriver
from pystern.sandbox.pods import now_ns, rfc3339
from pystern.sandbox.templates import label_selector, name_suffix, object_meta, pod_template, template_hash


class ScenarioDriver(DeploymentDriver):
    """Everything a scenario can do to the simulated cluster (``sb.cluster``)."""

    def __init__(self, token: str = "sandbox-token") -> None:
        super().__init__(token)
        self._cron_minutes: dict[tuple[str, str], int] = {}
        """The minute in each CronJob's newest Job name (names are never reused)."""
        # What every new cluster has: the system namespaces and the API server's own Service.
        for namespace in ("kube-system", "kube-public"):
            self.add_namespace(namespace)
        kubernetes = self.add_service("kubernetes", {})
        kubernetes["metadata"]["labels"] = {"component": "apiserver", "provider": "kubernetes"}
        kubernetes["spec"].update(
            clusterIP="10.96.0.1",
            ports=[{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
        )
        del kubernetes["spec"]["selector"]

    def replace_pod(
        self, pod: str, *, namespace: str = "default", grace: float = 0.0, now: bool = False
    ) -> dict[str, Any]:
        """Delete a controller-owned pod and let its controller create a replacement.

        ``now``: the deletion has no grace period (see :meth:`remove_pod_now`).
        """
        rec = self.pod(pod, namespace)
        if rec.owner is None:
            raise ValueError(f"pod {namespace}/{pod} has no controller")
        kind, owner_name, _ = rec.owner
        if now:
            self.remove_pod_now(pod, namespace=namespace)
        else:
            # A StatefulSet pod keeps its name, so its successor can only come after the deletion.
            self.delete_pod(pod, namespace=namespace, grace=0.0 if kind == "StatefulSet" else grace)
        if kind == "ReplicaSet":
            rs = self.store.get("replicasets", namespace, owner_name)
            assert rs is not None
            workload = rs["metadata"]["ownerReferences"][0]["name"]
            return self._rs_pod(rs, workload)
        if kind == "StatefulSet":
            sts = self.store.get("statefulsets", namespace, owner_name)
            assert sts is not None
            return self._sts_pod(sts, int(pod.rsplit("-", 1)[1]))
        if kind == "DaemonSet":
            ds = self.store.get("daemonsets", namespace, owner_name)
            assert ds is not None
            return self._ds_pod(ds, rec.node)
        if kind == "Job":
            job = self.store.get("jobs", namespace, owner_name)
            assert job is not None
            return self._job_pod(job)
        raise ValueError(f"cannot replace a pod owned by a {kind}")

    def delete_workload(self, resource: str, name: str, *, namespace: str = "default") -> None:
        """Delete a workload object and, in cascade, what it owns (ReplicaSets, Jobs, pods).

        ``resource`` is the plural API name: ``deployments``, ``statefulsets``, ``daemonsets``,
        ``replicasets``, ``jobs``, ``cronjobs``, ``replicationcontrollers`` or ``services``.
        """
        obj = self.store.get(resource, namespace, name)
        if obj is None:
            raise KeyError(f"no {resource} {namespace}/{name}")
        uid = obj["metadata"]["uid"]
        for child_resource in ("replicasets", "jobs"):
            for child in self.store.items(child_resource, namespace):
                if any(o.get("uid") == uid for o in child["metadata"].get("ownerReferences", [])):
                    self.delete_workload(child_resource, child["metadata"]["name"], namespace=namespace)
        for (ns, pod_name), rec in list(self.pods.items()):
            if ns == namespace and rec.owner is not None and rec.owner[2] == uid:
                self.delete_pod(pod_name, namespace=namespace)
        self.store.delete(resource, namespace, name)
        self._workload_pods.pop((namespace, name), None)

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
        meta = object_meta(name, namespace, labels)
        revision = f"{name}-{template_hash(meta['uid'])}"
        sts = {
            "metadata": meta,
            # The API server's defaults, in its field order (kubectl rollout status reads the strategy).
            "spec": {
                "replicas": replicas,
                "selector": label_selector(labels, match_expressions),
                "template": pod_template(labels, containers),
                "serviceName": name,
                "podManagementPolicy": "OrderedReady",
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                "revisionHistoryLimit": 10,
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            },
            # What the controller reports once every pod runs the current revision.
            "status": {
                "observedGeneration": meta.get("generation", 1),
                "replicas": replicas,
                "readyReplicas": replicas,
                "currentReplicas": replicas,
                "updatedReplicas": replicas,
                "currentRevision": revision,
                "updateRevision": revision,
                "collisionCount": 0,
                "availableReplicas": replicas,
            },
        }
        self.add_namespace(namespace)
        self.store.put("statefulsets", sts)
        self._workload_pods[(namespace, name)] = {"containers": tuple(containers), **pod_kwargs}
        for i in range(replicas):
            self._sts_pod(sts, i)
        return sts

    def restart_controller(
        self, resource: str, name: str, *, namespace: str = "default", restarted_at: str
    ) -> None:
        """``kubectl rollout restart`` of a StatefulSet or DaemonSet: a new revision replaces every pod.

        The template gets the restart annotation and the generation goes up; a StatefulSet's pods
        are replaced from the highest ordinal down (same names), a DaemonSet's node by node.
        """
        obj = self.store.get(resource, namespace, name)
        if obj is None:
            raise KeyError(f"no {resource} {namespace}/{name}")
        template = obj["spec"]["template"]
        annotations = {**template["metadata"].get("annotations", {}), RESTARTED_AT: restarted_at}
        generation = int(obj["metadata"].get("generation", 1)) + 1
        obj = {
            **obj,
            "metadata": {**obj["metadata"], "generation": generation},
            "spec": {
                **obj["spec"],
                "template": {**template, "metadata": {**template["metadata"], "annotations": annotations}},
            },
        }
        kind = "StatefulSet" if resource == "statefulsets" else "DaemonSet"
        # Reported as done at once: the pods below are replaced before anyone can look.
        status = {**obj["status"], "observedGeneration": generation}
        if kind == "StatefulSet":
            revision = f"{name}-{self._revision_hash(obj)}"
            status.update(currentRevision=revision, updateRevision=revision)
        obj["status"] = status
        self.store.put(resource, obj)
        pods = sorted(self._owned_pods(namespace, kind, name), key=self._ordinal, reverse=True)
        for pod in pods:
            self.replace_pod(pod, namespace=namespace)

    @staticmethod
    def _ordinal(pod: str) -> int:
        tail = pod.rsplit("-", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    def _revision_hash(self, obj: dict[str, Any]) -> str:
        """The controller-revision-hash of a StatefulSet's or DaemonSet's current template."""
        meta = obj["metadata"]
        generation = int(meta.get("generation", 1))
        return template_hash(meta["uid"] if generation == 1 else f"{meta['uid']}/{generation}")

    def _sts_pod(self, sts: dict[str, Any], ordinal: int) -> dict[str, Any]:
        meta = sts["metadata"]
        pod_name = f"{meta['name']}-{ordinal}"
        labels = {
            **sts["spec"]["template"]["metadata"]["labels"],
            "controller-revision-hash": f"{meta['name']}-{self._revision_hash(sts)}",
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
        meta = object_meta(name, namespace, labels)
        ds = {
            "metadata": meta,
            "spec": {
                "selector": label_selector(labels, match_expressions),
                "template": pod_template(labels, containers),
                "updateStrategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
                },
                "revisionHistoryLimit": 10,
            },
            "status": {
                "currentNumberScheduled": len(nodes),
                "numberMisscheduled": 0,
                "desiredNumberScheduled": len(nodes),
                "numberReady": len(nodes),
                "observedGeneration": meta.get("generation", 1),
                "updatedNumberScheduled": len(nodes),
                "numberAvailable": len(nodes),
            },
        }
        self.add_namespace(namespace)
        self.store.put("daemonsets", ds)
        self._workload_pods[(namespace, name)] = {"containers": tuple(containers), **pod_kwargs}
        for node in nodes:
            self._ds_pod(ds, node)
        return ds

    def _ds_pod(self, ds: dict[str, Any], node: str) -> dict[str, Any]:
        meta = ds["metadata"]
        name = meta["name"]
        pod_labels = {
            **ds["spec"]["template"]["metadata"]["labels"],
            "controller-revision-hash": self._revision_hash(ds),
            "pod-template-generation": str(meta.get("generation", 1)),
        }
        return self.add_pod(
            f"{name}-{name_suffix()}",
            namespace=meta["namespace"],
            labels=pod_labels,
            node=node,
            owner=("DaemonSet", name, meta["uid"]),
            generate_name=f"{name}-",
            **self._workload_pods.get((meta["namespace"], name), {}),
        )

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
        meta = object_meta(name, namespace, dict(labels or {}), owner)
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
                "template": pod_template(pod_labels, containers, "Never"),
            },
            "status": {"active": 1, "startTime": meta["creationTimestamp"]},
        }
        self.store.put("jobs", job)
        self._workload_pods[(namespace, name)] = {"containers": tuple(containers), **pod_kwargs}
        self._job_pod(job)
        return job

    def _job_pod(self, job: dict[str, Any]) -> dict[str, Any]:
        meta = job["metadata"]
        name = meta["name"]
        return self.add_pod(
            f"{name}-{name_suffix()}",
            namespace=meta["namespace"],
            labels=dict(job["spec"]["template"]["metadata"]["labels"]),
            owner=("Job", name, meta["uid"]),
            restart_policy="Never",
            generate_name=f"{name}-",
            **self._workload_pods.get((meta["namespace"], name), {}),
        )

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
            for owner in job["metadata"].get("ownerReferences", []):
                if owner.get("kind") == "CronJob":
                    self._sync_cronjob_status(namespace, owner["name"])

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
            "metadata": object_meta(name, namespace, labels),
            "spec": {
                "schedule": schedule,
                "concurrencyPolicy": "Allow",
                "suspend": False,
                "successfulJobsHistoryLimit": 3,
                "jobTemplate": {"spec": {"template": pod_template(labels, containers, "OnFailure")}},
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
        self._prune_jobs(namespace, name, int(cj["spec"].get("successfulJobsHistoryLimit", 3)))
        # Named by the scheduled minute, as the controller does; several runs in one minute (tests)
        # take the next ones, and a name is never reused, even after its Job was pruned.
        minute = max(now_ns() // 60_000_000_000, self._cron_minutes.get((namespace, name), 0) + 1)
        self._cron_minutes[(namespace, name)] = minute
        job_name = f"{name}-{minute}"
        job = self.add_job(
            job_name,
            namespace=namespace,
            labels=dict(tmpl["metadata"]["labels"]),
            containers=containers,
            owner=("CronJob", name, cj["metadata"]["uid"]),
        )
        self._sync_cronjob_status(namespace, name, scheduled=True)
        return job

    def _sync_cronjob_status(self, namespace: str, name: str, *, scheduled: bool = False) -> None:
        """``status.active`` (the unfinished Jobs) and ``lastScheduleTime``, as the controller keeps them."""
        cj = self.store.get("cronjobs", namespace, name)
        if cj is None:
            return
        status = dict(cj.get("status") or {})
        active = [
            {
                "kind": "Job",
                "namespace": namespace,
                "name": j["metadata"]["name"],
                "uid": j["metadata"]["uid"],
            }
            for j in self._owned_jobs(namespace, name)
            if not j.get("status", {}).get("succeeded")
        ]
        if active:
            status["active"] = active
        else:
            status.pop("active", None)
        if scheduled:
            status["lastScheduleTime"] = rfc3339(now_ns())
        self.store.put("cronjobs", {**cj, "metadata": dict(cj["metadata"]), "status": status})

    def _prune_jobs(self, namespace: str, cronjob: str, keep: int) -> None:
        """Delete the oldest finished Jobs of ``cronjob`` and their pods, keeping ``keep``."""
        done = [j for j in self._owned_jobs(namespace, cronjob) if j.get("status", {}).get("succeeded")]
        done.sort(key=lambda j: (j["status"].get("completionTime") or "", j["metadata"]["name"]))
        for job in done[: max(0, len(done) - keep)]:
            self.delete_workload("jobs", job["metadata"]["name"], namespace=namespace)

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
            "metadata": object_meta(name, namespace, {}),
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
            "metadata": object_meta(name, namespace, labels),
            "spec": {
                "replicas": replicas,
                "selector": dict(labels),
                "template": pod_template(labels, containers),
            },
            "status": {"replicas": replicas, "readyReplicas": replicas},
        }
        self.store.put("replicationcontrollers", rc)
        for _ in range(replicas):
            self.add_pod(
                f"{name}-{name_suffix()}",
                namespace=namespace,
                labels=dict(labels),
                containers=containers,
                owner=("ReplicationController", name, rc["metadata"]["uid"]),
                generate_name=f"{name}-",
            )
        return rc
