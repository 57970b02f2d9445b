"""Fixtures for the sandbox's own tests: an authenticated aiohttp session on the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from pystern.sandbox import Sandbox


class Api:
    """A tiny raw-HTTP client for the sandbox (no kubernetes_asyncio here on purpose)."""

    def __init__(self, sb: Sandbox, session: aiohttp.ClientSession) -> None:
        self.sb = sb
        self.session = session

    def get(self, path: str, **kwargs: object) -> aiohttp.client._RequestContextManager:
        """``GET`` with the sandbox's current token unless headers are given."""
        headers = kwargs.pop("headers", None) or {"Authorization": f"Bearer {self.sb.token}"}
        return self.session.get(self.sb.url + path, headers=headers, **kwargs)  # type: ignore[arg-type]

    async def json(self, path: str, status: int = 200) -> dict[str, object]:
        """GET and decode JSON, asserting the HTTP status."""
        async with self.get(path) as resp:
            body = await resp.json(content_type=None)
            assert resp.status == status, body
            return body  # type: ignore[no-any-return]

    async def text(self, path: str, status: int = 200) -> bytes:
        """GET the raw body, asserting the HTTP status."""
        async with self.get(path) as resp:
            body = await resp.read()
            assert resp.status == status, body
            return body


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[Api]:
    """Raw HTTP access to the ``sandbox`` fixture."""
    async with aiohttp.ClientSession() as session:
        yield Api(sandbox, session)
