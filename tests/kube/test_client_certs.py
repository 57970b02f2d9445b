"""Client certificates against a TLS sandbox that authenticates them (no token in these kubeconfigs)."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pystern.errors import ApiError
from pystern.kube import connect
from pystern.options import Connection
from pystern.sandbox import Sandbox
from tests.kube.conftest import EXEC_API, write


def _config(sandbox: Sandbox, user: dict[str, Any]) -> dict[str, Any]:
    doc = sandbox.kubeconfig_dict()
    doc["users"][0]["user"] = user
    return doc


async def _lists_as(sandbox: Sandbox, path: Path, user: str) -> None:
    sandbox.cluster.add_pod("a")
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        assert [p.name for p in (await cluster.list_pods("default", "", "")).pods] == ["a"]
        sandbox.cluster.forbid("default", user)  # proves who the server took us for
        with pytest.raises(ApiError, match=f'User "{user}" cannot list'):
            await cluster.list_pods("default", "", "")


async def test_certificate_files_relative_to_the_kubeconfig(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    cert, key = tls_sandbox.issue_client_cert("alice")
    (tmp_path / "conf" / "pki").mkdir(parents=True)
    (tmp_path / "conf" / "pki" / "a.crt").write_bytes(cert)
    (tmp_path / "conf" / "pki" / "a.key").write_bytes(key)
    user = {"client-certificate": "pki/a.crt", "client-key": "pki/a.key"}
    await _lists_as(tls_sandbox, write(tmp_path / "conf" / "config", _config(tls_sandbox, user)), "alice")


async def test_certificate_data(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    cert, key = tls_sandbox.issue_client_cert("bob")
    user = {
        "client-certificate-data": base64.b64encode(cert).decode(),
        "client-key-data": base64.b64encode(key).decode(),
    }
    await _lists_as(tls_sandbox, write(tmp_path / "k", _config(tls_sandbox, user)), "bob")


async def test_certificate_from_an_exec_plugin(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    cert, key = tls_sandbox.issue_client_cert("carol")
    answer = {
        "apiVersion": EXEC_API,
        "kind": "ExecCredential",
        "status": {"clientCertificateData": cert.decode(), "clientKeyData": key.decode()},
    }
    script = tmp_path / "plugin.py"
    script.write_text(f"print({json.dumps(json.dumps(answer))})\n")
    user = {"exec": {"apiVersion": EXEC_API, "command": sys.executable, "args": [str(script)]}}
    await _lists_as(tls_sandbox, write(tmp_path / "k", _config(tls_sandbox, user)), "carol")
