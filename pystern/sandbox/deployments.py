"""The scenario driver, part 4: Deployments, their ReplicaSets, rollouts and pod replacement.

A Deployment owns ReplicaSets ``name-<pod-template-hash>``, which own pods
``name-<hash>-<5 chars>``; each level has ``spec.selector`` and template labels as the
controllers set them, plus the ``deployment.kubernetes.io/revision`` annotation.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from pystern.sandbox.faults import FaultDriver
from pystern.sandbox.templates import label_selector, name_suffix, object_meta, pod_template, template_hash

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
REVISION_HISTORY = 10
"""Old ReplicaSets a Deployment keeps (the API's default revisionHistoryLimit)."""


class DeploymentDriver(FaultDriver):
    """Deployments and ReplicaSets on top of pods and faults."""

    def __init__(self, token: str = "sandbox-token") -> None:
        super().__init__(token)
        self._workload_pods: dict[tuple[str, str], dict[str, Any]] = {}
        """Extra add_pod() keyword arguments per (namespace, workload), reused for replacements."""

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
            "metadata": object_meta(name, namespace, labels),
            "spec": {
                "replicas": replicas,
                "selector": label_selector(labels, match_expressions),
                "template": pod_template(labels, containers),
                "strategy": {"type": "RollingUpdate"},
                "revisionHistoryLimit": REVISION_HISTORY,
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
        pth = template_hash(f"{namespace}/{name}/{revision}/{meta['uid']}")
        rs_labels = {**tmpl_labels, "pod-template-hash": pth}
        rs_name = f"{name}-{pth}"
        selector = dict(spec["selector"])
        selector["matchLabels"] = {**selector.get("matchLabels", {}), "pod-template-hash": pth}
        rs = {
            "metadata": object_meta(rs_name, namespace, rs_labels, ("Deployment", name, meta["uid"])),
            "spec": {
                "replicas": spec["replicas"],
                "selector": selector,
                "template": {
                    **spec["template"],
                    "metadata": {**spec["template"]["metadata"], "labels": rs_labels},
                },
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
            f"{meta['name']}-{name_suffix()}",
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
            if ns == namespace
            and rec.owner is not None
            and rec.owner[:2] == (kind, owner_name)
            and not rec.deleting_ns  # a Terminating pod no longer counts as a replica
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

    def _start_revision(self, name: str, namespace: str, restarted_at: str = "") -> dict[str, Any]:
        deploy = self.store.get("deployments", namespace, name)
        if deploy is None:
            raise KeyError(f"no deployment {namespace}/{name}")
        revision = int(deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"]) + 1
        meta = {
            **deploy["metadata"],
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "generation": revision,
        }
        # A new revision means a changed pod template (here as `kubectl rollout restart` changes
        # it): kubectl finds the new ReplicaSet as the one whose template equals the Deployment's.
        template = deploy["spec"]["template"]
        stamp = restarted_at or (
            datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        )
        annotations = {**template["metadata"].get("annotations", {}), RESTARTED_AT: stamp}
        spec = {
            **deploy["spec"],
            "template": {**template, "metadata": {**template["metadata"], "annotations": annotations}},
        }
        updated = {
            **deploy,
            "metadata": meta,
            "spec": spec,
            "status": {**deploy["status"], "updatedReplicas": 0},
        }
        self.store.put("deployments", updated)
        return self._new_replicaset(updated, revision, pods=0)

    def _sync_deployment_status(self, name: str, namespace: str) -> None:
        deploy = self.store.get("deployments", namespace, name)
        if deploy is None:
            return
        sets = self._replicasets_of(name, namespace)
        counts = [len(self._owned_pods(namespace, "ReplicaSet", rs["metadata"]["name"])) for rs in sets]
        # The deployment controller deletes the oldest empty ReplicaSets past the history limit
        # (the demo rolls web every minute: `kubectl get rs` grew without end).
        limit = int(deploy["spec"].get("revisionHistoryLimit", REVISION_HISTORY))
        owners = {
            rec.owner[1]
            for rec in self.pods.values()
            if rec.owner is not None and rec.owner[0] == "ReplicaSet"
        }
        empty_old = [
            rs for rs in sets[:-1] if rs["metadata"]["name"] not in owners
        ]  # not even a Terminating pod
        doomed = {rs["metadata"]["name"] for rs in empty_old[: max(0, len(empty_old) - limit)]}
        for rs_name in doomed:
            self.store.delete("replicasets", namespace, rs_name)
        kept = [i for i, rs in enumerate(sets) if rs["metadata"]["name"] not in doomed]
        sets, counts = [sets[i] for i in kept], [counts[i] for i in kept]
        for rs, count in zip(sets, counts, strict=True):
            # The deployment controller scales each ReplicaSet (spec) to the pods it keeps.
            if rs["status"].get("replicas") != count or rs["spec"]["replicas"] != count:
                self.store.put(
                    "replicasets",
                    {
                        **rs,
                        "metadata": dict(rs["metadata"]),
                        "spec": {**rs["spec"], "replicas": count},
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

    def rolling_step(self, name: str, *, namespace: str = "default", grace: float = 0.0) -> dict[str, Any]:
        """One step of a rolling update: one pod of an older ReplicaSet gives way to one of the newest.

        When no update is in progress a new revision (a new ReplicaSet) is started first.
        The replaced pod stays Terminating for ``grace`` seconds.  Returns the new pod.
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
            self.delete_pod(victim, namespace=namespace, grace=grace)
        pod = self._rs_pod(newest, name)
        self._sync_deployment_status(name, namespace)
        return pod

    def rollout(self, name: str, *, namespace: str = "default", restarted_at: str = "") -> dict[str, Any]:
        """A new ReplicaSet revision whose pods replace every pod of the older ones at once.

        ``restarted_at`` is the template annotation ``kubectl rollout restart`` sets (default: now).
        """
        new_rs = self._start_revision(name, namespace, restarted_at)
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

    def scale(self, name: str, replicas: int, *, namespace: str = "default") -> dict[str, Any]:
        """``kubectl scale``: the newest ReplicaSet gets or loses pods (the newest go first)."""
        deploy = self.store.get("deployments", namespace, name)
        if deploy is None:
            raise KeyError(f"no deployment {namespace}/{name}")
        deploy = {**deploy, "spec": {**deploy["spec"], "replicas": replicas}}
        self.store.put("deployments", deploy)
        sets = self._replicasets_of(name, namespace)
        # Every ReplicaSet's pods count (mid-rollout the older ones still have some): new pods go
        # to the newest; scaling down takes the older ReplicaSets' pods first, then the youngest.
        pods = [p for rs in sets for p in self._owned_pods(namespace, "ReplicaSet", rs["metadata"]["name"])]
        for _ in range(replicas - len(pods)):
            self._rs_pod(sets[-1], name)
        newest = set(self._owned_pods(namespace, "ReplicaSet", sets[-1]["metadata"]["name"]))
        keep_first = sorted(
            pods, key=lambda p: (p in newest, -self.pods[(namespace, p)].created_ns), reverse=True
        )
        for pod in keep_first[replicas:]:
            self.delete_pod(pod, namespace=namespace)
        self._sync_deployment_status(name, namespace)
        return deploy
