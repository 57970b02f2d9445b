"""``GET .../pods/{name}/log``: option validation, container choice, kubelet checks, streaming.

The order of checks and every error text follow B2 of kubernetes-wire.md: 422 for bad
options, 404 for a missing pod, 400 for the container choice, 204 for an unscheduled
pod, then the kubelet's 400s (waiting to start, previous not found).  A follow stream
flushes its headers at once and ends with a clean EOF when the instance ends.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Mapping

from aiohttp import web

from pystern.sandbox.containers import ContainerDriver, LogStream
from pystern.sandbox.gotime import parse_rfc3339
from pystern.sandbox.logstore import LogBuffer
from pystern.sandbox.params import BadParam, flag, integer
from pystern.sandbox.pods import Container, Instance, PodRecord
from pystern.sandbox.status import bad_request, invalid, not_found
from pystern.timefmt import NS_PER_SECOND

CHUNK = 1 << 20
"""Bytes per write when serving a long stored log."""

_WAITING_TEXT = {
    "ErrImagePull": "image can't be pulled",
    "ImagePullBackOff": "trying and failing to pull image",
}


class LogOptions:
    """Parsed and validated ``PodLogOptions``."""

    def __init__(self, query: Mapping[str, str]) -> None:
        self.container = query.get("container", "")
        self.follow = flag(query, "follow")
        self.previous = flag(query, "previous")
        self.timestamps = flag(query, "timestamps")
        self.since_seconds = integer(query, "sinceSeconds")
        self.tail_lines = integer(query, "tailLines")
        self.limit_bytes = integer(query, "limitBytes")
        self.since_time: int | None = None
        raw = query.get("sinceTime")
        # "null" is what old clients sent for no time (metav1.Time.UnmarshalQueryParameter).
        if raw and raw != "null":
            try:
                # The apiserver forwards sinceTime to the kubelet as time.RFC3339: whole seconds.
                self.since_time = parse_rfc3339(raw) // NS_PER_SECOND * NS_PER_SECOND
            except ValueError as exc:
                raise BadParam(str(exc)) from None

    def problems(self) -> list[tuple[str, str, str]]:
        """ValidatePodLogOptions: (field, cause reason, detail) for each violation."""
        out: list[tuple[str, str, str]] = []
        if self.tail_lines is not None and self.tail_lines < 0:
            out.append(
                (
                    "tailLines",
                    "FieldValueInvalid",
                    f"Invalid value: {self.tail_lines}: must be greater than or equal to 0",
                )
            )
        if self.limit_bytes is not None and self.limit_bytes < 1:
            out.append(
                (
                    "limitBytes",
                    "FieldValueInvalid",
                    f"Invalid value: {self.limit_bytes}: must be greater than 0",
                )
            )
        if self.since_seconds is not None and self.since_time is not None:
            out.append(
                (
                    "sinceSeconds",
                    "FieldValueForbidden",
                    "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
                )
            )
        elif self.since_seconds is not None and self.since_seconds < 1:
            out.append(
                (
                    "sinceSeconds",
                    "FieldValueInvalid",
                    f"Invalid value: {self.since_seconds}: must be greater than 0",
                )
            )
        return out

    @property
    def since_ns(self) -> int | None:
        """The lower time bound, if any."""
        if self.since_seconds is not None:
            return time.time_ns() - self.since_seconds * NS_PER_SECOND
        return self.since_time


def _choose_container(pod: PodRecord, name: str) -> Container | web.Response:
    if not name:
        regular = pod.of_kind("regular")
        if len(regular) == 1:
            return regular[0]
        if not regular:
            return bad_request(f"a container name must be specified for pod {pod.name}")
        order = pod.of_kind("init") + regular + pod.of_kind("ephemeral")
        names = " ".join(c.name for c in order)
        return bad_request(f"a container name must be specified for pod {pod.name}, choose one of: [{names}]")
    found = pod.container(name)
    if found is None:
        return bad_request(f"container {name} is not valid for pod {pod.name}")
    return found


def _choose_instance(pod: PodRecord, cont: Container, previous: bool) -> Instance | web.Response:
    """The kubelet's validateContainerLogStatus pick order."""
    cur = cont.current
    where = f'container "{cont.name}" in pod "{pod.name}"'
    if pod.statuses_hidden:
        return bad_request(f"{where} is not available")
    if previous:
        prev = cont.previous
        if prev is None:
            return bad_request(f"previous terminated {where} not found")
        return prev
    if cur is not None and cur.running and not cont.waiting_reason:
        return cur
    if cur is not None and not cur.running and not cont.waiting_reason:
        return cur
    if cont.previous is not None and cont.waiting_reason:
        return cont.previous
    if cont.waiting_reason:
        reason = _WAITING_TEXT.get(cont.waiting_reason, cont.waiting_reason)
        return bad_request(f"{where} is waiting to start: {reason}")
    return bad_request(f"{where} is waiting to start - no logs yet")


