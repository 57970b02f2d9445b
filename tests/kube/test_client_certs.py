"""Client certificates against a TLS sandbox that authenticates them (no token in these kubeconfigs)."""

from __future__ import annotations

import base64
import datetime
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pystern.errors import ApiError, KubeconfigError
from pystern.kube import connect, credentials
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


async def test_a_renewed_plugin_certificate_is_used_for_new_connections(
    tls_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Plugins such as Pinniped hand out client certificates that live minutes; a renewed one
    # must be presented on the next connection (client-go asks for it at every handshake).
    for name in ("carol", "dave"):
        cert, key = tls_sandbox.issue_client_cert(name)
        (tmp_path / f"{name}.json").write_text(
            json.dumps({"clientCertificateData": cert.decode(), "clientKeyData": key.decode()})
        )
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=5)
    script = tmp_path / "plugin.py"
    script.write_text(
        "import json, pathlib, sys\n"
        "here = pathlib.Path(sys.argv[0]).parent\n"
        "runs = here / 'runs'\n"
        "n = int(runs.read_text()) + 1 if runs.exists() else 1\n"
        "runs.write_text(str(n))\n"
        "status = json.loads((here / ('carol.json' if n == 1 else 'dave.json')).read_text())\n"
        f"status['expirationTimestamp'] = {soon.strftime('%Y-%m-%dT%H:%M:%SZ')!r}\n"
        f"print(json.dumps({{'apiVersion': {EXEC_API!r}, 'kind': 'ExecCredential', 'status': status}}))\n"
    )
    user = {"exec": {"apiVersion": EXEC_API, "command": sys.executable, "args": [str(script)]}}
    path = write(tmp_path / "k", _config(tls_sandbox, user))
    tls_sandbox.cluster.add_pod("a")
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        tls_sandbox.cluster.forbid("default", "carol")
        with pytest.raises(ApiError, match='User "carol" cannot list'):
            await cluster.list_pods("default", "", "")
        monkeypatch.setattr(credentials, "MIN_RELOAD_INTERVAL", 0.0)  # carol's certificate is due
        await tls_sandbox.restart(down_for=0.0)  # old connections go
        assert [p.name for p in (await cluster.list_pods("default", "", "")).pods] == ["a"]
    assert (tmp_path / "runs").read_text() == "2"


def test_an_encrypted_client_key_is_one_error_line_not_a_passphrase_prompt(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    # OpenSSL asks for the passphrase on the terminal (or stdin) when no password callback is
    # given: pystern waited for typing. kubectl refuses such keys ("failed to parse private key").
    import subprocess

    from cryptography.hazmat.primitives import serialization

    cert, key = tls_sandbox.issue_client_cert("erin")
    locked = serialization.load_pem_private_key(key, password=None).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    (tmp_path / "a.crt").write_bytes(cert)
    (tmp_path / "a.key").write_bytes(locked)
    path = write(tmp_path / "k", _config(tls_sandbox, {"client-certificate": "a.crt", "client-key": "a.key"}))
    done = subprocess.run(
        [sys.executable, "-m", "pystern", "--kubeconfig", str(path), ".", "--no-follow"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,  # no controlling terminal for OpenSSL to prompt on
    )
    assert done.returncode == 1
    assert done.stderr == (
        'pystern: error: client key of user "sandbox" is encrypted with a passphrase; '
        "pystern, like kubectl, needs an unencrypted key\n"
    )


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        # OpenSSL's own words were "[SSL] PEM lib (_ssl.c:3905)" and "key values mismatch".
        ("cert", "the certificate or the key is not valid PEM"),
        ("key", "the certificate or the key is not valid PEM"),
        ("other-key", "the key does not belong to the certificate"),
    ],
)
async def test_an_unusable_client_certificate_says_why_in_words(
    tls_sandbox: Sandbox, tmp_path: Path, broken: str, reason: str
) -> None:
    cert, key = tls_sandbox.issue_client_cert("frank")
    if broken == "cert":
        cert = b"garbage"
    elif broken == "key":
        key = b"garbage"
    else:
        key = tls_sandbox.issue_client_cert("grace")[1]
    user = {
        "client-certificate-data": base64.b64encode(cert).decode(),
        "client-key-data": base64.b64encode(key).decode(),
    }
    path = write(tmp_path / "k", _config(tls_sandbox, user))
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value) == f'client certificate/key of user "sandbox" cannot be used: {reason}'
