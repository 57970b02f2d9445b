"""The floor for any log tailer: fetch every matching pod's log and copy the bytes to stdout.

``python bench/raw_read.py KUBECONFIG LABEL_SELECTOR``.  No formatting, no line splitting;
plain aiohttp against the sandbox (token auth, TLS with the kubeconfig's CA), all streams in parallel.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import sys
from pathlib import Path
from typing import Any

import aiohttp
import yaml


async def copy_all(config: dict[str, Any], selector: str) -> None:
    """List the pods, then stream each log to stdout in large writes."""
    cluster = config["clusters"][0]["cluster"]
    server = cluster["server"]
    ssl_context = ssl.create_default_context()
    if "certificate-authority-data" in cluster:
        ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
        ssl_context.load_verify_locations(cadata=ca)
    token = config["users"][0]["user"]["token"]
    out = sys.stdout.buffer
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(ssl=ssl_context, limit=0)
    async with aiohttp.ClientSession(server, headers=headers, connector=connector) as session:
        async with session.get("/api/v1/namespaces/default/pods", params={"labelSelector": selector}) as resp:
            pods = [item["metadata"]["name"] for item in (await resp.json())["items"]]

        async def copy(pod: str) -> None:
            url = f"/api/v1/namespaces/default/pods/{pod}/log"
            async with session.get(url, params={"timestamps": "true"}) as resp:
                async for chunk in resp.content.iter_any():
                    out.write(chunk)

        await asyncio.gather(*(copy(pod) for pod in pods))
    out.flush()


if __name__ == "__main__":
    asyncio.run(copy_all(yaml.safe_load(Path(sys.argv[1]).read_text()), sys.argv[2]))
