"""SOCKS5 proxies (``socks5://`` in a cluster's ``proxy-url`` or in ``HTTPS_PROXY``), as kubectl uses them.

aiohttp speaks HTTP CONNECT only.  ``Socks5Connector`` opens each connection to the proxy, asks
it (RFC 1928) for a tunnel to the API server, and then lets aiohttp run TLS over that tunnel as
over any socket.  As in Go's SOCKS dialer, the server's name is sent as a name (the proxy resolves
it: clusters behind a bastion often have names only the bastion knows), an IP literal as an
address, and ``user:password@`` in the URL is sent as RFC 1929 username/password authentication.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import struct
from typing import Any
from urllib.parse import unquote, urlsplit

from pystern.kube.deferredca import aiohttp

__all__ = ["Socks5Connector", "SocksRefused", "is_socks"]

DEFAULT_PORT = 1080

_REPLIES = {
    1: "general SOCKS server failure",
    2: "connection not allowed by ruleset",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}


def is_socks(proxy: str | None) -> bool:
    """Whether ``proxy`` is a SOCKS5 proxy URL."""
    return bool(proxy) and str(proxy).split("://", 1)[0].lower() == "socks5"


class SocksRefused(aiohttp.ClientConnectorError):
    """The SOCKS proxy answered, but would not open the tunnel (``reason`` says why)."""

    def __init__(self, connection_key: Any, reason: str) -> None:
        super().__init__(connection_key, OSError(reason))
        self.reason = reason


class _Refused(Exception):
    pass


async def _exactly(loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await loop.sock_recv(sock, size - len(data))
        if not chunk:
            raise _Refused("the proxy closed the connection during the SOCKS handshake")
        data += chunk
    return data


async def _handshake(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, host: str, port: int, login: tuple[str, str] | None
) -> None:
    methods = b"\x00\x02" if login else b"\x00"
    await loop.sock_sendall(sock, bytes([5, len(methods)]) + methods)
    version, method = await _exactly(loop, sock, 2)
    if version != 5:
        raise _Refused("it did not answer as a SOCKS5 proxy")
    if method == 2 and login is not None:
        user, password = (part.encode() for part in login)
        if len(user) > 255 or len(password) > 255:
            raise _Refused("the proxy's user name or password is longer than SOCKS allows (255 bytes)")
        await loop.sock_sendall(sock, bytes([1, len(user)]) + user + bytes([len(password)]) + password)
        if (await _exactly(loop, sock, 2))[1] != 0:
            raise _Refused("it refused the user name and password")
    elif method != 0:
        raise _Refused("no acceptable authentication methods" + ("" if login else " (it wants a login)"))
    try:
        ip = ipaddress.ip_address(host)
        address = bytes([1 if ip.version == 4 else 4]) + ip.packed
    except ValueError:
        name = host.encode("idna") if not host.isascii() else host.encode()
        if len(name) > 255:
            raise _Refused("the server's host name is longer than SOCKS allows") from None
        address = bytes([3, len(name)]) + name
    await loop.sock_sendall(sock, b"\x05\x01\x00" + address + struct.pack("!H", port))
    _, reply, _, kind = await _exactly(loop, sock, 4)
    if reply != 0:
        raise _Refused(_REPLIES.get(reply, f"SOCKS reply {reply}"))
    # The address the proxy bound: read and dropped, so TLS starts at the tunnel's first byte.
    if kind == 3:
        (length,) = await _exactly(loop, sock, 1)
        await _exactly(loop, sock, length + 2)
    else:
        await _exactly(loop, sock, (4 if kind == 1 else 16) + 2)


class Socks5Connector(aiohttp.TCPConnector):
    """A TCPConnector whose every connection is a tunnel through one SOCKS5 proxy."""

    def __init__(self, proxy: str, **kwargs: Any) -> None:
        url = urlsplit(proxy)
        self._proxy_host = url.hostname or ""
        self._proxy_port = url.port or DEFAULT_PORT
        self._login = (
            (unquote(url.username), unquote(url.password or "")) if url.username is not None else None
        )
        self._make_socket = kwargs.get("socket_factory")
        super().__init__(**kwargs)

    async def _resolve_host(self, host: str, port: int, traces: Any = None) -> Any:
        # The proxy resolves the server's name; only the proxy's own name is looked up here.
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
        loop = asyncio.get_running_loop()
        family, type_, proto, _, address = addr_infos[0]
        sock = self._make_socket(addr_infos[0]) if self._make_socket else socket.socket(family, type_, proto)
        sock.setblocking(False)
        try:
            async with asyncio.timeout(timeout.sock_connect):
                try:
                    await loop.sock_connect(sock, address)
                except OSError as exc:
                    raise aiohttp.ClientProxyConnectionError(req.connection_key, exc) from exc
                try:
                    await _handshake(loop, sock, req.url.raw_host or "", req.port, self._login)
                except _Refused as exc:
                    raise SocksRefused(req.connection_key, str(exc)) from exc
                except OSError as exc:
                    raise aiohttp.ClientProxyConnectionError(req.connection_key, exc) from exc
                return await loop.create_connection(*args, **kwargs, sock=sock)
        except ssl.SSLError as exc:  # TLS with the server, through the tunnel
            sock.close()
            if isinstance(exc, ssl.SSLCertVerificationError):
                raise aiohttp.ClientConnectorCertificateError(req.connection_key, exc) from exc
            raise aiohttp.ClientConnectorSSLError(req.connection_key, exc) from exc
        except aiohttp.ClientError:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            if isinstance(exc, TimeoutError):
                raise
            raise client_error(req.connection_key, exc) from exc
        except BaseException:
            sock.close()
            raise
