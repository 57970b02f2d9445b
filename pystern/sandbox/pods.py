"""Pods of the simulated cluster: spec, container instances with their logs, and the JSON view.

A :class:`PodRecord` is the mutable truth; :meth:`PodRecord.to_json` renders a fresh
dict for every change (the store never mutates an object it has published, so a watch
event's "previous state" stays what it was).
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from pystern.sandbox.logstore import LogBuffer
from pystern.timefmt import NS_PER_SECOND


def now_ns() -> int:
    """Wall-clock epoch nanoseconds."""
    return time.time_ns()


def rfc3339(ns: int) -> str:
    """Whole-second RFC3339 UTC, the format of Kubernetes object timestamps."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns // NS_PER_SECOND))


def new_container_id() -> str:
    """A containerd-style container ID (64 hex digits)."""
    return "containerd://" + secrets.token_hex(32)


@dataclass(eq=False)
class Instance:
    """One run of a container: its ID, state and log."""

    container_id: str
    started_ns: int
    log: LogBuffer = field(default_factory=LogBuffer)
    finished_ns: int = 0
    exit_code: int = 0
    reason: str = ""

    @property
    def running(self) -> bool:
        """True until the instance terminated."""
        return not self.finished_ns


@dataclass(eq=False)
class Container:
    """A container slot of a pod and its instances (the current one last)."""

    name: str
    kind: str  # "init" | "regular" | "ephemeral"
    image: str
    sidecar: bool = False
    instances: list[Instance] = field(default_factory=list)
    waiting_reason: str = ""
    """Set when the state is waiting; the current instance (if any) has then terminated."""
    restart_count: int = 0

    @property
    def current(self) -> Instance | None:
        """The newest instance, or None before the first start."""
        return self.instances[-1] if self.instances else None

    @property
    def previous(self) -> Instance | None:
        """The instance ``previous=true`` serves, i.e. what ``lastState.terminated`` points at."""
        cur = self.current
        if cur is None:
            return None
        if self.waiting_reason and not cur.running:
            return cur
        return self.instances[-2] if len(self.instances) > 1 else None

    def start(self) -> Instance:
        """Start a fresh instance (new container ID, empty log)."""
        inst = Instance(new_container_id(), now_ns())
        self.instances.append(inst)
        self.waiting_reason = ""
        return inst

    def terminate(self, reason: str, exit_code: int) -> None:
        """End the current instance; its followers drain and end."""
        cur = self.current
        if cur is not None and cur.running:
            cur.finished_ns = now_ns()
            cur.reason = reason
            cur.exit_code = exit_code
            cur.log.close()

    def status(self, pod_ref: str = "") -> dict[str, Any]:
        """The ``containerStatuses[]`` entry; ``pod_ref`` is ``name_namespace(uid)`` for messages."""
        cur = self.current
        state: dict[str, Any]
        last: dict[str, Any] = {}
        if cur is None:
            state = {"waiting": {"reason": self.waiting_reason or "ContainerCreating"}}
        elif self.waiting_reason:
            state = {"waiting": {"reason": self.waiting_reason}}
            if self.waiting_reason == "CrashLoopBackOff":
                # kuberuntime's doBackOff: the delay doubles from 10 s up to 5 min.
                delay = min(10 * 2 ** (max(self.restart_count, 1) - 1), 300)
                shown = f"{delay}s" if delay < 60 else f"{delay // 60}m{delay % 60}s"
                state["waiting"]["message"] = (
                    f"back-off {shown} restarting failed container={self.name} pod={pod_ref}"
                )
            if not cur.running:
                last = {"terminated": _terminated(cur)}
        elif cur.running:
            state = {"running": {"startedAt": rfc3339(cur.started_ns)}}
        else:
            state = {"terminated": _terminated(cur)}
        prev = self.previous
        if not last and prev is not None:
            last = {"terminated": _terminated(prev)}
        running = cur is not None and cur.running and not self.waiting_reason
        out: dict[str, Any] = {
            "name": self.name,
            "state": state,
            "lastState": last,
            "ready": running,
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": f"docker.io/library/{self.image.split(':')[0]}@sha256:{'0' * 64}",
        }
        if cur is not None:
            out["containerID"] = cur.container_id
        out["started"] = running
        return out


