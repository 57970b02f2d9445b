"""OIDC auth-provider through kubernetes_asyncio: refresh of an expired id-token, and after a 401."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from pystern.kube import connect
from pystern.options import Connection
from pystern.sandbox import Sandbox
from tests.kube.conftest import write

# kubernetes_asyncio's OpenIDRequestor uses aiohttp arguments deprecated in 3.14 (verify_ssl, BasicAuth);
# outside pytest's warnings-as-errors they are silent.
pytestmark = [
    pytest.mark.filterwarnings("ignore:verify_ssl is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]


def jwt(exp: float, sub: str) -> str:
    def enc(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'none'})}.{enc({'exp': int(exp), 'sub': sub})}.sig"


class IdP:
    """A minimal OpenID provider: discovery document and a refresh-token grant."""

    def __init__(self) -> None:
        self.next_token = jwt(time.time() + 3600, "first")
        self.refreshes: list[str] = []
        self.url = ""

    async def well_known(self, request: web.Request) -> web.Response:
        return web.json_response({"token_endpoint": self.url + "/token"})

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.refreshes.append(str(form.get("refresh_token")))
        return web.json_response(
            {"id_token": self.next_token, "refresh_token": f"r{len(self.refreshes) + 1}"}
        )


@pytest.fixture
async def idp() -> AsyncIterator[IdP]:
    provider = IdP()
    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", provider.well_known)
    app.router.add_post("/token", provider.token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    provider.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield provider
    await runner.cleanup()


async def test_expired_id_token_is_refreshed_and_401_forces_a_refresh(
    sandbox: Sandbox, idp: IdP, tmp_path: Path
) -> None:
    sandbox.cluster.rotate_token(idp.next_token)
    doc = sandbox.kubeconfig_dict()
    doc["users"][0]["user"] = {
        "auth-provider": {
            "name": "oidc",
            "config": {
                "client-id": "pystern",
                "client-secret": "s",
                "idp-issuer-url": idp.url,
                "id-token": jwt(time.time() - 60, "expired"),
                "refresh-token": "r1",
            },
        }
    }
    path = write(tmp_path / "k", doc)
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        await cluster.list_pods("default", "", "")
        assert idp.refreshes == ["r1"]
        idp.next_token = jwt(time.time() + 3600, "second")
        sandbox.cluster.rotate_token(idp.next_token)
        await cluster.list_pods("default", "", "")  # 401, forced refresh, retry
        assert idp.refreshes == ["r1", "r2"]