async def serve_logs(
    request: web.Request, driver: ContainerDriver, namespace: str, name: str
) -> web.StreamResponse:
    """Answer one log request."""
    try:
        opts = LogOptions(request.query)
    except BadParam as exc:
        return bad_request(str(exc))
    problems = opts.problems()
    if problems:
        return invalid("PodLogOptions", name, problems)
    pod = driver.pods.get((namespace, name))
    if pod is None:
        return not_found("pods", name)
    cont = _choose_container(pod, opts.container)
    if isinstance(cont, web.Response):
        return cont
    if not pod.node:
        return web.Response(status=204)
    inst = _choose_instance(pod, cont, opts.previous)
    if isinstance(inst, web.Response):
        return inst
    follow = opts.follow and inst is cont.current and inst.running
    resp = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
    resp.enable_chunked_encoding()
    try:
        await resp.prepare(request)  # the kubelet flushes headers before any log output
    except (ConnectionResetError, ConnectionError):
        return resp  # the client went away before the headers (a cancelled tail): nothing to serve
    stream = LogStream(namespace, name, cont.name, inst.log)
    driver.streams.add(stream)
    try:
        await _pump(request, resp, driver, stream, opts, follow)
    except (ConnectionResetError, ConnectionError):
        pass
    finally:
        driver.streams.discard(stream)
    return resp


async def _pump(
    request: web.Request,
    resp: web.StreamResponse,
    driver: ContainerDriver,
    stream: LogStream,
    opts: LogOptions,
    follow: bool,
) -> None:
    buf: LogBuffer = stream.buffer
    if buf.error_text is not None:
        await resp.write(buf.error_text)
        return
    pos = buf.start_offset(tail_lines=opts.tail_lines, since_ns=opts.since_ns)
    budget = opts.limit_bytes
    loop = asyncio.get_running_loop()
    deadline = None
    if follow and driver.log_stream_max_seconds is not None:
        deadline = loop.time() + driver.log_stream_max_seconds
    while True:
        while stream.cut == "stall":
            # A half-open connection: nothing more is sent until the client gives up.
            if buf.closed:
                await asyncio.sleep(0.1)
            else:
                await buf.wait(sys.maxsize)
        if stream.cut:
            await _cut(request, resp, stream, pos, opts.timestamps)
            return
        if buf.error_text is not None:
            await resp.write(buf.error_text)
            return
        end = len(buf.data)
        while pos < end:
            stop = end
            if stop - pos > CHUNK:
                # Cut at a record boundary so the timestamp-free rendering stays aligned.
                stop = buf.starts[buf.record_index(pos + CHUNK)]
                if stop <= pos:
                    stop = end
            out = buf.render(pos, stop, timestamps=opts.timestamps)
            pos = stop
            if budget is not None:
                if len(out) >= budget:
                    await resp.write(out[:budget])
                    return
                budget -= len(out)
            await resp.write(out)
            if stream.cut:
                break
        if stream.cut:
            continue
        if not follow or buf.closed:
            return
        if deadline is None:
            await buf.wait(pos)
        else:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                async with asyncio.timeout(remaining):
                    await buf.wait(pos)
            except TimeoutError:
                return


async def _cut(request: web.Request, resp: web.StreamResponse, stream: LogStream, pos: int, ts: bool) -> None:
    """Apply :meth:`~pystern.sandbox.faults.FaultDriver.break_log_streams` to one stream."""
    if stream.cut == "eof":
        return
    buf = stream.buffer
    if stream.mid_line and pos < len(buf.data):
        index = buf.record_index(pos)
        end = buf.starts[index + 1] if index + 1 < len(buf.starts) else len(buf.data)
        record = buf.render(pos, end, timestamps=ts)
        half = record[: max(1, len(record) // 2)]
        await resp.write(half)
    transport = request.transport
    if transport is not None:
        # Closing without the terminating zero-length chunk: a truncated chunked body.
        transport.close()
    raise ConnectionResetError("log stream cut by the scenario driver")
