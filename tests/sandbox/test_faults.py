"""Fault-injection hooks of the scenario driver (the sandbox's part of the reliability issue)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from pystern.sandbox import Sandbox
from tests.sandbox.conftest import Api

PODS = "/api/v1/namespaces/default/pods"
LOG = PODS + "/{}/log"


async def test_injected_429_with_retry_after(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.fail_requests(429, times=2, path_contains="/pods")
    for _ in range(2):
        async with api.get(PODS + "?watch=1") as resp:
            assert resp.status == 429
            assert resp.headers["Retry-After"] == "1"
            body = await resp.json()
            assert body["reason"] == "TooManyRequests"
            assert body["details"] == {"retryAfterSeconds": 1}
    await api.json(PODS)  # the third request goes through


async def test_injected_500_only_on_matching_path(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("p")
    sandbox.cluster.fail_requests(500, path_contains="/log")
    await api.json(PODS)
    body = await api.json(LOG.format("p"), status=500)
    assert body["reason"] == "InternalError"
    await api.text(LOG.format("p"))


async def test_kubelet_not_found(sandbox: Sandbox, api: Api) -> None:
    sandbox.cluster.add_pod("p")
    sandbox.cluster.kubelet_not_found("p")
    async with api.get(LOG.format("p")) as resp:
        assert resp.status == 404
        assert await resp.read() == (
            b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
            b'"message":"the server could not find the requested resource ( pods/log p)",'
            b'"reason":"NotFound","details":{"name":"p","kind":"pods/log"},"code":404}\n'
        )


async def test_stalled_stream_sends_nothing_more(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    async with api.get(LOG.format("p") + "?follow=1") as resp:
        c.write("p", "app", "one")
        assert await asyncio.wait_for(resp.content.readline(), 5) == b"one\n"
        c.break_log_streams("stall")
        c.write("p", "app", "two")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(resp.content.readline(), 0.3)
    assert await api.text(LOG.format("p")) == b"one\ntwo\n"


async def test_long_line_has_embedded_timestamps(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    c.write_long_line("p", "app", 40_000)
    c.write("p", "app", "short")
    plain = await api.text(LOG.format("p"))
    assert plain == b"x" * 40_000 + b"\nshort\n"
    stamped = await api.text(LOG.format("p") + "?timestamps=true")
    first = stamped.split(b"\n")[0]
    # 16 KiB + 16 KiB + rest: three records, three prefixes in one line.
    assert first.count(b"Z ") == 3
    assert len(first) == 40_000 + 3 * 31


async def test_raw_watch_garbage_and_reset(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    async with api.get(PODS + "?watch=1") as resp:
        await asyncio.sleep(0.05)
        assert c.send_watch_raw(b'{"type":"ADDED","object":{not json}}\n') == 1
        assert await asyncio.wait_for(resp.content.readline(), 5) == b'{"type":"ADDED","object":{not json}}\n'
        c.add_pod("after")
        assert json.loads(await asyncio.wait_for(resp.content.readline(), 5))["type"] == "ADDED"
        c.break_watches("reset")
        with pytest.raises(aiohttp.ClientPayloadError):
            await asyncio.wait_for(resp.content.read(), 5)


async def test_break_watches_clean(sandbox: Sandbox, api: Api) -> None:
    async with api.get(PODS + "?watch=1") as resp:
        await asyncio.sleep(0.05)
        sandbox.cluster.break_watches("close")
        assert await asyncio.wait_for(resp.content.read(), 5) == b""


async def test_restart_refuses_then_serves(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    async with api.get(LOG.format("p") + "?follow=1") as resp:
        c.write("p", "app", "x")
        await asyncio.wait_for(resp.content.readline(), 5)
        await sandbox.stop_serving()
        with pytest.raises(aiohttp.ClientPayloadError):
            await asyncio.wait_for(resp.content.read(), 5)
    async with aiohttp.ClientSession() as fresh:
        with pytest.raises(aiohttp.ClientConnectorError):
            await fresh.get(sandbox.url + PODS)
    await sandbox.resume_serving()
    await api.json(PODS)


async def test_tls_with_generated_ca(tls_sandbox: Sandbox) -> None:
    import ssl

    assert tls_sandbox.url.startswith("https://127.0.0.1:")
    assert tls_sandbox.ca_path is not None
    ctx = ssl.create_default_context(cafile=str(tls_sandbox.ca_path))
    headers = {"Authorization": f"Bearer {tls_sandbox.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(tls_sandbox.url + "/version", ssl=ctx) as resp:
            assert resp.status == 200
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(tls_sandbox.url + "/version")
    config = tls_sandbox.kubeconfig_dict()
    assert config["clusters"][0]["cluster"]["certificate-authority-data"]


async def test_stalled_watch_sends_nothing(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.bookmark_interval = 0.05
    async with api.get(PODS + "?watch=1&allowWatchBookmarks=true") as resp:
        await asyncio.sleep(0.05)
        c.break_watches("stall")
        await asyncio.sleep(0.15)
        resp.content.read_nowait()  # drop what came before the stall
        c.add_pod("unseen")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(resp.content.readline(), 0.3)


async def test_injected_errors_match_the_query_too(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    c.fail_requests(503, times=1, path_contains="watch=true")
    c.fail_requests(500, times=1, path_contains="labelSelector=app=web")
    await api.json(PODS)  # a list: neither matches
    await api.text(LOG.format("p") + "?timestamps=true")
    await api.json(PODS + "?labelSelector=app%3Dweb", status=500)  # matched after decoding
    async with api.get(PODS + "?watch=true") as resp:
        assert resp.status == 503
    assert not c.injected
    # A plain path still matches as before, whatever the query.
    c.fail_requests(500, path_contains="/pods/p/log")
    await api.json(LOG.format("p") + "?follow=true&container=app", status=500)


async def test_empty_responses(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    c.write("p", "app", "kept")
    c.empty_responses(times=1, path_contains="/log")
    c.empty_responses(times=1, path_contains="watch=1")
    c.empty_responses(times=1, path_contains="/pods?")
    async with api.get(LOG.format("p") + "?follow=true") as resp:
        assert (resp.status, resp.headers["Content-Length"], resp.content_type) == (200, "0", "text/plain")
        assert await resp.read() == b""
    async with api.get(PODS + "?watch=1") as resp:
        assert (resp.status, resp.headers["Content-Length"]) == (200, "0")
        assert resp.content_type == "application/json"
        assert await asyncio.wait_for(resp.read(), 5) == b""
    assert await api.text(PODS + "?limit=500") == b""  # a list with no JSON at all
    assert not c.injected
    assert await api.text(LOG.format("p")) == b"kept\n"  # used up: the next request is served


async def test_requests_are_counted_per_path(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    await api.text(LOG.format("p") + "?timestamps=true")
    await api.text(LOG.format("p"))
    c.fail_requests(500, path_contains="/log")
    await api.json(LOG.format("p"), status=500)
    await api.json(PODS)
    assert c.requests_seen[LOG.format("p")] == 3
    assert c.requests_seen[PODS] == 1
