"""SOCKS5 proxies (``socks5://`` in a cluster's ``proxy-url`` or in ``HTTPS_PROXY``), as kubectl uses them.

aiohttp speaks HTTP CONNECT only.  aiohttp-socks' ``ProxyConnector`` (built on python-socks, by
the same author, who keeps it in step with aiohttp's releases) opens each connection through the
proxy (RFC 1928) to the API server and runs TLS over that tunnel; pystern uses only its public
constructor and exception types.  As in Go's SOCKS dialer, the server's name is sent as a name (the
proxy resolves it: clusters behind a bastion often have names only the bastion knows), an IP
literal as an address, and ``user:password@`` in the URL is sent as RFC 1929 username/password
authentication.  aiohttp-socks is imported only when such a proxy is used.
"""

from __future__ import annotations

import os
import socket
from typing import Any
from urllib.parse import unquote, urlsplit

from pystern.errors import KubeconfigError
from pystern.kube.deferredca import aiohttp
from pystern.kube.sockets import enable_keepalive

__all__ = ["is_socks", "keep_tunnel_alive", "socks_connector", "tunnel_errors", "tunnel_failure"]

DEFAULT_PORT = 1080


def is_socks(proxy: str | None) -> bool:
    """Whether ``proxy`` is a SOCKS5 proxy URL."""
    return bool(proxy) and str(proxy).split("://", 1)[0].lower() == "socks5"


def socks_connector(proxy: str, **kwargs: Any) -> aiohttp.TCPConnector:
    """A connector whose every connection is a tunnel through the SOCKS5 proxy ``proxy``.

    ``kwargs`` are TCPConnector's (``limit``, ``ssl``).  The proxy's own name is looked up here;
    the server's is sent to the proxy as it is (``rdns``), as Go does.  A login it cannot send
    is a ``KubeconfigError``.
    """
    from aiohttp_socks import ProxyConnector, ProxyType

    url = urlsplit(proxy)
    user = unquote(url.username) if url.username is not None else None
    password = unquote(url.password or "") if user is not None else None
    for part in (user or "", password or ""):
        if not part.isascii() or len(part) > 255:
            # python-socks sends the login as ASCII (RFC 1929 allows 255 bytes each) and raised a
            # UnicodeEncodeError, reported as an invalid host name; Go would send UTF-8.
            shown = url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()
            raise KubeconfigError(
                f"the proxy {shown}: pystern can send a SOCKS5 proxy only an ASCII user name and "
                "password of at most 255 characters each"
            )
    return ProxyConnector(
        host=url.hostname or "",
        port=url.port or DEFAULT_PORT,
        proxy_type=ProxyType.SOCKS5,
        username=user,
        password=password,
        rdns=True,
        **kwargs,
    )


def tunnel_errors() -> tuple[type[BaseException], ...]:
    """What opening a tunnel may raise besides aiohttp's own errors: aiohttp-socks' own types."""
    from aiohttp_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError

    return (ProxyConnectionError, ProxyError, ProxyTimeoutError)


def _os_reason(exc: BaseException) -> str:
    """The system's words for why the proxy could not be reached ("Connection refused")."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror) and seen.strerror:
            return seen.strerror
        errno = getattr(seen, "errno", None)
        if isinstance(errno, int) and errno > 0:
            return os.strerror(errno)
        seen = seen.__cause__
    return _reason(exc)


def _reason(exc: BaseException) -> str:
    """python-socks' words for a refusal, in pystern's style ("connection not allowed by ruleset")."""
    text = str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def tunnel_failure(exc: BaseException, proxy: str, server: str, connect_timeout: float, login: bool) -> str:
    """One line saying why the tunnel through ``proxy`` to ``server`` could not be opened.

    ``exc`` is one of ``tunnel_errors()``; ``login`` tells whether
    the proxy URL carried one (a proxy that wants a login and got none says so).
    """
    from aiohttp_socks import ProxyConnectionError, ProxyTimeoutError

    if isinstance(exc, ProxyConnectionError):
        return f"cannot connect to the proxy {proxy} (for the server {server}): {_os_reason(exc)}"
    if isinstance(exc, ProxyTimeoutError):
        return (
            f"timed out after {connect_timeout:g}s connecting to the server {server} "
            f"through the proxy {proxy}"
        )
    reason = _reason(exc)
    if not login and "authentication methods" in reason:
        reason += " (it wants a login)"
    return f"the proxy {proxy} refused the connection to the server {server}: {reason}"


def keep_tunnel_alive(response: aiohttp.ClientResponse) -> None:
    """Switch on keepalive probes for the tunnel ``response`` came through.

    python-socks opens the socket to the proxy itself, so aiohttp's ``socket_factory`` never
    sees it; without probes a dead proxy under a quiet log stream would hang that stream.
    """
    connection = response.connection
    transport = connection.transport if connection is not None else None
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        enable_keepalive(sock)
