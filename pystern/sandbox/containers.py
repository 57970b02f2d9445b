"""The scenario driver, part 2: containers of existing pods, and their logs.

A container's life (restart, terminate, CrashLoopBackOff, ``kubectl debug``) and what it
writes: lines, partial records, runtime error text, rotation.  Open log responses register
here as :class:`LogStream` so faults (:mod:`pystern.sandbox.faults`) can cut them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pystern.sandbox.driver import PodDriver
from pystern.sandbox.logstore import LogBuffer
from pystern.sandbox.pods import Container


@dataclass(eq=False)
class LogStream:
    """An open log response, registered so faults can reach it."""

    namespace: str
    pod: str
    container: str
    buffer: LogBuffer
    cut: str = ""
    """"" while healthy; "reset" or "eof" once :meth:`FaultDriver.break_log_streams` was called."""
    mid_line: bool = True


def as_bytes(line: str | bytes) -> bytes:
    """Text lines are written as UTF-8."""
    return line.encode() if isinstance(line, str) else line


class ContainerDriver(PodDriver):
    """Containers and logs on top of :class:`PodDriver`."""

    def __init__(self, token: str = "sandbox-token") -> None:
        super().__init__(token)
        self.streams: set[LogStream] = set()

    def _container(self, pod: str, container: str, namespace: str) -> Container:
        cont = self.pod(pod, namespace).container(container)
        if cont is None:
            raise KeyError(f"pod {namespace}/{pod} has no container {container}")
        return cont

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
