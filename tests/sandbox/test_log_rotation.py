"""The scenario driver's simulated kubelet log rotation (``rotate_log``)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from pystern.sandbox import Sandbox
from pystern.timefmt import NS_PER_SECOND, parse_rfc3339_ns
from tests.sandbox.conftest import Api

LOG = "/api/v1/namespaces/default/pods/{}/log"


async def test_rotation_serves_only_lines_written_after_it(sandbox: Sandbox, api: Api) -> None:
    c = sandbox.cluster
    c.add_pod("p")
    # Old lines stamped ahead of the clock: the new file's must still come after them.
    ahead = time.time_ns() + 5 * NS_PER_SECOND
    c.write("p", "app", "old 1", "old 2", ts_ns=ahead)
    async with api.get(LOG.format("p") + "?follow=true") as resp:
        await asyncio.wait_for(resp.content.readline(), 5)
        with pytest.raises(ValueError, match="open log streams"):
            c.rotate_log("p", "app")  # the sandbox cannot move an open stream to the new file
        c.break_log_streams("reset", mid_line=False)
        c.rotate_log("p", "app")

        async def drain() -> None:
            while await asyncio.wait_for(resp.content.readany(), 5):
                pass

        with pytest.raises(aiohttp.ClientPayloadError):
            await drain()
    before = (await api.text(LOG.format("p") + "?timestamps=true")).splitlines()
    assert before == []
    c.write("p", "app", "new 1")
    (line,) = (await api.text(LOG.format("p") + "?timestamps=true")).splitlines()
    stamp, text = line.split(b" ", 1)
    assert text == b"new 1"
    assert parse_rfc3339_ns(stamp) > ahead + 1
    assert await api.text(LOG.format("p")) == b"new 1\n"
