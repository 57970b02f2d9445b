"""The floor for any log tailer: fetch every matching pod's log and copy the bytes to stdout.

``python bench/raw_read.py KUBECONFIG LABEL_SELECTOR [--follow]``.  No formatting, no line
splitting; plain aiohttp against the sandbox (token auth, TLS with the kubeconfig's CA), all
streams in parallel.  With ``--follow`` it reads new lines only and prefixes each with the pod
name: the baseline of the latency benchmark.
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


async def copy_all(config: dict[str, Any], selector: str, follow: bool = False) -> None:
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
            params = {"timestamps": "true"}
            if follow:
                params.update(follow="true", tailLines="0")
            prefix = pod.encode() + b" "
            rest = b""
            async with session.get(url, params=params) as resp:
                async for chunk in resp.content.iter_any():
                    if not follow:
                        out.write(chunk)
                        continue
                    # Following: the latency baseline, so prefix the pod and flush at once.
                    lines = (rest + chunk).split(b"\n")
                    rest = lines.pop()
                    if lines:
                        out.write(b"".join(prefix + line + b"\n" for line in lines))
                        out.flush()

        await asyncio.gather(*(copy(pod) for pod in pods))
    out.flush()


if __name__ == "__main__":
    asyncio.run(
        copy_all(yaml.safe_load(Path(sys.argv[1]).read_text()), sys.argv[2], "--follow" in sys.argv[3:])
    )
