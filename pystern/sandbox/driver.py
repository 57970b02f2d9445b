"""The scenario driver, part 1: namespaces, nodes and pods.

Every method is synchronous and runs on the server's event loop: it mutates the
in-memory cluster, publishes watch events and wakes log followers at once, so a test
can write ``sb.cluster.write("web", "app", "hello")`` and then await what a client sees.
Containers and their logs live in :mod:`pystern.sandbox.containers`, faults in
:mod:`pystern.sandbox.faults`, workloads in :mod:`pystern.sandbox.deployments` and
:mod:`pystern.sandbox.workloads`.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Sequence
from typing import Any

from pystern.sandbox.pods import Container, PodRecord, now_ns, rfc3339
from pystern.sandbox.store import Store
from pystern.timefmt import NS_PER_SECOND, parse_rfc3339_ns

Owner = tuple[str, str, str]
"""(kind, name, uid) of a controlling owner."""


class PodDriver:
    """Synchronous mutations of the simulated cluster (see the module docstring)."""

    def __init__(self, token: str = "sandbox-token") -> None:
        self.store = Store()
        self.pods: dict[tuple[str, str], PodRecord] = {}
        self.token = token
        self.user = "sandbox-user"
        self.forbidden: set[tuple[str, str, str, str]] = set()
        """(namespace, token, resource, verb) rules; "" matches any resource or verb."""
        self.watch_timeout: float | None = None
        """Server-chosen watch length when the client sends no timeoutSeconds (None: 30-60 min)."""
        self.bookmark_interval = 60.0
        """Seconds between BOOKMARK events on watches that allow them."""
        self.log_stream_max_seconds: float | None = None
        """Cut every follow stream with a clean EOF after this long (the kubelet's 4 h limit)."""
        self._ips = itertools.count(2)
        self.list_pages: dict[tuple[str, ...], tuple[list[dict[str, Any]], str]] = {}
        """(``continue`` token, list scope) -> the rest of a paged list and its resourceVersion."""
        self.add_namespace("default")
        self.add_node("node-1")

    # ---------------------------------------------------------------- cluster-scoped
    def add_namespace(self, name: str) -> dict[str, Any]:
        """Create a namespace (idempotent)."""
        existing = self.store.get("namespaces", "", name)
        if existing is not None:
            return existing
        return self.store.put(
            "namespaces",
            {
                "metadata": {
                    "name": name,
                    "uid": _uid(),
                    "creationTimestamp": rfc3339(now_ns()),
                    "labels": {"kubernetes.io/metadata.name": name},
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )

    def add_node(self, name: str) -> dict[str, Any]:
        """Create a Ready node (idempotent)."""
        existing = self.store.get("nodes", "", name)
        if existing is not None:
            return existing
        node = self._put_node(name)
        # The kubelet's heartbeat (kubectl describe node reads it); its owner is the node.
        self.add_namespace("kube-node-lease")
        owner = {"apiVersion": "v1", "kind": "Node", "name": name, "uid": node["metadata"]["uid"]}
        now = now_ns()
        # renewTime is a MicroTime: clients parse it with exactly six fractional digits.
        renewed = f"{rfc3339(now)[:-1]}.{now // 1000 % 1_000_000:06d}Z"
        self.store.put(
            "leases",
            {
                "metadata": {
                    "name": name,
                    "namespace": "kube-node-lease",
                    "uid": _uid(),
                    "creationTimestamp": rfc3339(now),
                    "ownerReferences": [owner],
                },
                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": renewed},
            },
        )
        return node

    def _put_node(self, name: str) -> dict[str, Any]:
        created = rfc3339(now_ns())
        capacity = {"cpu": "4", "memory": "16318636Ki", "ephemeral-storage": "102626232Ki", "pods": "110"}
        conditions = [
            ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
            ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID"),
            ("Ready", "True", "KubeletReady"),
        ]
        return self.store.put(
            "nodes",
            {
                "metadata": {
                    "name": name,
                    "uid": _uid(),
                    "creationTimestamp": created,
                    "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
                },
                "spec": {},
                "status": {
                    # kubectl describe divides requests by allocatable and shows the condition times.
                    "capacity": capacity,
                    "allocatable": capacity,
                    "conditions": [
                        {
                            "type": kind,
                            "status": status,
                            "reason": reason,
                            "lastHeartbeatTime": created,
                            "lastTransitionTime": created,
                        }
                        for kind, status, reason in conditions
                    ],
                    "addresses": [
                        {"type": "InternalIP", "address": f"172.18.0.{len(self.store.items('nodes')) + 2}"},
                        {"type": "Hostname", "address": name},
                    ],
                    "nodeInfo": {
                        "kubeletVersion": "v1.32.0",
                        "containerRuntimeVersion": "containerd://1.7.0",
                        "osImage": "Debian GNU/Linux 12 (bookworm)",
                        "kernelVersion": "6.1.0-28-amd64",
                        "operatingSystem": "linux",
                        "architecture": "amd64",
                    },
                },
            },
        )

    def remember_list_page(
        self, key: tuple[str, ...], rest: list[dict[str, Any]], resource_version: str
    ) -> None:
        """Keep the rest of a paged list under its token and scope (the newest 100 are kept)."""
        self.list_pages.pop(key, None)
        self.list_pages[key] = (rest, resource_version)
        while len(self.list_pages) > 100:
            del self.list_pages[next(iter(self.list_pages))]

    # ---------------------------------------------------------------- pods
    def add_pod(
        self,
        name: str,
        *,
        namespace: str = "default",
        containers: Sequence[str] = ("app",),
        init_containers: Sequence[str] = (),
        ephemeral_containers: Sequence[str] = (),
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        node: str = "node-1",
        owner: Owner | None = None,
        phase: str = "",
        running: bool = True,
        sidecar_inits: Sequence[str] = (),
        generate_name: str = "",
        restart_policy: str = "Always",
        age: float = 0.0,
    ) -> dict[str, Any]:
        """Create a pod; ``running`` starts its containers (each with a fresh containerID).

        Watchers see it first Pending with its containers being created (no ID yet), then
        running, as from a real cluster.

        ``age`` (seconds) dates its creation and its containers' start back, as for a pod that
        ran long before the client started.

        Init containers are created already completed (exit 0) unless listed in
        ``sidecar_inits`` (``restartPolicy: Always``), which keep running.  With
        ``running=False`` the regular containers wait in ContainerCreating.  ``status.phase``
        follows the containers as the kubelet derives it, unless ``phase`` fixes it.
        """
        if (namespace, name) in self.pods:
            raise ValueError(f"pod {namespace}/{name} already exists")
        self.add_namespace(namespace)
        conts: list[Container] = []
        for cname in init_containers:
            conts.append(Container(cname, "init", "busybox:1.36", sidecar=cname in sidecar_inits))
        for cname in sidecar_inits:
            if cname not in init_containers:
                conts.append(Container(cname, "init", "busybox:1.36", sidecar=True))
        conts.extend(Container(cname, "regular", f"{cname}:latest") for cname in containers)
        conts.extend(Container(cname, "ephemeral", "busybox:1.36") for cname in ephemeral_containers)
        pod = PodRecord(
            name=name,
            namespace=namespace,
            containers=conts,
            labels=dict(labels or {}),
            annotations=dict(annotations or {}),
            node=node,
            owner=owner,
            phase=phase,
            generate_name=generate_name,
            restart_policy=restart_policy,
        )
        if node:
            pod.pod_ip = self._next_ip()
        pod.created_ns -= int(age * NS_PER_SECOND)
        if running and node:
            # Every pod is first seen Pending (ContainerCreating) and then Running, as a real one
            # is (a bare one too): watchers meet its containers without an ID first, which is what
            # stern's --container-state first-sighting rule counts on.
            _creating(conts, (*init_containers, *sidecar_inits))
            self.pods[(namespace, name)] = pod
            self._publish(pod)
            for c in conts:
                c.start().started_ns = pod.created_ns
                if c.kind == "init" and not c.sidecar:
                    c.terminate("Completed", 0)
        elif not node:
            for c in conts:
                c.waiting_reason = "ContainerCreating"
        else:
            _creating(conts, (*init_containers, *sidecar_inits))
        self.pods[(namespace, name)] = pod
        return self._publish(pod)

    def _next_ip(self) -> str:
        n = next(self._ips)
        return f"10.244.{n // 250}.{n % 250 + 2}"

    def pod(self, name: str, namespace: str = "default") -> PodRecord:
        """The record of a pod (raises KeyError with a readable message)."""
        try:
            return self.pods[(namespace, name)]
        except KeyError:
            raise KeyError(f"no pod {namespace}/{name}") from None

    def date_back(self, seconds: float) -> None:
        """Make every pod, container instance and other object ``seconds`` older.

        For a scenario that writes history from before it built its cluster (the demo's first
        minute): a kubelet never logs before a container started.
        """
        shift = int(seconds * NS_PER_SECOND)
        for pod in self.pods.values():
            pod.created_ns -= shift
            for cont in pod.containers:
                for inst in cont.instances:
                    inst.started_ns -= shift
                    if inst.finished_ns:
                        inst.finished_ns -= shift
            self._publish(pod)
        for resource in ("deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"):
            for obj in self.store.items(resource):
                meta, status = dict(obj["metadata"]), dict(obj.get("status") or {})
                for fields, key in ((meta, "creationTimestamp"), (status, "startTime")):  # a Job's startTime
                    if fields.get(key):
                        fields[key] = rfc3339(parse_rfc3339_ns(fields[key]) - shift)
                self.store.put(resource, {**obj, "metadata": meta, "status": status})

    def _publish(self, pod: PodRecord) -> dict[str, Any]:
        return self.store.put("pods", pod.to_json())

    def delete_pod(self, name: str, *, namespace: str = "default", grace: float = 0.0) -> None:
        """Graceful deletion: MODIFIED with deletionTimestamp, containers stop, then DELETED.

        With ``grace`` > 0 the pod stays Terminating (containers still running and
        writing) for that many seconds before the rest happens; this needs a running loop.
        """
        pod = self.pod(name, namespace)
        if pod.deleting_ns:
            return
        pod.deleting_ns = now_ns()
        self._publish(pod)
        if grace > 0:
            asyncio.get_running_loop().call_later(grace, self._finish_delete, pod)
        else:
            self._finish_delete(pod)

    def remove_pod_now(self, name: str, *, namespace: str = "default") -> None:
        """Deletion with no grace period (``--grace-period=0 --force``, or a pod not running).

        The API server removes the object at once: watchers see one DELETED event (stamped with
        the deletion); the kubelet then kills the containers, whose streams end.
        """
        pod = self.pod(name, namespace)
        if pod.deleting_ns:
            return
        pod.deleting_ns = now_ns()
        pod.deletion_grace = 0
        self.store.delete("pods", namespace, name, final=pod.to_json())
        del self.pods[(namespace, name)]
        for c in pod.containers:
            c.terminate("Error", 137)

    def _finish_delete(self, pod: PodRecord) -> None:
        if self.pods.get((pod.namespace, pod.name)) is not pod:
            return
        for c in pod.containers:
            c.terminate("Completed", 0)
        # As the kubelet: the stopped containers and the terminal phase are reported first,
        # then the pod is removed.
        codes = [c.current.exit_code for c in pod.of_kind("regular") if c.current is not None]
        pod.phase = pod.phase or ("Succeeded" if all(code == 0 for code in codes) else "Failed")
        self._publish(pod)
        del self.pods[(pod.namespace, pod.name)]
        self.store.delete("pods", pod.namespace, pod.name)

    def set_labels(self, pod: str, labels: dict[str, str], *, namespace: str = "default") -> dict[str, Any]:
        """Replace a pod's labels."""
        rec = self.pod(pod, namespace)
        rec.labels = dict(labels)
        return self._publish(rec)

    def set_annotations(
        self, pod: str, annotations: dict[str, str], *, namespace: str = "default"
    ) -> dict[str, Any]:
        """Replace a pod's annotations."""
        rec = self.pod(pod, namespace)
        rec.annotations = dict(annotations)
        return self._publish(rec)

    def set_condition(
        self, pod: str, type: str, status: str, *, namespace: str = "default"
    ) -> dict[str, Any]:
        """Force a pod condition (``"True"``/``"False"``/``"Unknown"``)."""
        rec = self.pod(pod, namespace)
        rec.conditions[type] = status
        return self._publish(rec)

    def set_phase(
        self, pod: str, phase: str, *, namespace: str = "default", reason: str = ""
    ) -> dict[str, Any]:
        """Fix ``status.phase`` (and optionally ``status.reason``, e.g. Evicted); "" derives it again.

        A terminal phase stops what still runs, as the kubelet does: killed (137) for Failed.
        """
        rec = self.pod(pod, namespace)
        if phase in ("Failed", "Succeeded"):
            for c in rec.containers:
                if phase == "Failed":
                    c.terminate("Error", 137)
                else:
                    c.terminate("Completed", 0)
                c.waiting_reason = ""
        rec.phase = phase
        rec.reason = reason
        return self._publish(rec)

    def hide_statuses(self, pod: str, hidden: bool = True, *, namespace: str = "default") -> dict[str, Any]:
        """Drop (or restore) the container statuses, as before the kubelet's first report."""
        rec = self.pod(pod, namespace)
        rec.statuses_hidden = hidden
        return self._publish(rec)

    def schedule(self, pod: str, node: str = "node-1", *, namespace: str = "default") -> dict[str, Any]:
        """Bind a pending pod to a node and start its containers."""
        rec = self.pod(pod, namespace)
        rec.node = node
        rec.pod_ip = rec.pod_ip or self._next_ip()
        for c in rec.containers:
            if c.current is None:
                c.start()
                if c.kind == "init" and not c.sidecar:
                    c.terminate("Completed", 0)
        return self._publish(rec)


def _creating(containers: Sequence[Container], init_containers: Sequence[str]) -> None:
    """Every container waits to be created (regular ones behind init containers wait for those)."""
    for c in containers:
        behind_inits = c.kind == "regular" and bool(init_containers)
        c.waiting_reason = "PodInitializing" if behind_inits else "ContainerCreating"


def _uid() -> str:
    return str(uuid.uuid4())
