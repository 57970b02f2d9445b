"""A client that goes away before the sandbox sends its headers leaves no traceback behind.

pystern cancels requests (a tail stopped, a stream replaced) at any moment; the sandbox then
found the transport closing when it sent the headers of a log or watch response, and aiohttp
logged "Error handling request" with a traceback, which the short soak counts as a failure.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any
from urllib.parse import urlsplit

import pytest


@pytest.mark.parametrize(
    "path",
    ["/api/v1/namespaces/default/pods/web/log?follow=true", "/api/v1/namespaces/default/pods?watch=true"],
    ids=["log", "watch"],
)
async def test_a_client_gone_before_the_headers_leaves_no_traceback(
    sandbox: Any, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    sb = sandbox.cluster
    sb.add_pod("web")
    url = urlsplit(sandbox.url)
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {sb.token}\r\n\r\n".encode()
    caplog.set_level(logging.ERROR)
    for _ in range(30):  # the race is between the request being read and the reset arriving
        _, writer = await asyncio.open_connection(url.hostname, url.port)
        writer.write(request)
        await writer.drain()
        # Reset the connection (SO_LINGER 0) instead of closing it politely.
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        writer.transport.abort()
    await asyncio.sleep(0.5)
    assert "Error handling request" not in caplog.text
