"""The scenario driver, part 1: namespaces, nodes, pods, containers and their logs.

Every method is synchronous and runs on the server's event loop: it mutates the
in-memory cluster, publishes watch events and wakes log followers at once, so a test
can write ``sb.cluster.write("web", "app", "hello")`` and then await what a client sees.
Faults live in :mod:`pystern.sandbox.faults`, workloads in :mod:`pystern.sandbox.deployments`
and :mod:`pystern.sandbox.workloads`.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pystern.sandbox.logstore import LogBuffer
from pystern.sandbox.pods import Container, PodRecord, now_ns, rfc3339
from pystern.sandbox.store import Store
from pystern.timefmt import NS_PER_SECOND, parse_rfc3339_ns

Owner = tuple[str, str, str]
"""(kind, name, uid) of a controlling owner."""


@dataclass(eq=False)
class LogStream:
    """An open log response, registered so faults can reach it."""

    namespace: str
    pod: str
    container: str
    buffer: LogBuffer
    cut: str = ""
    """"" while healthy; "reset" or "eof" once :meth:`PodDriver.break_log_streams` was called."""
    mid_line: bool = True


def as_bytes(line: str | bytes) -> bytes:
    """Text lines are written as UTF-8."""
    return line.encode() if isinstance(line, str) else line


class PodDriver:
    """Synchronous mutations of the simulated cluster (see the module docstring)."""

    def __init__(self, token: str = "sandbox-token") -> None:
        self.store = Store()
        self.pods: dict[tuple[str, str], PodRecord] = {}
        self.streams: set[LogStream] = set()
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
        self.list_pages: dict[str, tuple[list[dict[str, Any]], str]] = {}
        """``continue`` token -> the rest of a paged list and its resourceVersion (oldest first)."""
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

    def remember_list_page(self, rest: list[dict[str, Any]], resource_version: str) -> str:
        """Keep the rest of a paged list for its ``continue`` token (the newest 100 are kept)."""
        token = uuid.uuid4().hex
        self.list_pages[token] = (rest, resource_version)
        while len(self.list_pages) > 100:
            del self.list_pages[next(iter(self.list_pages))]
        return token

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
            if owner is not None:
                # A controller's pod is first seen Pending (ContainerCreating) and then Running, as
                # a real one is: watchers meet its containers without an ID first.
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

    def _container(self, pod: str, container: str, namespace: str) -> Container:
        cont = self.pod(pod, namespace).container(container)
        if cont is None:
            raise KeyError(f"pod {namespace}/{pod} has no container {container}")
        return cont

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

    # ---------------------------------------------------------------- containers
    def add_ephemeral_container(
        self, pod: str, name: str, *, namespace: str = "default", image: str = "busybox:1.36"
    ) -> dict[str, Any]:
        """What ``kubectl debug`` does to a running pod: a new ephemeral container, then it runs.

        Two updates, as from a real cluster: the spec entry with a waiting status
        (ContainerCreating), then the container running with a fresh container ID.
        """
        rec = self.pod(pod, namespace)
        if rec.container(name) is not None:
            raise ValueError(f"pod {namespace}/{pod} already has a container {name}")
        cont = Container(name, "ephemeral", image)
        rec.containers.append(cont)
        self._publish(rec)
        cont.start()
        return self._publish(rec)

    def restart_container(
        self,
        pod: str,
        container: str,
        *,
        namespace: str = "default",
        reason: str = "Error",
        exit_code: int = 1,
    ) -> dict[str, Any]:
        """The current instance terminates (-> lastState) and a new one runs with an empty log."""
        cont = self._container(pod, container, namespace)
        cont.terminate(reason, exit_code)
        if cont.current is not None:
            cont.restart_count += 1
        cont.start()
        return self._publish(self.pod(pod, namespace))

    def terminate_container(
        self,
        pod: str,
        container: str,
        *,
        namespace: str = "default",
        reason: str = "Completed",
        exit_code: int = 0,
    ) -> dict[str, Any]:
        """The current instance ends; open follow streams drain and end."""
        cont = self._container(pod, container, namespace)
        cont.terminate(reason, exit_code)
        cont.waiting_reason = ""
        return self._publish(self.pod(pod, namespace))

    def set_waiting(
        self,
        pod: str,
        container: str,
        reason: str,
        *,
        namespace: str = "default",
        exit_code: int = 1,
        terminated_reason: str = "Error",
    ) -> dict[str, Any]:
        """Put a container in waiting (e.g. CrashLoopBackOff).

        A running instance is terminated first (``terminated_reason``, ``exit_code``) and
        becomes ``lastState``; for CrashLoopBackOff the restart count goes up, and log
        requests then serve that previous instance, as the kubelet does.
        """
        cont = self._container(pod, container, namespace)
        cur = cont.current
        if cur is not None and cur.running:
            cont.terminate(terminated_reason, exit_code)
            if reason == "CrashLoopBackOff":
                cont.restart_count += 1
        cont.waiting_reason = reason
        return self._publish(self.pod(pod, namespace))

    def set_running(self, pod: str, container: str, *, namespace: str = "default") -> dict[str, Any]:
        """Start a new instance of a waiting or terminated container (a running one is left alone)."""
        cont = self._container(pod, container, namespace)
        cur = cont.current
        if cur is None or not cur.running:
            if cur is not None and not cont.waiting_reason:
                cont.restart_count += 1
            cont.start()
        cont.waiting_reason = ""
        return self._publish(self.pod(pod, namespace))

    # ---------------------------------------------------------------- logs
    def _log(self, pod: str, container: str, namespace: str) -> LogBuffer:
        cur = self._container(pod, container, namespace).current
        if cur is None:
            raise ValueError(f"container {container} of {namespace}/{pod} has not started")
        return cur.log

    def write(
        self,
        pod: str,
        container: str,
        *lines: str | bytes,
        namespace: str = "default",
        ts_ns: int | None = None,
    ) -> None:
        """Append log lines (without "\\n") to the container's current instance.

        ``ts_ns`` is the first line's time in epoch ns (default now); later lines get
        strictly increasing times.
        """
        self._log(pod, container, namespace).append([as_bytes(line) for line in lines], ts_ns)

    def write_partial(
        self,
        pod: str,
        container: str,
        data: str | bytes,
        *,
        namespace: str = "default",
        ts_ns: int | None = None,
    ) -> None:
        """Append one record without a trailing newline (a partial last line)."""
        self._log(pod, container, namespace).append([as_bytes(data)], ts_ns, newline=False)

    def bulk_write(
        self,
        pod: str,
        container: str,
        lines: Iterable[bytes],
        *,
        namespace: str = "default",
        start_ns: int,
        step_ns: int = 1000,
    ) -> None:
        """Append many lines fast; line i gets ``start_ns + i * step_ns``."""
        self._log(pod, container, namespace).bulk_append(list(lines), start_ns, step_ns)

    def write_error_text(
        self, pod: str, container: str, text: str | bytes, *, namespace: str = "default"
    ) -> None:
        """Kubelet-style runtime error text inside a 200 body.

        Open streams of the current instance get the text and end; later requests get a
        200 whose body is only this text, until the container restarts.
        """
        buf = self._log(pod, container, namespace)
        buf.error_text = as_bytes(text)
        buf.wake()

    def write_long_line(
        self,
        pod: str,
        container: str,
        size: int,
        *,
        namespace: str = "default",
        record_size: int = 16 * 1024,
        fill: bytes = b"x",
    ) -> None:
        """One line of ``size`` bytes stored as the runtime does: partial records of ``record_size``.

        Each partial record gets its own timestamp prefix, so with ``timestamps=true`` the
        line carries extra timestamps in the middle, exactly as the kubelet serves it.
        """
        buf = self._log(pod, container, namespace)
        data = (fill * (size // max(1, len(fill)) + 1))[:size]
        pieces = [data[i : i + record_size] for i in range(0, len(data), record_size)] or [b""]
        for piece in pieces[:-1]:
            buf.append([piece], newline=False)
        buf.append([pieces[-1]])

    def rotate_log(self, pod: str, container: str, *, namespace: str = "default") -> None:
        """Simulate the kubelet's log rotation: the current instance's log starts a new, empty file.

        The kubelet serves only the current file, so every line written so far is no longer
        served (a client that had not read it yet has lost it); later writes go to the new
        file, with later timestamps.  The kubelet moves an open follow stream on to the new
        file; the sandbox does not, so the instance's streams must be broken first
        (:meth:`~pystern.sandbox.faults.FaultDriver.break_log_streams`), else ValueError.
        """
        inst = self._container(pod, container, namespace).current
        if inst is None:
            raise ValueError(f"container {container} of {namespace}/{pod} has not started")
        old = inst.log
        if any(s.buffer is old and not s.cut for s in self.streams):
            raise ValueError(f"{namespace}/{pod}/{container} has open log streams: break them first")
        # Streams being cut keep reading the old buffer (what they had not sent yet is cut anyway).
        new = LogBuffer()
        new.last_ns = old.last_ns
        new.error_text = old.error_text
        inst.log = new

    def log_of(
        self, pod: str, container: str, *, namespace: str = "default", previous: bool = False
    ) -> bytes:
        """The stored log of the current (or previous) instance, with timestamps (for assertions)."""
        cont = self._container(pod, container, namespace)
        inst = cont.previous if previous else cont.current
        return bytes(inst.log.data) if inst is not None else b""


def _creating(containers: Sequence[Container], init_containers: Sequence[str]) -> None:
    """Every container waits to be created (regular ones behind init containers wait for those)."""
    for c in containers:
        behind_inits = c.kind == "regular" and bool(init_containers)
        c.waiting_reason = "PodInitializing" if behind_inits else "ContainerCreating"


def _uid() -> str:
    return str(uuid.uuid4())
