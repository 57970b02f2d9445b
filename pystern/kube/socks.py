"""SOCKS5 proxies (``socks5://`` in a cluster's ``proxy-url`` or in ``HTTPS_PROXY``), as kubectl uses them.

aiohttp speaks HTTP CONNECT only.  ``Socks5Connector`` has python-socks open each connection
through the proxy (RFC 1928) to the API server, and then lets aiohttp run TLS over that tunnel as
over any socket.  As in Go's SOCKS dialer, the server's name is sent as a name (the proxy resolves
it: clusters behind a bastion often have names only the bastion knows), an IP literal as an
address, and ``user:password@`` in the URL is sent as RFC 1929 username/password authentication.
python-socks is imported only when such a proxy is used.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any
from urllib.parse import unquote, urlsplit

from pystern.kube.deferredca import aiohttp
from pystern.kube.sockets import enable_keepalive

__all__ = ["Socks5Connector", "SocksRefused", "is_socks"]

DEFAULT_PORT = 1080


def is_socks(proxy: str | None) -> bool:
    """Whether ``proxy`` is a SOCKS5 proxy URL."""
    return bool(proxy) and str(proxy).split("://", 1)[0].lower() == "socks5"


class SocksRefused(aiohttp.ClientConnectorError):
    """The SOCKS proxy answered, but would not open the tunnel (``reason`` says why)."""

    def __init__(self, connection_key: Any, reason: str) -> None:
        super().__init__(connection_key, OSError(reason))
        self.reason = reason


def _reason(exc: BaseException) -> str:
    """python-socks' words for a refusal, in pystern's style ("connection not allowed by ruleset")."""
    text = str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


class Socks5Connector(aiohttp.TCPConnector):
    """A TCPConnector whose every connection is a tunnel through one SOCKS5 proxy."""

    def __init__(self, proxy: str, **kwargs: Any) -> None:
        url = urlsplit(proxy)
        self._proxy_host = url.hostname or ""
        self._proxy_port = url.port or DEFAULT_PORT
        self._login = (
            (unquote(url.username), unquote(url.password or "")) if url.username is not None else None
        )
        super().__init__(**kwargs)

    async def _resolve_host(self, host: str, port: int, traces: Any = None) -> Any:
        # The proxy resolves the server's name; only the proxy's own name is looked up here, so a
        # proxy name that does not resolve fails as aiohttp's DNS error, naming the proxy.
        return await super()._resolve_host(self._proxy_host, self._proxy_port, traces=traces)

    async def _wrap_create_connection(
        self,
        *args: Any,
        addr_infos: Any,
        req: Any,
        timeout: Any,  # noqa: ASYNC109 (aiohttp's name for the ClientTimeout it passes)
        client_error: type[Exception] = aiohttp.ClientConnectorError,
        **kwargs: Any,
    ) -> Any:
        from python_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError, ProxyType
        from python_socks.async_.asyncio import Proxy

        loop = asyncio.get_running_loop()
        # The address aiohttp resolved (the first, as its own connect would start with).
        proxy_address = addr_infos[0][4][0]
        user, password = self._login or (None, None)
        proxy = Proxy(ProxyType.SOCKS5, proxy_address, self._proxy_port, user, password, rdns=True, loop=loop)
        try:
            sock = await proxy.connect(req.url.raw_host or "", req.port, timeout=timeout.sock_connect)
        except ProxyTimeoutError as exc:
            raise TimeoutError(str(exc)) from exc
        except ProxyConnectionError as exc:
            reason = os.strerror(exc.errno) if isinstance(exc.errno, int) else _reason(exc)
            raise aiohttp.ClientProxyConnectionError(req.connection_key, OSError(exc.errno, reason)) from exc
        except ProxyError as exc:
            reason = _reason(exc)
            if self._login is None and "authentication methods" in reason:
                reason += " (it wants a login)"
            raise SocksRefused(req.connection_key, reason) from exc
        enable_keepalive(sock)
        try:
            async with asyncio.timeout(timeout.sock_connect):
                return await loop.create_connection(*args, **kwargs, sock=sock)
        except ssl.SSLError as exc:  # TLS with the server, through the tunnel
            sock.close()
            if isinstance(exc, ssl.SSLCertVerificationError):
                raise aiohttp.ClientConnectorCertificateError(req.connection_key, exc) from exc
            raise aiohttp.ClientConnectorSSLError(req.connection_key, exc) from exc
        except OSError as exc:
            sock.close()
            if isinstance(exc, TimeoutError):
                raise
            raise client_error(req.connection_key, exc) from exc
        except BaseException:
            sock.close()
            raise
