"""A minimal aiohttp ``Cluster`` for the sandbox, used only until ``pystern.kube.connect`` exists.

It speaks the same HTTP as the real client (a real socket, the sandbox's real
responses), so the engine can be exercised before the kube layer lands.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from pystern import errors
from pystern.kube.objects import parse_pod
from pystern.model import EventType, PodEvent, PodList
from pystern.ports import LogRequest


def _api_error(status: int, body: bytes) -> errors.ApiError:
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    if status == 410:
        return errors.WatchExpired(410, data.get("reason", "Expired"), data.get("message", ""))
    return errors.ApiError(status, data.get("reason", ""), data.get("message", body.decode(errors="replace")))


class InterimCluster:
    def __init__(self, url: str, token: str, namespace: str = "default") -> None:
        self.url = url
        self.session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {token}"}, connector=aiohttp.TCPConnector(limit=0)
        )
        self.context = "sandbox"
        self.default_namespace = namespace

    def _pods_path(self, namespace: str | None) -> str:
        return f"{self.url}/api/v1/namespaces/{namespace}/pods" if namespace else f"{self.url}/api/v1/pods"

    async def list_pods(self, namespace: str | None, label_selector: str, field_selector: str) -> PodList:
        params = {"labelSelector": label_selector, "fieldSelector": field_selector}
        async with self.session.get(self._pods_path(namespace), params=params) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise _api_error(resp.status, body)
        data = json.loads(body)
        return PodList(tuple(parse_pod(p) for p in data["items"]), data["metadata"]["resourceVersion"])

    async def watch_pods(
        self,
        namespace: str | None,
        label_selector: str,
        field_selector: str,
        resource_version: str,
        timeout_seconds: int | None = None,
    ) -> AsyncIterator[PodEvent]:
        params = {
            "labelSelector": label_selector,
            "fieldSelector": field_selector,
            "watch": "1",
            "resourceVersion": resource_version,
        }
        try:
            async with self.session.get(self._pods_path(namespace), params=params) as resp:
                if resp.status != 200:
                    raise _api_error(resp.status, await resp.read())
                async for raw in resp.content:
                    event = json.loads(raw)
                    if event["type"] == "ERROR":
                        obj = event["object"]
                        raise _api_error(obj.get("code", 500), json.dumps(obj).encode())
                    if event["type"] == "BOOKMARK":
                        continue
                    yield PodEvent(EventType(event["type"]), parse_pod(event["object"]))
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
            raise errors.ConnectionLost(str(exc)) from exc

    @asynccontextmanager
    async def _log(self, request: LogRequest) -> AsyncIterator[AsyncIterator[bytes]]:
        params: dict[str, str] = {"container": request.container, "timestamps": "true"}
        if request.follow:
            params["follow"] = "true"
        if request.since_seconds is not None:
            params["sinceSeconds"] = str(request.since_seconds)
        if request.since_time is not None:
            params["sinceTime"] = request.since_time
        if request.tail_lines is not None:
            params["tailLines"] = str(request.tail_lines)
        url = f"{self.url}/api/v1/namespaces/{request.namespace}/pods/{request.pod}/log"
        try:
            resp = await self.session.get(url, params=params)
        except aiohttp.ClientConnectionError as exc:
            raise errors.ConnectionFailed(str(exc)) from exc
        try:
            if resp.status >= 300:
                raise _api_error(resp.status, await resp.read())

            async def chunks() -> AsyncIterator[bytes]:
                try:
                    async for chunk in resp.content.iter_any():
                        yield chunk
                except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
                    raise errors.ConnectionLost(str(exc)) from exc

            yield chunks()
        finally:
            resp.close()

    def stream_log(self, request: LogRequest) -> Any:
        return self._log(request)

    async def get_object(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        raise NotImplementedError

    async def list_objects(
        self, kind: str, namespace: str | None, label_selector: str = ""
    ) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def aclose(self) -> None:
        await self.session.close()
