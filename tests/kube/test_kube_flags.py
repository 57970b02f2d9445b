"""stern's hidden kube flags ``--as``, ``--as-group``, ``--as-uid``, ``--tls-server-name``,
``--disable-compression`` and ``--cache-dir``, against the sandbox as kubectl uses them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pystern.errors import ApiError, ConnectionFailed, KubeconfigError
from pystern.kube import connect
from pystern.options import Connection
from pystern.sandbox import Sandbox
from tests.kube.conftest import write
from tests.kube.test_proxy import ConnectProxy


def _kubeconfig(sandbox: Sandbox) -> str:
    assert sandbox.kubeconfig_path is not None
    return str(sandbox.kubeconfig_path)


async def test_as_flags_send_kubectls_impersonation_headers(sandbox: Sandbox) -> None:
    sandbox.cluster.add_pod("a")
    sandbox.cluster.forbid("default")  # the base token may not read; the impersonated user may
    connection = Connection(
        kubeconfig=_kubeconfig(sandbox),
        impersonate_user="viewer",
        impersonate_groups=("team", "ops"),
        impersonate_uid="42",
    )
    async with await connect(connection) as cluster:
        pods = await cluster.list_pods("default", "", "")
        assert [p.name for p in pods.pods] == ["a"]
        sandbox.cluster.forbid("default", "viewer")
        with pytest.raises(ApiError, match='User "viewer" cannot list resource "pods"'):
            await cluster.list_pods("default", "", "")
    assert sandbox.cluster.header_values("Impersonate-Group")[-1] == ["team", "ops"]
    assert sandbox.cluster.header_values("Impersonate-Uid")[-1] == ["42"]


async def test_as_replaces_the_kubeconfig_user_but_keeps_its_groups(sandbox: Sandbox, tmp_path: Path) -> None:
    doc = sandbox.kubeconfig_dict()
    doc["users"][0]["user"].update({"as": "from-file", "as-groups": ["file-group"]})
    path = write(tmp_path / "k", doc)
    async with await connect(Connection(kubeconfig=str(path), impersonate_user="from-flag")) as cluster:
        await cluster.list_pods("default", "", "")
    assert sandbox.cluster.header_values("Impersonate-User")[-1] == ["from-flag"]
    assert sandbox.cluster.header_values("Impersonate-Group")[-1] == ["file-group"]


@pytest.mark.parametrize(
    "connection",
    [
        pytest.param(Connection(impersonate_groups=("g",)), id="group"),
        pytest.param(Connection(impersonate_uid="1"), id="uid"),
    ],
)
async def test_a_group_or_uid_without_a_user_is_one_line(sandbox: Sandbox, connection: Connection) -> None:
    # kubectl: "requesting uid, groups or user-extra for <user> without impersonating a user".
    with pytest.raises(KubeconfigError) as info:
        await connect(replace(connection, kubeconfig=_kubeconfig(sandbox)))
    assert str(info.value) == (
        'user "sandbox" impersonates groups, a UID or extra fields but no user: set its as (or --as)'
    )


async def test_tls_server_name_is_the_name_checked_in_the_certificate(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    # The server is reached through a proxy under a name its certificate does not carry.
    doc = tls_sandbox.kubeconfig_dict()
    port = tls_sandbox.host_port.rsplit(":", 1)[1]
    doc["clusters"][0]["cluster"]["server"] = f"https://api.cluster.invalid:{port}"
    async with ConnectProxy().running() as proxy:
        doc["clusters"][0]["cluster"]["proxy-url"] = f"http://127.0.0.1:{proxy.port}"
        path = str(write(tmp_path / "k", doc))
        with pytest.raises(ConnectionFailed, match=r"api\.cluster\.invalid"):
            await connect(Connection(kubeconfig=path))
        async with await connect(Connection(kubeconfig=path, tls_server_name="localhost")) as cluster:
            await cluster.list_pods("default", "", "")
        with pytest.raises(ConnectionFailed, match=r"other\.invalid"):
            await connect(Connection(kubeconfig=path, tls_server_name="other.invalid"))


async def test_disable_compression_asks_for_no_encoding(sandbox: Sandbox, tmp_path: Path) -> None:
    async with await connect(Connection(kubeconfig=_kubeconfig(sandbox))) as cluster:
        await cluster.list_pods("default", "", "")
    assert "gzip" in sandbox.cluster.header_values("Accept-Encoding")[-1][0]
    async with await connect(
        Connection(kubeconfig=_kubeconfig(sandbox), disable_compression=True)
    ) as cluster:
        await cluster.list_pods("default", "", "")
    assert sandbox.cluster.header_values("Accept-Encoding")[-1] == []
    # The kubeconfig's cluster field of the same name does the same.
    doc = sandbox.kubeconfig_dict()
    doc["clusters"][0]["cluster"]["disable-compression"] = True
    async with await connect(Connection(kubeconfig=str(write(tmp_path / "k", doc)))) as cluster:
        await cluster.list_pods("default", "", "")
    assert sandbox.cluster.header_values("Accept-Encoding")[-1] == []