def _terminated(inst: Instance) -> dict[str, Any]:
    return {
        "exitCode": inst.exit_code,
        "reason": inst.reason,
        "startedAt": rfc3339(inst.started_ns),
        "finishedAt": rfc3339(inst.finished_ns or now_ns()),
        "containerID": inst.container_id,
    }


@dataclass(eq=False)
class PodRecord:
    """The mutable truth about one pod."""

    name: str
    namespace: str
    containers: list[Container]
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    node: str = ""
    owner: tuple[str, str, str] | None = None
    phase: str = ""
    """Set by hand (an eviction, a finished Job); "" derives it from the containers as the kubelet does."""
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_ns: int = field(default_factory=now_ns)
    deleting_ns: int = 0
    deletion_grace: int = 30
    """The grace period of the deletion (DeleteOptions.gracePeriodSeconds; the pod's 30 s by default)."""
    conditions: dict[str, str] = field(default_factory=dict)
    generate_name: str = ""
    restart_policy: str = "Always"
    pod_ip: str = ""
    reason: str = ""
    statuses_hidden: bool = False
    """The kubelet has not reported container statuses yet (logs give "is not available")."""

    def container(self, name: str) -> Container | None:
        """A container of any kind by name."""
        for c in self.containers:
            if c.name == name:
                return c
        return None

    def of_kind(self, kind: str) -> list[Container]:
        """Containers of one kind, in spec order."""
        return [c for c in self.containers if c.kind == kind]

    @property
    def current_phase(self) -> str:
        """``status.phase``: the one set by hand, else the kubelet's rule (its ``getPhase``)."""
        if self.phase:
            return self.phase
        if not self.node or self.statuses_hidden:
            return "Pending"
        pending_init = failed_init = 0
        for c in self.of_kind("init"):
            st = c.status()
            state, last = st["state"], st["lastState"]
            if c.sidecar:
                # A restartable init container holds the pod back only until it has started.
                pending_init += "running" not in state and not last.get("terminated")
            elif "terminated" in state:
                failed_init += state["terminated"]["exitCode"] != 0
            elif "waiting" in state and last.get("terminated"):
                failed_init += last["terminated"]["exitCode"] != 0
            else:
                pending_init += 1
        running = waiting = stopped = succeeded = 0
        for c in self.of_kind("regular"):
            st = c.status()
            state = st["state"]
            if "running" in state:
                running += 1
            elif "terminated" in state:
                stopped += 1
                succeeded += state["terminated"]["exitCode"] == 0
            elif st["lastState"].get("terminated"):
                stopped += 1  # waiting to restart (CrashLoopBackOff): it has run
            else:
                waiting += 1
        if failed_init and self.restart_policy == "Never":
            return "Failed"
        if pending_init or waiting:
            return "Pending"
        if running:
            return "Running"
        if not stopped:
            return "Pending"  # no regular container at all
        if self.restart_policy == "Always":
            return "Running"  # every container is restarting
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if self.restart_policy == "Never" else "Running"

    def to_json(self) -> dict[str, Any]:
        """The pod as the API returns it (without kind/apiVersion)."""
        meta: dict[str, Any] = {
            "name": self.name,
            "namespace": self.namespace,
            "uid": self.uid,
            "creationTimestamp": rfc3339(self.created_ns),
        }
        if self.generate_name:
            meta["generateName"] = self.generate_name
        if self.labels:
            meta["labels"] = dict(self.labels)
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        if self.owner is not None:
            kind, name, uid = self.owner
            meta["ownerReferences"] = [
                {
                    "apiVersion": _OWNER_API.get(kind, "v1"),
                    "kind": kind,
                    "name": name,
                    "uid": uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ]
        if self.deleting_ns:
            # The API server stamps the end of the grace period (now + gracePeriodSeconds).
            meta["deletionTimestamp"] = rfc3339(self.deleting_ns + self.deletion_grace * 1_000_000_000)
            meta["deletionGracePeriodSeconds"] = self.deletion_grace
        spec: dict[str, Any] = {}
        inits = self.of_kind("init")
        if inits:
            spec["initContainers"] = [_spec(c) for c in inits]
        spec["containers"] = [_spec(c) for c in self.of_kind("regular")]
        ephemeral = self.of_kind("ephemeral")
        if ephemeral:
            spec["ephemeralContainers"] = [_spec(c) for c in ephemeral]
        spec["restartPolicy"] = self.restart_policy
        spec["terminationGracePeriodSeconds"] = 30
        spec["dnsPolicy"] = "ClusterFirst"
        spec["serviceAccountName"] = "default"
        spec["serviceAccount"] = "default"  # the deprecated alias the API server still fills in
        if self.node:
            spec["nodeName"] = self.node
        spec["securityContext"] = {}
        if self.owner is not None and self.owner[0] == "StatefulSet":
            # The StatefulSet controller names the pod's host and its governing Service.
            spec["hostname"], spec["subdomain"] = self.name, self.owner[1]
        spec["schedulerName"] = "default-scheduler"
        # The DefaultTolerationSeconds admission plugin; the defaults for priority and links.
        spec["tolerations"] = [
            {
                "key": f"node.kubernetes.io/{taint}",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            }
            for taint in ("not-ready", "unreachable")
        ]
        spec["priority"] = 0
        spec["enableServiceLinks"] = True
        spec["preemptionPolicy"] = "PreemptLowerPriority"
        return {"metadata": meta, "spec": spec, "status": self._status()}

    def _status(self) -> dict[str, Any]:
        regular = self.of_kind("regular")
        ready = bool(regular) and all(c.status()["ready"] for c in regular)
        inits_done = all(
            c.sidecar or (c.current is not None and not c.current.running and c.current.exit_code == 0)
            for c in self.of_kind("init")
        )
        stamp = rfc3339(self.created_ns)
        defaults = {
            "PodReadyToStartContainers": "True" if self.node else "False",
            "Initialized": "True" if inits_done else "False",
            "Ready": "True" if ready and self.current_phase == "Running" else "False",
            "ContainersReady": "True" if ready else "False",
            "PodScheduled": "True" if self.node else "False",
        }
        reasons = {}
        if not self.node:
            # Not bound yet: only the scheduler has spoken; the kubelet sets the other conditions.
            defaults = {"PodScheduled": "False"}
            reasons["PodScheduled"] = "Unschedulable"
        defaults.update(self.conditions)
        status: dict[str, Any] = {
            "phase": self.current_phase,
            "conditions": [
                {"type": t, "status": s, "lastProbeTime": None, "lastTransitionTime": stamp}
                | ({"reason": reasons[t]} if t in reasons else {})
                for t, s in defaults.items()
            ],
        }
        if self.reason:
            status["reason"] = self.reason
        if self.node:
            status["hostIP"] = "10.0.0.1"
            if self.pod_ip:
                status["podIP"] = self.pod_ip
                status["podIPs"] = [{"ip": self.pod_ip}]
            status["startTime"] = stamp
        if self.node and not self.statuses_hidden:
            # The kubelet reports container statuses only once the pod is bound to its node.
            inits = self.of_kind("init")
            ref = f"{self.name}_{self.namespace}({self.uid})"
            if inits:
                status["initContainerStatuses"] = [c.status(ref) for c in inits]
            status["containerStatuses"] = [c.status(ref) for c in self.of_kind("regular")]
            ephemeral = self.of_kind("ephemeral")
            if ephemeral:
                status["ephemeralContainerStatuses"] = [c.status(ref) for c in ephemeral]
        status["qosClass"] = "BestEffort"
        return status


_OWNER_API = {
    "ReplicaSet": "apps/v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "ReplicationController": "v1",
}


def _spec(c: Container) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.name, "image": c.image}
    if c.sidecar:
        out["restartPolicy"] = "Always"
    out["resources"] = {}
    out["terminationMessagePath"] = "/dev/termination-log"
    out["terminationMessagePolicy"] = "File"
    out["imagePullPolicy"] = "IfNotPresent"
    return out
