"""Proxies as kubectl uses them: the cluster's ``proxy-url``, else HTTPS_PROXY/HTTP_PROXY/NO_PROXY."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pystern.errors import ConnectionFailed, KubeconfigError
from pystern.kube import connect
from pystern.kube import proxy as kube_proxy
from pystern.options import Connection
from pystern.sandbox import Sandbox
from tests.kube.conftest import write
from tests.kube.socksproxy import SocksProxy, relay


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that sends every tunnel to 127.0.0.1 (any host name)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[str] = []
        self.port = 0
        self.tls = tls

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = (await reader.readline()).decode()
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        self.requests.append(request.strip())
        method, target, _ = request.split(" ", 2)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", int(target.rsplit(":", 1)[1]))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(relay(reader, up_writer), relay(up_reader, writer))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ConnectProxy]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self
            server.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


async def test_proxy_url_tunnels_through_an_http_proxy(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    doc = tls_sandbox.kubeconfig_dict()
    async with ConnectProxy().running() as proxy:
        doc["clusters"][0]["cluster"]["proxy-url"] = f"http://127.0.0.1:{proxy.port}"
        path = write(tmp_path / "k", doc)
        async with await connect(Connection(kubeconfig=str(path))) as cluster:
            await cluster.list_pods("default", "", "")
    assert proxy.requests
    assert all(r.startswith(f"CONNECT {tls_sandbox.host_port} ") for r in proxy.requests)


async def test_an_https_proxy_is_checked_with_the_clusters_ca_and_named_when_untrusted(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    # As Go's transport does, the proxy's certificate is checked with the cluster's TLS settings
    # (kubectl: "proxyconnect tcp: tls: failed to verify certificate"). An untrusted proxy was
    # reported as the API server's certificate, sending users to the cluster's CA.
    import trustme

    trusted = tls_sandbox.server_tls_context("127.0.0.1")
    async with ConnectProxy(trusted).running() as proxy:
        path = write(tmp_path / "k", _behind_proxy(tls_sandbox, f"https://127.0.0.1:{proxy.port}"))
        async with await connect(Connection(kubeconfig=str(path))) as cluster:
            await cluster.list_pods("default", "", "")
    assert proxy.requests
    other = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(other)
    async with ConnectProxy(other).running() as proxy:
        path = write(tmp_path / "k", _behind_proxy(tls_sandbox, f"https://me:pw@127.0.0.1:{proxy.port}"))
        with pytest.raises(ConnectionFailed) as info:
            await connect(Connection(kubeconfig=str(path)))
    assert str(info.value).startswith(
        f"TLS certificate of the proxy https://127.0.0.1:{proxy.port} (for the server https://api.cluster.invalid:"
    )
    assert "checked with the cluster's certificate-authority, as kubectl does" in str(info.value)


@pytest.mark.parametrize("scheme", ["socks5h", "socks4", "ftp"])
async def test_a_proxy_scheme_pystern_cannot_speak_is_one_clear_line(
    sandbox: Sandbox, tmp_path: Path, scheme: str
) -> None:
    # kubectl refuses these too ("unsupported scheme, must be http, https, or socks5").
    doc = sandbox.kubeconfig_dict()
    proxy = f"{scheme}://127.0.0.1:{_free_port()}"
    doc["clusters"][0]["cluster"]["proxy-url"] = proxy
    path = write(tmp_path / "k", doc)
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value) == (
        f'proxy-url "{proxy}" of cluster "sandbox": '
        "pystern, like kubectl, can use only http://, https:// and socks5:// proxies"
    )


def _behind_proxy(sandbox: Sandbox, proxy_url: str | None = None) -> dict[str, Any]:
    """The sandbox's kubeconfig with a server name only the (test) proxy can resolve."""
    doc = sandbox.kubeconfig_dict()
    cluster = doc["clusters"][0]["cluster"]
    cluster["server"] = f"https://api.cluster.invalid:{sandbox.host_port.rsplit(':', 1)[1]}"
    cluster["tls-server-name"] = "localhost"  # the certificate is checked against this name
    if proxy_url:
        cluster["proxy-url"] = proxy_url
    return doc


