"""A SOCKS5 proxy for the tests (RFC 1928, with RFC 1929 username/password when asked for).

Every CONNECT goes to 127.0.0.1 at the requested port, whatever host was named, so a server
name that only "the proxy" can resolve works.  ``refuse`` answers each CONNECT with that
SOCKS reply code instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import struct
from collections.abc import AsyncIterator


async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction of a tunnel until it ends (the test proxies' data path)."""
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


class SocksProxy:
    """Records what clients asked for: ``requests`` holds (host, port, login or None)."""

    def __init__(self, login: tuple[str, str] | None = None, refuse: int = 0) -> None:
        self.login = login
        self.refuse = refuse
        self.requests: list[tuple[str, int, tuple[str, str] | None]] = []
        self.port = 0
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        self._writers.add(writer)
        up_writer: asyncio.StreamWriter | None = None
        try:
            version, count = await reader.readexactly(2)
            methods = await reader.readexactly(count)
            wanted = 2 if self.login else 0
            if version != 5 or wanted not in methods:
                writer.write(b"\x05\xff")
                return
            writer.write(bytes([5, wanted]))
            seen: tuple[str, str] | None = None
            if wanted == 2:
                _, ulen = await reader.readexactly(2)
                user = (await reader.readexactly(ulen)).decode()
                (plen,) = await reader.readexactly(1)
                password = (await reader.readexactly(plen)).decode()
                seen = (user, password)
                ok = seen == self.login
                writer.write(b"\x01\x00" if ok else b"\x01\x01")
                if not ok:
                    return
            _, command, _, kind = await reader.readexactly(4)
            if kind == 1:
                host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
            elif kind == 4:
                host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
            else:
                (length,) = await reader.readexactly(1)
                host = (await reader.readexactly(length)).decode()
            (port,) = struct.unpack("!H", await reader.readexactly(2))
            self.requests.append((host, port, seen))
            if command != 1 or self.refuse:
                writer.write(bytes([5, self.refuse or 7, 0, 1, 0, 0, 0, 0, 0, 0]))
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            self._writers.add(up_writer)
            writer.write(b"\x05\x00\x00\x01\x7f\x00\x00\x01" + struct.pack("!H", port))
            await writer.drain()
            await asyncio.gather(relay(reader, up_writer), relay(up_reader, writer))
        except (asyncio.IncompleteReadError, OSError):
            pass
        finally:
            writer.close()
            if up_writer is not None:
                up_writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[SocksProxy]:
        """Serve on 127.0.0.1 (``port``) until the block exits."""
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self
            server.close()
            # A tunnel the client is still closing (a TLS shutdown takes a few turns of the loop)
            # must not outlive the test: asyncio.Server.close leaves open connections alone.
            for open_writer in self._writers:
                open_writer.close()
            await asyncio.gather(*self._handlers)
