"""Credentials are not sent over plain HTTP to another machine, as kubectl does not send them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from pystern.errors import ApiError
from pystern.kube import connect
from pystern.options import Connection
from pystern.sandbox import Sandbox
from tests.kube.conftest import write


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def _remote(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **user: Any) -> str:
    """A kubeconfig naming a remote http:// server, reached through an HTTP proxy (the sandbox itself:
    it answers absolute-form requests), so the clear text crosses a proxy as it would a network."""
    doc = sandbox.kubeconfig_dict()
    port = sandbox.host_port.rsplit(":", 1)[1]
    doc["clusters"][0]["cluster"]["server"] = f"http://api.cluster.invalid:{port}"
    doc["users"][0]["user"].update(user)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    return str(write(tmp_path / "k", doc))


WARNING = (
    'pystern: warning: the credentials of user "sandbox" are not sent to http://api.cluster.invalid:{port}: '
    "it is plain HTTP (kubectl does not send them either); use an https:// server\n"
)


async def test_a_token_is_not_sent_to_a_remote_http_server(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _remote(sandbox, tmp_path, monkeypatch, **{"as": "viewer"})
    err = io.StringIO()
    async with await connect(Connection(kubeconfig=path), stderr=err) as cluster:
        with pytest.raises(ApiError, match="You must be logged in"):
            await cluster.list_pods("default", "", "")
    assert err.getvalue() == WARNING.format(port=sandbox.host_port.rsplit(":", 1)[1])
    assert sandbox.cluster.header_values("Authorization") == [[]] * len(sandbox.cluster.headers_seen)
    # Impersonation is not a secret: kubectl sends it over http:// too.
    assert sandbox.cluster.header_values("Impersonate-User")[-1] == ["viewer"]


@pytest.mark.parametrize(
    "user",
    [
        pytest.param({"token": None, "username": "u", "password": "p"}, id="basic-auth"),
        # Not even run: a command that does not exist would otherwise fail the start.
        pytest.param(
            {"token": None, "exec": {"command": "/nonexistent/plugin", "apiVersion": "x"}}, id="exec"
        ),
    ],
)
async def test_other_credentials_are_not_used_either(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: dict[str, Any]
) -> None:
    path = _remote(sandbox, tmp_path, monkeypatch, **user)
    err = io.StringIO()
    async with await connect(Connection(kubeconfig=path), stderr=err) as cluster:
        with pytest.raises(ApiError, match="You must be logged in"):
            await cluster.list_pods("default", "", "")
    assert "are not sent to http://api.cluster.invalid" in err.getvalue()
    assert sandbox.cluster.header_values("Authorization") == [[]] * len(sandbox.cluster.headers_seen)


async def test_a_loopback_http_server_gets_the_token(sandbox: Sandbox) -> None:
    # Nothing leaves the machine; the sandbox and --demo live there.
    err = io.StringIO()
    assert sandbox.kubeconfig_path is not None
    async with await connect(Connection(kubeconfig=str(sandbox.kubeconfig_path)), stderr=err) as cluster:
        await cluster.list_pods("default", "", "")
    assert err.getvalue() == ""


@pytest.mark.parametrize(
    ("user", "sent"),
    [
        # Beside a token aiohttp refused the URL ("Cannot combine AUTHORIZATION header ..."): an
        # internal error. Go's HTTP client uses a URL's login only when nothing else set the header.
        pytest.param({}, "Bearer {token}", id="token-wins"),
        pytest.param({"token": None}, "Basic YSB4OnBAc3M=", id="basic-from-url"),  # "a x:p@ss"
    ],
)
async def test_a_login_in_the_server_url_is_basic_auth_only_when_nothing_else_authorizes(
    sandbox: Sandbox, tmp_path: Path, user: dict[str, Any], sent: str
) -> None:
    doc = sandbox.kubeconfig_dict()
    doc["clusters"][0]["cluster"]["server"] = f"http://a%20x:p%40ss@{sandbox.host_port}"
    doc["users"][0]["user"].update(user)
    sandbox.cluster.token = None if "token" in user else sandbox.cluster.token
    path = str(write(tmp_path / "k", doc))
    err = io.StringIO()
    async with await connect(Connection(kubeconfig=path), stderr=err) as cluster:
        await cluster.list_pods("default", "", "")
    assert err.getvalue() == ""
    assert sandbox.cluster.header_values("Authorization")[-1] == [sent.format(token=sandbox.cluster.token)]


async def test_a_server_without_a_scheme_is_plain_http_as_for_kubectl(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # `kubectl proxy` serves plain HTTP on localhost:8001, and kubectl (client-go decides on TLS from
    # the host alone) reaches `--server localhost:8001` over HTTP; pystern tried TLS and failed.
    connection = Connection(server=sandbox.host_port, token=sandbox.token)
    async with await connect(connection, environ={"HOME": str(tmp_path)}) as cluster:
        await cluster.list_pods("default", "", "")
