"""Raw-HTTP tests of the sandbox's pod log endpoint against B2 of kubernetes-wire.md."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.parse

import aiohttp
import pytest

from pystern.sandbox import Sandbox
from tests.sandbox.conftest import Api

LOG = "/api/v1/namespaces/default/pods/{}/log"
TS = re.compile(rb"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z (.*)$")
BASE_NS = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z


def status_body(code: int, reason: str, message: str, details: dict[str, object] | None = None) -> bytes:
    body: dict[str, object] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
    body["message"] = message
    if reason:
        body["reason"] = reason
    if details is not None:
        body["details"] = details
    body["code"] = code
    return json.dumps(body, separators=(",", ":")).encode() + b"\n"


async def test_plain_log_and_content_type(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("p")
    sandbox.cluster.write("p", "app", "one", b"two \xff bytes")
    async with api.get(LOG.format("p")) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/plain"
        assert await resp.read() == b"one\ntwo \xff bytes\n"


async def test_timestamps_have_nine_digits(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("p")
    sandbox.cluster.write("p", "app", "a", "b", ts_ns=BASE_NS + 120_000_000)
    body = await api.text(LOG.format("p") + "?timestamps=true")
    assert body == (b"2023-11-14T22:13:20.120000000Z a\n2023-11-14T22:13:20.120000001Z b\n")
    sandbox.cluster.write("p", "app", "now")
    last = (await api.text(LOG.format("p") + "?timestamps=1")).splitlines()[-1]
    match = TS.match(last)
    assert match is not None
    assert match.group(1) == b"now"


async def test_tail_since_and_limit(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    for i in range(10):
        c.write("p", "app", f"line {i}", ts_ns=BASE_NS + i * 500_000_000)  # two lines per second
    assert await api.text(LOG.format("p") + "?tailLines=2") == b"line 8\nline 9\n"
    assert await api.text(LOG.format("p") + "?tailLines=0") == b""
    # sinceTime reaches the kubelet truncated to whole seconds: 22:13:22.7 means 22:13:22.
    body = await api.text(LOG.format("p") + "?sinceTime=2023-11-14T22:13:22.700000000Z")
    assert body.splitlines() == [b"line 4", b"line 5", b"line 6", b"line 7", b"line 8", b"line 9"]
    # limitBytes cuts mid-line.
    assert await api.text(LOG.format("p") + "?limitBytes=9") == b"line 0\nli"
    assert await api.text(LOG.format("p") + "?limitBytes=9&timestamps=true") == b"2023-11-1"
    c.write("p", "app", "fresh")
    assert await api.text(LOG.format("p") + "?sinceSeconds=5") == b"fresh\n"


@pytest.mark.parametrize(
    ("query", "field", "reason", "detail"),
    [
        (
            "tailLines=-1",
            "tailLines",
            "FieldValueInvalid",
            "Invalid value: -1: must be greater than or equal to 0",
        ),
        ("limitBytes=0", "limitBytes", "FieldValueInvalid", "Invalid value: 0: must be greater than 0"),
        ("sinceSeconds=0", "sinceSeconds", "FieldValueInvalid", "Invalid value: 0: must be greater than 0"),
        (
            "sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z",
            "sinceSeconds",
            "FieldValueForbidden",
            "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
        ),
    ],
    ids=["tail", "limit", "since-seconds", "both-since"],
)
async def test_invalid_options_give_422(
    sandbox: Sandbox, api: Api, query: str, field: str, reason: str, detail: str
) -> None:
    # Validation comes before the pod lookup: the pod does not even exist.
    async with api.get(LOG.format("ghost") + "?" + query) as resp:
        assert resp.status == 422
        assert await resp.read() == status_body(
            422,
            "Invalid",
            f'PodLogOptions "ghost" is invalid: {field}: {detail}',
            {
                "name": "ghost",
                "kind": "PodLogOptions",
                "causes": [{"reason": reason, "message": detail, "field": field}],
            },
        )


async def test_missing_pod_is_404(api: Api) -> None:
    async with api.get(LOG.format("nope")) as resp:
        assert resp.status == 404
        assert await resp.read() == status_body(
            404, "NotFound", 'pods "nope" not found', {"name": "nope", "kind": "pods"}
        )


async def test_container_choice_errors(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("multi", containers=("a", "b"), init_containers=("init",), ephemeral_containers=("debug",))
    async with api.get(LOG.format("multi")) as resp:
        assert resp.status == 400
        assert await resp.read() == status_body(
            400,
            "BadRequest",
            "a container name must be specified for pod multi, choose one of: [init a b debug]",
        )
    async with api.get(LOG.format("multi") + "?container=zzz") as resp:
        assert (await resp.json())["message"] == "container zzz is not valid for pod multi"
        assert resp.status == 400
    # One regular container plus an init container: the regular one is the default.
    c.add_pod("single", init_containers=("init",))
    c.write("single", "app", "hi")
    assert await api.text(LOG.format("single")) == b"hi\n"


async def test_kubelet_state_errors(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("creating", running=False)
    body = await api.json(LOG.format("creating"), status=400)
    assert body["message"] == 'container "app" in pod "creating" is waiting to start: ContainerCreating'
    c.add_pod("fresh")
    body = await api.json(LOG.format("fresh") + "?previous=true", status=400)
    assert body["message"] == 'previous terminated container "app" in pod "fresh" not found'
    c.add_pod("pull")
    c.set_waiting("pull", "app", "ImagePullBackOff")
    c.add_pod("pull2", running=False)
    c.set_waiting("pull2", "app", "ErrImagePull")
    body = await api.json(LOG.format("pull2"), status=400)
    assert body["message"] == 'container "app" in pod "pull2" is waiting to start: image can\'t be pulled'


async def test_unscheduled_pod_gives_204(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("pending", node="")
    async with api.get(LOG.format("pending") + "?follow=true") as resp:
        assert resp.status == 204
        assert await resp.read() == b""


async def test_previous_and_crashloop(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    c.write("p", "app", "first run")
    c.restart_container("p", "app", reason="OOMKilled", exit_code=137)
    c.write("p", "app", "second run")
    assert await api.text(LOG.format("p")) == b"second run\n"
    assert await api.text(LOG.format("p") + "?previous=true") == b"first run\n"
    # CrashLoopBackOff: waiting with a lastState -> a normal request serves the previous instance.
    c.set_waiting("p", "app", "CrashLoopBackOff", exit_code=137, terminated_reason="OOMKilled")
    assert await api.text(LOG.format("p")) == b"second run\n"
    async with api.get(LOG.format("p") + "?follow=true") as resp:
        assert await asyncio.wait_for(resp.read(), 5) == b"second run\n"
    pod = await api.json("/api/v1/namespaces/default/pods/p")
    status = pod["status"]["containerStatuses"][0]  # type: ignore[index]
    assert status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert status["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert status["restartCount"] == 2


async def test_follow_streams_and_ends_on_restart(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    c.write("p", "app", "before")
    async with api.get(LOG.format("p") + "?follow=True&timestamps=true") as resp:
        assert resp.status == 200
        first = await asyncio.wait_for(resp.content.readline(), 5)
        assert first.endswith(b" before\n")
        c.write("p", "app", "after")
        assert (await asyncio.wait_for(resp.content.readline(), 5)).endswith(b" after\n")
        c.restart_container("p", "app")
        c.write("p", "app", "new instance")
        assert await asyncio.wait_for(resp.content.read(), 5) == b""  # clean EOF, old instance only
    assert await api.text(LOG.format("p")) == b"new instance\n"


async def test_follow_ends_on_delete_then_404(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    async with api.get(LOG.format("p") + "?follow=1") as resp:
        c.write("p", "app", "bye")
        await asyncio.wait_for(resp.content.readline(), 5)
        c.delete_pod("p")
        assert await asyncio.wait_for(resp.content.read(), 5) == b""
    await api.json(LOG.format("p"), status=404)


async def test_follow_false_spelling_is_not_follow(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("p")
    sandbox.cluster.write("p", "app", "x")
    for spelling in ("false", "FALSE", "0"):
        assert await asyncio.wait_for(api.text(LOG.format("p") + f"?follow={spelling}"), 5) == b"x\n"


async def test_reset_mid_line(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    received = bytearray()
    async with api.get(LOG.format("p") + "?follow=true") as resp:
        c.write("p", "app", "complete line")
        received += await asyncio.wait_for(resp.content.readline(), 5)
        c.write("p", "app", "this line will be cut")
        assert c.break_log_streams("reset") == 1

        async def drain() -> None:
            while chunk := await asyncio.wait_for(resp.content.readany(), 5):
                received.extend(chunk)

        with pytest.raises(aiohttp.ClientPayloadError):
            await drain()
    assert received == b"complete line\nthis line w"  # half of the pending 22-byte record
    # The container runs on: a new request sees everything.
    assert await api.text(LOG.format("p")) == b"complete line\nthis line will be cut\n"


async def test_clean_eof_while_running(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    async with api.get(LOG.format("p") + "?follow=true") as resp:
        c.write("p", "app", "x")
        await asyncio.wait_for(resp.content.readline(), 5)
        c.break_log_streams("eof")
        assert await asyncio.wait_for(resp.content.read(), 5) == b""
    assert sandbox.cluster.pod("p").container("app").current.running  # type: ignore[union-attr]


async def test_error_text_and_partial_line(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    c.write("p", "app", "ok")
    c.write_partial("p", "app", "no newline yet")
    assert await api.text(LOG.format("p")) == b"ok\nno newline yet"
    async with api.get(LOG.format("p") + "?follow=true") as resp:
        await asyncio.wait_for(resp.content.readexactly(len(b"ok\nno newline yet")), 5)
        c.write_error_text("p", "app", "unable to retrieve container logs for containerd://abc")
        tail = await asyncio.wait_for(resp.content.read(), 5)
    assert tail == b"unable to retrieve container logs for containerd://abc"
    async with api.get(LOG.format("p")) as resp:
        assert resp.status == 200
        assert await resp.read() == b"unable to retrieve container logs for containerd://abc"


async def test_bulk_write_large_log(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("big")
    lines = [b"%08d " % i + b"x" * 80 for i in range(40_000)]
    c.bulk_write("big", "app", lines, start_ns=BASE_NS, step_ns=1_000_000)
    body = await api.text(LOG.format("big"))
    assert body == b"\n".join(lines) + b"\n"
    stamped = (await api.text(LOG.format("big") + "?timestamps=true&tailLines=2")).splitlines()
    assert stamped == [
        b"2023-11-14T22:13:59.998000000Z " + lines[-2],
        b"2023-11-14T22:13:59.999000000Z " + lines[-1],
    ]


async def test_log_stream_deadline_cuts_follow(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("p")
    sandbox.cluster.log_stream_max_seconds = 0.3
    started = time.monotonic()
    assert await asyncio.wait_for(api.text(LOG.format("p") + "?follow=true"), 5) == b""
    assert time.monotonic() - started >= 0.25


async def test_bad_integer_is_400(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("p")
    body = await api.json(LOG.format("p") + "?tailLines=abc", status=400)
    assert body["reason"] == "BadRequest"


async def test_a_since_time_go_cannot_read_is_refused_in_gos_words(sandbox: Sandbox, api: Api) -> None:
    # metav1.Time reads sinceTime with time.Parse(time.RFC3339, ...); "null" means no time.
    sandbox.cluster.add_pod("p")
    sandbox.cluster.write("p", "app", "up")
    layout = '"2006-01-02T15:04:05Z07:00"'
    cases = {
        "bad": f'parsing time "bad" as {layout}: cannot parse "bad" as "2006"',
        "2024-05-01": f'parsing time "2024-05-01" as {layout}: cannot parse "" as "T"',
        "2024-13-01T00:00:00Z": 'parsing time "2024-13-01T00:00:00Z": month out of range',
        "2023-02-29T00:00:00Z": 'parsing time "2023-02-29T00:00:00Z": day out of range',
        "2024-05-01T00:00:00": f'parsing time "2024-05-01T00:00:00" as {layout}: cannot parse "" as "Z07:00"',
        "2024-05-01T00:00:00Zx": 'parsing time "2024-05-01T00:00:00Zx": extra text: "x"',
        "2024-05-01t00:00:00Z": (
            f'parsing time "2024-05-01t00:00:00Z" as {layout}: cannot parse "t00:00:00Z" as "T"'
        ),
    }
    for value, message in cases.items():
        body = await api.json(LOG.format("p") + "?sinceTime=" + urllib.parse.quote(value), status=400)
        assert (body["reason"], body["message"]) == ("BadRequest", message)
    assert await api.text(LOG.format("p") + "?sinceTime=null") == b"up\n"
    # Go also takes a one-digit hour and a numeric offset.
    assert (
        await api.text(LOG.format("p") + "?sinceTime=" + urllib.parse.quote("2000-01-01T1:00:00+01:00"))
        == b"up\n"
    )


async def test_statuses_not_reported_yet_then_scheduled(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p", node="")
    pod = await api.json("/api/v1/namespaces/default/pods/p")
    assert "containerStatuses" not in pod["status"]  # type: ignore[operator]
    assert pod["status"]["phase"] == "Pending"  # type: ignore[index]
    c.schedule("p")
    c.hide_statuses("p")
    body = await api.json(LOG.format("p"), status=400)
    assert body["message"] == 'container "app" in pod "p" is not available'
    c.hide_statuses("p", False)
    c.write("p", "app", "up")
    assert await api.text(LOG.format("p")) == b"up\n"