async def test_a_socks5_proxy_url_tunnels_with_its_login(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    # kubectl 1.33 reaches the cluster through socks5:// (the name is resolved by the proxy, the
    # URL's percent-encoded login is sent); pystern refused the scheme.
    port = int(tls_sandbox.host_port.rsplit(":", 1)[1])
    async with SocksProxy(login=("us@r", "p:ss")).running() as proxy:
        doc = _behind_proxy(tls_sandbox, f"socks5://us%40r:p%3Ass@127.0.0.1:{proxy.port}")
        path = write(tmp_path / "k", doc)
        async with await connect(Connection(kubeconfig=str(path))) as cluster:
            await cluster.list_pods("default", "", "")
    assert proxy.requests
    assert set(proxy.requests) == {("api.cluster.invalid", port, ("us@r", "p:ss"))}


async def test_a_socks5_proxy_from_the_environment_is_used(
    tls_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with SocksProxy().running() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"socks5://127.0.0.1:{proxy.port}")
        path = write(tmp_path / "k", _behind_proxy(tls_sandbox))
        async with await connect(Connection(kubeconfig=str(path))) as cluster:
            await cluster.list_pods("default", "", "")
    assert proxy.requests


@pytest.mark.parametrize(
    ("proxy_kwargs", "login", "reason"),
    [
        pytest.param({"refuse": 5}, "", "connection refused by destination host", id="refused"),
        pytest.param({"refuse": 2}, "", "connection not allowed by ruleset", id="ruleset"),
        pytest.param(
            {"login": ("a", "b")},
            "",
            "no acceptable authentication methods were offered (it wants a login)",
            id="login",
        ),
        pytest.param(
            {"login": ("a", "b")}, "a:x@", "username and password authentication failure", id="bad-login"
        ),
    ],
)
async def test_a_socks5_proxy_that_refuses_is_one_line_naming_it(
    tls_sandbox: Sandbox, tmp_path: Path, proxy_kwargs: dict[str, Any], login: str, reason: str
) -> None:
    async with SocksProxy(**proxy_kwargs).running() as proxy:
        path = write(tmp_path / "k", _behind_proxy(tls_sandbox, f"socks5://{login}127.0.0.1:{proxy.port}"))
        with pytest.raises(ConnectionFailed) as info:
            await connect(Connection(kubeconfig=str(path)))
    server = f"https://api.cluster.invalid:{tls_sandbox.host_port.rsplit(':', 1)[1]}"
    assert str(info.value) == (
        f"the proxy socks5://127.0.0.1:{proxy.port} refused the connection to the server {server}: {reason}"
    )


async def test_a_socks5_proxy_that_is_down_or_unknown_is_named_as_the_proxy(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    server = f"https://api.cluster.invalid:{tls_sandbox.host_port.rsplit(':', 1)[1]}"
    dead = _free_port()
    path = write(tmp_path / "k", _behind_proxy(tls_sandbox, f"socks5://me:s3cret@127.0.0.1:{dead}"))
    with pytest.raises(ConnectionFailed) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value) == (
        f"cannot connect to the proxy socks5://127.0.0.1:{dead} (for the server {server}): Connection refused"
    )
    path = write(tmp_path / "k", _behind_proxy(tls_sandbox, "socks5://socks.invalid:1080"))
    with pytest.raises(ConnectionFailed) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value).startswith(
        f"cannot connect to the proxy socks5://socks.invalid:1080 (for the server {server}): "
    )


