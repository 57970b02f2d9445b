"""Credentials against the sandbox: exec plugins (ok, failing, junk), renewal on 401, token files."""

from __future__ import annotations

import asyncio
import base64
import datetime
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from pystern.errors import ApiError, KubeconfigError
from pystern.kube import connect, credentials
from pystern.options import Connection
from pystern.sandbox import Sandbox
from tests.kube.conftest import EXEC_API, exec_user, plugin_runs, write


def config_with_user(sandbox: Sandbox, user: dict[str, Any]) -> dict[str, Any]:
    doc = sandbox.kubeconfig_dict()
    doc["users"][0]["user"] = user
    return doc


async def test_exec_plugin_token_is_used(sandbox: Sandbox, tmp_path: Path, plugin: Path) -> None:
    sandbox.cluster.rotate_token("plugin-token")
    path = write(tmp_path / "k", config_with_user(sandbox, exec_user(plugin)))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        await cluster.list_pods("default", "", "")
        await cluster.list_pods("default", "", "")
    assert plugin_runs(plugin) == 1  # no expiry: cached until a 401


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        pytest.param("fail", "failed with exit code 3: second line", id="fails"),
        pytest.param(
            "junk", "printed no ExecCredential JSON on stdout (it printed 'this is not json')", id="junk"
        ),
        pytest.param("empty-status", "returned neither a token nor a client certificate", id="no-token"),
        # json.loads raised RecursionError: an internal error.
        pytest.param("deep", "printed JSON that nests too deeply to be an ExecCredential", id="deep"),
        # Read whole, endless output filled memory (MemoryError, or the kernel killed pystern).
        pytest.param(
            "flood", "printed more than 16 MiB on stdout (an ExecCredential is a few kilobytes)", id="flood"
        ),
    ],
)
async def test_broken_exec_plugin_is_one_line(
    sandbox: Sandbox,
    tmp_path: Path,
    plugin: Path,
    mode: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path / "k", config_with_user(sandbox, exec_user(plugin, mode)))
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)))
    text = str(info.value)
    assert text.startswith('credential plugin "')
    assert message in text
    assert "\n" not in text
    # The plugin's own stderr reaches the user as it wrote it (kubectl passes it through).
    assert capsys.readouterr().err == (
        "token expired, please log in\nsecond line\n" if mode == "fail" else ""
    )


async def test_missing_exec_plugin_shows_install_hint(sandbox: Sandbox, tmp_path: Path) -> None:
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "no-such-plugin-xyz"}}
    user["exec"]["installHint"] = "install it with: pip install no-such-plugin"
    path = write(tmp_path / "k", config_with_user(sandbox, user))
    with pytest.raises(
        KubeconfigError,
        match=r'^credential plugin "no-such-plugin-xyz" of user "sandbox" was not found \(install it with',
    ):
        await connect(Connection(kubeconfig=str(path)))


async def test_401_reruns_the_plugin_once_for_many_concurrent_requests(
    sandbox: Sandbox, tmp_path: Path, plugin: Path
) -> None:
    sandbox.cluster.rotate_token("plugin-token")
    path = write(tmp_path / "k", config_with_user(sandbox, exec_user(plugin)))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        (plugin.parent / "token").write_text("rotated-token")
        sandbox.cluster.rotate_token("rotated-token")
        await asyncio.gather(*(cluster.list_pods("default", "", "") for _ in range(20)))
        assert plugin_runs(plugin) == 2
        # A 401 the plugin cannot fix surfaces as ApiError with kubectl's wording.
        sandbox.cluster.rotate_token("nobody-has-this")
        with pytest.raises(ApiError, match=r"You must be logged in to the server \(Unauthorized\)") as info:
            await cluster.list_pods("default", "", "")
        assert info.value.status == 401
        assert plugin_runs(plugin) == 3
        results = await asyncio.gather(
            *(cluster.list_pods("default", "", "") for _ in range(10)), return_exceptions=True
        )
        assert all(isinstance(r, ApiError) and r.status == 401 for r in results)
        assert plugin_runs(plugin) == 3  # the plugin already said its piece for this token


async def test_expiring_exec_token_is_renewed_before_requests(
    sandbox: Sandbox, tmp_path: Path, plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.cluster.rotate_token("plugin-token")
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=5)
    stamp = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = write(tmp_path / "k", config_with_user(sandbox, exec_user(plugin, "ok", stamp)))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        # The token expires within the renewal skew, but a plugin that keeps handing out such
        # tokens is not run once per request: 20 concurrent requests, no extra run.
        runs = plugin_runs(plugin)
        await asyncio.gather(*(cluster.list_pods("default", "", "") for _ in range(20)))
        assert plugin_runs(plugin) == runs
        monkeypatch.setattr(credentials, "MIN_RELOAD_INTERVAL", 0.0)
        await cluster.list_pods("default", "", "")  # now due: renewed before the request
        assert plugin_runs(plugin) == runs + 1