async def test_the_servers_certificate_is_checked_through_a_socks5_tunnel(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    # TLS runs end to end through the tunnel: a certificate that does not match the name, or
    # that the cluster's CA did not sign, is named as the server's, in one line.
    import base64

    import trustme

    server = f"https://api.cluster.invalid:{tls_sandbox.host_port.rsplit(':', 1)[1]}"
    async with SocksProxy().running() as proxy:
        doc = _behind_proxy(tls_sandbox, f"socks5://127.0.0.1:{proxy.port}")
        del doc["clusters"][0]["cluster"]["tls-server-name"]
        with pytest.raises(ConnectionFailed) as info:
            await connect(Connection(kubeconfig=str(write(tmp_path / "k", doc))))
        reason = str(info.value)
        assert reason.startswith(f"TLS certificate of {server} does not match the name it was reached by")
        doc = _behind_proxy(tls_sandbox, f"socks5://127.0.0.1:{proxy.port}")
        other = base64.b64encode(trustme.CA().cert_pem.bytes()).decode()
        doc["clusters"][0]["cluster"]["certificate-authority-data"] = other
        with pytest.raises(ConnectionFailed) as info:
            await connect(Connection(kubeconfig=str(write(tmp_path / "k", doc))))
        assert str(info.value).startswith(f"TLS certificate of {server} is not trusted (")
        assert "\n" not in str(info.value)


async def test_a_socks5_proxy_that_never_answers_times_out_naming_it(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        path = write(tmp_path / "k", _behind_proxy(tls_sandbox, f"socks5://127.0.0.1:{port}"))
        with pytest.raises(ConnectionFailed) as info:
            await connect(Connection(kubeconfig=str(path), connect_timeout=0.05))
        server.close()
    assert str(info.value) == (
        f"timed out after 0.05s connecting to the server https://api.cluster.invalid:"
        f"{tls_sandbox.host_port.rsplit(':', 1)[1]} through the proxy socks5://127.0.0.1:{port}"
    )


async def test_a_server_name_a_socks5_proxy_cannot_be_sent_is_named_as_the_servers(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    # The SOCKS proxy is sent the server's name; when that name cannot be encoded it is the
    # server's URL that is wrong, not the proxy's (the message blamed the proxy).
    async with SocksProxy().running() as proxy:
        doc = _behind_proxy(tls_sandbox, f"socks5://127.0.0.1:{proxy.port}")
        doc["clusters"][0]["cluster"]["server"] = "https://a..invalid:1"
        with pytest.raises(ConnectionFailed) as info:
            await connect(Connection(kubeconfig=str(write(tmp_path / "k", doc))))
    assert str(info.value) == (
        "cannot connect to the server https://a..invalid:1: invalid host name (label empty or too long)"
    )


async def test_a_socks5_login_that_cannot_be_sent_is_one_line_naming_the_proxy(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    # python-socks sends the login as ASCII: a UnicodeEncodeError was reported as "invalid host name".
    async with SocksProxy(login=("\u00fcser", "pw")).running() as proxy:
        port = proxy.port
        path = write(tmp_path / "k", _behind_proxy(tls_sandbox, f"socks5://%C3%BCser:pw@127.0.0.1:{port}"))
        with pytest.raises(KubeconfigError) as info:
            await connect(Connection(kubeconfig=str(path)))
    assert str(info.value) == (
        f"the proxy socks5://127.0.0.1:{port}: pystern can send a SOCKS5 proxy only an ASCII user name "
        "and password of at most 255 characters each"
    )


async def test_a_socks5_tunnel_has_keepalive_probes(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    # The tunnel's socket is opened by the SOCKS library, not by aiohttp's socket factory; without
    # probes a proxy that vanished under a quiet log stream would hang that stream for ever.
    import socket

    async with SocksProxy().running() as proxy:
        path = write(tmp_path / "k", _behind_proxy(tls_sandbox, f"socks5://127.0.0.1:{proxy.port}"))
        async with await connect(Connection(kubeconfig=str(path))) as cluster:
            transport = cluster.transport
            # A watch stays open, as a log stream does (a short answer gives its connection back at once).
            query = (("watch", "true"),)
            resp = await transport.open("/api/v1/namespaces/default/pods", query, transport.timeout(5.0))
            try:
                assert resp.connection is not None
                sock = resp.connection.transport.get_extra_info("socket")  # type: ignore[union-attr]
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            finally:
                resp.release()


async def test_a_loopback_server_is_not_sent_through_the_environments_proxy(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Go (and so kubectl) never proxies localhost or loopback addresses: a machine-wide
    # HTTPS_PROXY must not break a kind/minikube cluster on 127.0.0.1.
    dead = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("HTTPS_PROXY", dead)
    monkeypatch.setenv("HTTP_PROXY", dead)
    assert sandbox.kubeconfig_path is not None
    async with await connect(Connection(kubeconfig=str(sandbox.kubeconfig_path))) as cluster:
        await cluster.list_pods("default", "", "")


async def test_a_dot_domain_in_no_proxy_leaves_the_bare_domain_to_the_proxy(
    tls_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kubectl 1.33 sends https://invalid:PORT through HTTPS_PROXY with NO_PROXY=.invalid (or
    # *.invalid); pystern bypassed the proxy and failed to resolve "invalid".
    doc = tls_sandbox.kubeconfig_dict()
    port = tls_sandbox.host_port.rsplit(":", 1)[1]
    doc["clusters"][0]["cluster"]["server"] = f"https://invalid:{port}"
    doc["clusters"][0]["cluster"]["tls-server-name"] = "localhost"
    path = write(tmp_path / "k", doc)
    async with ConnectProxy().running() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        for no_proxy in (".invalid", "*.invalid"):
            monkeypatch.setenv("NO_PROXY", no_proxy)
            async with await connect(Connection(kubeconfig=str(path))) as cluster:
                await cluster.list_pods("default", "", "")
    assert proxy.requests


async def test_https_proxy_from_the_environment_is_used_for_other_hosts(
    tls_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tls_sandbox.kubeconfig_dict()
    port = tls_sandbox.host_port.rsplit(":", 1)[1]
    # A name only the proxy can reach; the certificate is checked against tls-server-name.
    doc["clusters"][0]["cluster"]["server"] = f"https://api.cluster.invalid:{port}"
    doc["clusters"][0]["cluster"]["tls-server-name"] = "localhost"
    path = write(tmp_path / "k", doc)
    async with ConnectProxy().running() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        async with await connect(Connection(kubeconfig=str(path))) as cluster:
            await cluster.list_pods("default", "", "")
        monkeypatch.setenv("NO_PROXY", ".invalid")
        with pytest.raises(Exception, match="cannot connect"):
            await connect(Connection(kubeconfig=str(path)))
    assert proxy.requests
    assert all(r.startswith(f"CONNECT api.cluster.invalid:{port} ") for r in proxy.requests)


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "bypassed"),
    [
        pytest.param("api.example.com", 443, "", False, id="empty"),
        pytest.param("api.example.com", 443, "*", True, id="star"),
        pytest.param("api.example.com", 443, "example.com", True, id="domain-covers-subdomain"),
        # Go's httpproxy (checked against kubectl 1.33): a leading dot or "*." covers subdomains only.
        pytest.param("example.com", 443, ".example.com", False, id="dot-domain-is-not-itself"),
        pytest.param("example.com", 443, "*.example.com", False, id="star-dot-domain-is-not-itself"),
        pytest.param("api.example.com", 443, "*.example.com", True, id="star-dot-domain-covers-subdomain"),
        pytest.param("api.example.com", 443, "*example.com", False, id="star-without-dot-is-literal"),
        pytest.param("10.1.2.3", 6443, "10.1.2.3:6443", True, id="ipv4-port"),
        pytest.param("10.1.2.3", 443, "10.1.2.3:6443", False, id="ipv4-other-port"),
        pytest.param("fd00::1", 6443, "[fd00::1]:6443", True, id="ipv6-port"),
        pytest.param("fd00::1", 443, "[fd00::1]:6443", False, id="ipv6-other-port"),
        pytest.param("fd00::1", 443, "fd00::1", True, id="ipv6-bare"),
        pytest.param("badexample.com", 443, "example.com", False, id="suffix-is-not-a-domain"),
        pytest.param("api.example.com", 443, "other.org, API.example.com", True, id="list-and-case"),
        pytest.param("api.example.com", 6443, "api.example.com:443", False, id="other-port"),
        pytest.param("api.example.com", 6443, "api.example.com:6443", True, id="same-port"),
        pytest.param("10.1.2.3", 443, "10.0.0.0/8", True, id="cidr"),
        pytest.param("11.1.2.3", 443, "10.0.0.0/8", False, id="outside-cidr"),
        pytest.param("fd00::1", 443, "fd00::/8", True, id="ipv6-cidr"),
    ],
)
def test_no_proxy_rules(host: str, port: int, no_proxy: str, bypassed: bool) -> None:
    assert kube_proxy._bypassed(host, port, no_proxy) is bypassed


async def _refusing_proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n")
    await writer.drain()
    writer.close()


async def test_a_proxy_that_fails_is_named_in_the_error_without_its_password(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # "cannot connect to the server" sent users to check a server that was never tried.
    doc = sandbox.kubeconfig_dict()
    dead = _free_port()
    doc["clusters"][0]["cluster"]["proxy-url"] = f"http://me:s3cret@127.0.0.1:{dead}"
    path = write(tmp_path / "k", doc)
    with pytest.raises(ConnectionFailed) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value) == (
        f"cannot connect to the proxy http://127.0.0.1:{dead} (for the server {sandbox.url}): "
        "Connection refused"
    )
    server = await asyncio.start_server(_refusing_proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        doc["clusters"][0]["cluster"]["server"] = sandbox.url.replace("http://", "https://")
        doc["clusters"][0]["cluster"]["proxy-url"] = f"http://me:s3cret@127.0.0.1:{port}"
        write(path, doc)
        with pytest.raises(ConnectionFailed) as info:
            await connect(Connection(kubeconfig=str(path)))
        server.close()
    assert str(info.value) == (
        f"the proxy http://127.0.0.1:{port} refused the connection to the server "
        f"{sandbox.url.replace('http://', 'https://')}: 407 Proxy Authentication Required"
    )


async def test_a_refused_proxy_scheme_is_named_without_its_password(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = sandbox.kubeconfig_dict()
    doc["clusters"][0]["cluster"]["proxy-url"] = "socks4://me:s3cret@127.0.0.1:1080"
    path = write(tmp_path / "k", doc)
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value).startswith('proxy-url "socks4://127.0.0.1:1080" of cluster "sandbox": ')
    # The upper-case variable wins over the lower-case one, as in Go.
    del doc["clusters"][0]["cluster"]["proxy-url"]
    doc["clusters"][0]["cluster"]["server"] = sandbox.url.replace("127.0.0.1", "api.cluster.invalid")
    write(path, doc)
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:3128")
    monkeypatch.setenv("HTTP_PROXY", "socks4://me:s3cret@127.0.0.1:1080")
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value).startswith('the proxy "socks4://127.0.0.1:1080" from $HTTP_PROXY: ')


@pytest.mark.parametrize(
    ("proxy", "reason"),
    [
        # Each was an 'internal error: ValueError', a 'not valid' blamed on the server URL, a
        # failure named as a redirect of the server, or no proxy at all.
        ("http://[::1", "is not a valid URL (Invalid IPv6 URL)"),
        ("http://me:pw@p:99999", "is not a valid URL (Port out of range 0-65535)"),
        ("http://", "has no host"),
        ("garbage words", "is not a valid URL (a space in its host)"),
        # urlsplit drops a tab or line break: "pro<TAB>xy" went to a proxy named "proxy". Go refuses it.
        ("http://pro\txy:3128", "is not a valid URL (a control character)"),
    ],
)
async def test_a_proxy_url_that_does_not_parse_is_named(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxy: str, reason: str
) -> None:
    doc = sandbox.kubeconfig_dict()
    doc["clusters"][0]["cluster"]["proxy-url"] = proxy
    path = write(tmp_path / "k", doc)
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)))
    shown = proxy.replace("me:pw@", "") if "://" in proxy else "http://" + proxy
    assert str(info.value) == f'proxy-url "{shown}" of cluster "sandbox" {reason}'
    del doc["clusters"][0]["cluster"]["proxy-url"]
    doc["clusters"][0]["cluster"]["server"] = sandbox.url.replace("127.0.0.1", "api.cluster.invalid")
    write(path, doc)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value) == f'the proxy "{shown}" from $HTTP_PROXY {reason}'


async def test_a_proxy_whose_name_does_not_resolve_is_named_as_the_proxy(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # aiohttp reports a proxy's DNS failure as a plain connector error: it was named as a
    # redirect of the server ("cannot connect to proxy.invalid:3128, where the server ... redirected").
    doc = sandbox.kubeconfig_dict()
    doc["clusters"][0]["cluster"]["proxy-url"] = "http://me:s3cret@proxy.invalid:3128"
    path = write(tmp_path / "k", doc)
    with pytest.raises(ConnectionFailed) as info:
        await connect(Connection(kubeconfig=str(path)))
    assert str(info.value).startswith(
        f"cannot connect to the proxy http://proxy.invalid:3128 (for the server {sandbox.url}): "
    )