async def test_token_file_is_reread_after_401(sandbox: Sandbox, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(sandbox.token + "\n")
    path = write(tmp_path / "k", config_with_user(sandbox, {"tokenFile": str(token)}))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        token.write_text("projected-2")
        sandbox.cluster.rotate_token("projected-2")
        pods = await cluster.list_pods("default", "", "")
        assert pods.resource_version


async def test_static_token_401_is_not_retried_forever(sandbox: Sandbox) -> None:
    assert sandbox.kubeconfig_path is not None
    async with await connect(Connection(kubeconfig=str(sandbox.kubeconfig_path))) as cluster:
        sandbox.cluster.rotate_token("other")
        with pytest.raises(ApiError) as info:
            await cluster.get_object("namespaces", "", "default")
        assert info.value.status == 401


async def test_token_file_wins_over_a_token_beside_it(sandbox: Sandbox, tmp_path: Path) -> None:
    # client-go: "If both Token and TokenFile are present, the TokenFile will be periodically
    # read and the last successfully read value takes precedence over Token."
    token = tmp_path / "token"
    token.write_text(sandbox.token + "\n")
    path = write(tmp_path / "k", config_with_user(sandbox, {"token": "stale", "tokenFile": str(token)}))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        await cluster.list_pods("default", "", "")
    # A file that cannot be read leaves the token to use.
    token.unlink()
    path = write(tmp_path / "k", config_with_user(sandbox, {"token": sandbox.token, "tokenFile": str(token)}))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        await cluster.list_pods("default", "", "")


@pytest.mark.parametrize(
    "payload", [b"[" * 1100 + b"]" * 1100, b'{"exp": 1' + b"0" * 400 + b"}"], ids=["deep", "huge-exp"]
)
async def test_a_plugin_token_shaped_like_a_jwt_with_an_odd_payload_is_used(
    sandbox: Sandbox, tmp_path: Path, plugin: Path, payload: bytes
) -> None:
    # Its expiry is read from the payload: json.loads' RecursionError and float()'s OverflowError
    # were internal errors. Such a token is used as it is, like any token.
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    token = f"eyJhbGciOiJub25lIn0.{body}.sig"
    (plugin.parent / "token").write_text(token)
    sandbox.cluster.rotate_token(token)
    path = write(tmp_path / "k", config_with_user(sandbox, exec_user(plugin)))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        await cluster.list_pods("default", "", "")


async def test_a_token_file_that_is_not_utf8_is_named_in_the_users_terms(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # It showed Python's "'utf-8' codec can't decode byte 0xff in position 3: invalid start byte".
    token = tmp_path / "token"
    token.write_bytes(b"abc\xff\n")
    path = write(tmp_path / "k", config_with_user(sandbox, {"tokenFile": str(token)}))
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value) == f"cannot read token file {token}: it is not valid UTF-8 (byte 0xff on line 1)"


async def test_a_token_file_that_never_ends_is_one_error(sandbox: Sandbox, tmp_path: Path) -> None:
    # Read whole, /dev/zero filled memory until the kernel killed pystern.
    path = write(tmp_path / "k", config_with_user(sandbox, {"tokenFile": "/dev/zero"}))
    with pytest.raises(
        KubeconfigError, match=r"^cannot read token file /dev/zero: it is larger than 16 MiB$"
    ):
        await connect(Connection(kubeconfig=str(path)))


RENEWAL_FAILS = f"""\
import json, pathlib, sys
here = pathlib.Path(sys.argv[0]).parent
runs = here / "runs"
n = int(runs.read_text()) + 1 if runs.exists() else 1
runs.write_text(str(n))
if n > 1:
    sys.stderr.write("SSO session expired; run sso login\\n")
    sys.exit(1)
status = {{"token": (here / "token").read_text(), "expirationTimestamp": sys.argv[1]}}
print(json.dumps({{"apiVersion": "{EXEC_API}", "kind": "ExecCredential", "status": status}}))
"""


@pytest.mark.parametrize("valid_for", [5, -5], ids=["still-valid", "expired"])
async def test_a_failed_early_renewal_keeps_a_token_that_has_not_expired(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, valid_for: int
) -> None:
    # Renewal starts 10 s before the expiry; if the plugin fails then (an SSO session ended),
    # the token still works until it expires, as with kubectl, which runs the plugin only then.
    script = tmp_path / "renew.py"
    script.write_text(RENEWAL_FAILS)
    (tmp_path / "token").write_text(sandbox.token)
    stamp = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=valid_for)
    user = {
        "exec": {
            "apiVersion": EXEC_API,
            "command": sys.executable,
            "args": [str(script), stamp.strftime("%Y-%m-%dT%H:%M:%SZ")],
            "interactiveMode": "Never",
        }
    }
    path = write(tmp_path / "k", config_with_user(sandbox, user))
    monkeypatch.setattr(credentials, "MIN_RELOAD_INTERVAL", 0.0)
    err = io.StringIO()
    async with await connect(Connection(kubeconfig=str(path)), stderr=err, probe=False) as cluster:
        if valid_for > 0:
            await cluster.list_pods("default", "", "")
            assert (tmp_path / "runs").read_text() == "2"
            monkeypatch.setattr(credentials, "MIN_RELOAD_INTERVAL", 60.0)
            await cluster.list_pods("default", "", "")
            assert (tmp_path / "runs").read_text() == "2"  # a failed renewal is not retried per request
        else:
            with pytest.raises(KubeconfigError, match="failed with exit code 1: SSO session expired"):
                await cluster.list_pods("default", "", "")
    assert "SSO session expired; run sso login\n" in err.getvalue()


async def test_a_token_with_a_line_break_is_one_error_line(sandbox: Sandbox, tmp_path: Path) -> None:
    # `token: |` in YAML keeps a final newline; aiohttp refused the header with a ValueError,
    # which reached the user as an 'internal error'. kubectl refuses it too.
    doc = sandbox.kubeconfig_dict()
    doc["users"][0]["user"] = {"token": sandbox.token + "\n"}
    path = write(tmp_path / "k", doc)
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value) == (
        "the bearer token holds a line break or a NUL character, which an HTTP header cannot carry"
    )


@pytest.mark.parametrize("token", ["a\x7fb", "a\x01b", "a\x1b[31m"])
async def test_a_token_with_a_control_character_is_one_error_line(
    sandbox: Sandbox, tmp_path: Path, token: str
) -> None:
    # aiohttp refused the header with a ValueError: an 'internal error'. kubectl: 'invalid header
    # field value for "Authorization"'. A tab is allowed in a header, and by both.
    path = write(tmp_path / "k", config_with_user(sandbox, {"token": token}))
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value) == "the bearer token holds a control character, which an HTTP header cannot carry"


@pytest.mark.parametrize("source", ["token", "tokenFile"])
async def test_a_token_beside_an_exec_plugin_is_used_without_running_it(
    sandbox: Sandbox, tmp_path: Path, plugin: Path, source: str
) -> None:
    # client-go's exec (and auth-provider) round tripper steps aside when the request already
    # carries an Authorization header: kubectl never runs this failing plugin.
    token = tmp_path / "token"
    token.write_text(sandbox.token)
    static = {"token": sandbox.token} if source == "token" else {"tokenFile": str(token)}
    path = write(tmp_path / "k", config_with_user(sandbox, {**exec_user(plugin, "fail"), **static}))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        await cluster.list_pods("default", "", "")
    assert plugin_runs(plugin) == 0


async def test_a_token_beside_an_auth_provider_is_used(sandbox: Sandbox, tmp_path: Path) -> None:
    provider = {"name": "oidc", "config": {"id-token": "not-a-jwt", "idp-issuer-url": "https://127.0.0.1:1"}}
    user = {"token": sandbox.token, "auth-provider": provider}
    path = write(tmp_path / "k", config_with_user(sandbox, user))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        await cluster.list_pods("default", "", "")


@pytest.mark.parametrize(
    ("user", "sent"),
    [
        # client-go sends basic auth whenever the username is set (transport.Config.HasBasicAuth),
        # an empty password included; kubectl 1.33 sends "u:" here. pystern sent nothing.
        pytest.param({"username": "u"}, ["Basic dTo="], id="username-alone"),
        pytest.param({"username": "u", "password": ""}, ["Basic dTo="], id="empty-password"),
        # A password without a username is not sent (kubectl then asks for a username on its stdin).
        pytest.param({"password": "p"}, [], id="password-alone"),
        pytest.param({"username": "", "password": "p"}, [], id="empty-username"),
    ],
)
async def test_basic_auth_is_sent_when_the_username_is_set(
    sandbox: Sandbox, tmp_path: Path, user: dict[str, Any], sent: list[str]
) -> None:
    sandbox.cluster.token = None
    path = write(tmp_path / "k", config_with_user(sandbox, user))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        await cluster.list_pods("default", "", "")
    assert sandbox.cluster.header_values("Authorization")[-1] == sent


async def test_a_username_beside_an_exec_plugin_is_sent_without_running_it(
    sandbox: Sandbox, tmp_path: Path, plugin: Path
) -> None:
    # Basic auth sets the Authorization header first, and client-go's exec round tripper then steps
    # aside; a password alone sets nothing, so the plugin runs.
    sandbox.cluster.token = None
    path = write(tmp_path / "k", config_with_user(sandbox, {**exec_user(plugin, "fail"), "username": "u"}))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        await cluster.list_pods("default", "", "")
    assert plugin_runs(plugin) == 0
    path = write(tmp_path / "k", config_with_user(sandbox, {**exec_user(plugin), "password": "p"}))
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        await cluster.list_pods("default", "", "")
    assert plugin_runs(plugin) == 1
    assert sandbox.cluster.header_values("Authorization")[-1] == ["Bearer plugin-token"]
