"""How a connection to an API server is made: TLS settings, TCP keepalive, the TLS read buffer.

The TLS context comes from the kubeconfig (certificate authority, client certificate and key,
``insecure-skip-tls-verify``) or from an exec plugin's certificate; every client socket gets
keepalive probes so a dead peer under a quiet log stream is noticed.  :mod:`pystern.kube.transport`
puts these together into its aiohttp session.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import tempfile
from typing import Any

from pystern.errors import KubeconfigError
from pystern.kube.kubeconfig import KubeTarget

__all__ = [
    "build_ssl_context",
    "enable_keepalive",
    "keepalive_socket",
    "load_cert_chain",
    "shrink_tls_read_buffer",
]

# asyncio gives every TLS connection a 256 KiB read buffer (``SSLProtocol.max_size``),
# allocated up front: 1000 followed containers cost 250 MiB before a byte of log arrives.
# A TLS record holds at most 16 KiB, so 32 KiB per read loses no throughput (measured with
# bench/run.py) and brings a connection's cost to about 75 KiB.  Python >= 3.11 reads the
# class attribute when each connection is made.
TLS_READ_BUFFER = 32 * 1024


def shrink_tls_read_buffer() -> None:
    """Cap asyncio's TLS read buffer at ``TLS_READ_BUFFER`` for connections made from now on."""
    import asyncio.sslproto

    if getattr(asyncio.sslproto.SSLProtocol, "max_size", 0) > TLS_READ_BUFFER:
        asyncio.sslproto.SSLProtocol.max_size = TLS_READ_BUFFER


KEEPALIVE_IDLE = 30
KEEPALIVE_INTERVAL = 10
KEEPALIVE_COUNT = 3


def keepalive_socket(addr_info: Any) -> socket.socket:
    """aiohttp ``socket_factory``: a TCP socket with keepalive probes switched on."""
    family, type_, proto = addr_info[0], addr_info[1], addr_info[2]
    return enable_keepalive(socket.socket(family=family, type=type_, proto=proto))


def enable_keepalive(sock: socket.socket) -> socket.socket:
    """Switch on keepalive probes (idle 30 s, then 3 probes 10 s apart) for ``sock``; returns it."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    idle = getattr(socket, "TCP_KEEPIDLE", None) or getattr(socket, "TCP_KEEPALIVE", None)
    for option, value in (
        (idle, KEEPALIVE_IDLE),
        (getattr(socket, "TCP_KEEPINTVL", None), KEEPALIVE_INTERVAL),
        (getattr(socket, "TCP_KEEPCNT", None), KEEPALIVE_COUNT),
    ):
        if option is not None:
            with contextlib.suppress(OSError):  # not every platform accepts every option
                sock.setsockopt(socket.IPPROTO_TCP, option, value)
    return sock


class _EncryptedKey(Exception):
    """Raised by the password callback: the client key needs a passphrase."""


def _no_passphrase() -> bytes:
    # Without a callback OpenSSL prompts on the terminal (or reads stdin) for the passphrase,
    # so pystern sat waiting for typing; kubectl refuses such keys outright.
    raise _EncryptedKey


def load_cert_chain(ctx: ssl.SSLContext, cert: str | bytes, key: str | bytes, what: str) -> None:
    """Load a client certificate and key (paths or PEM bytes) into ``ctx``; raises ``KubeconfigError``."""
    # ssl only loads certificates from files: write -data values to a private temporary
    # directory and delete them at once (kubernetes_asyncio leaves them until exit).
    try:
        if isinstance(cert, str) and isinstance(key, str):
            ctx.load_cert_chain(cert, keyfile=key, password=_no_passphrase)
            return
        with tempfile.TemporaryDirectory(prefix="pystern-") as tmp:
            paths = []
            for name, value in (("cert.pem", cert), ("key.pem", key)):
                if isinstance(value, str):
                    paths.append(value)
                    continue
                path = os.path.join(tmp, name)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(value)
                paths.append(path)
            ctx.load_cert_chain(paths[0], keyfile=paths[1], password=_no_passphrase)
    except _EncryptedKey:
        raise KubeconfigError(
            f"client key of {what} is encrypted with a passphrase; "
            "pystern, like kubectl, needs an unencrypted key"
        ) from None
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
        # OpenSSL's words ("[SSL] PEM lib (_ssl.c:3905)") do not tell a user what is wrong.
        if isinstance(exc, ssl.SSLError) and "PEM lib" in str(exc):
            reason = "the certificate or the key is not valid PEM"
        elif reason == "KEY_VALUES_MISMATCH":
            reason = "the key does not belong to the certificate"
        raise KubeconfigError(f"client certificate/key of {what} cannot be used: {reason}") from exc


class _ServerNameContext(ssl.SSLContext):
    """TLS settings that check every server against one name: a cluster's ``tls-server-name``."""

    server_name = ""

    def wrap_bio(
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        """As SSLContext's, with ``server_name`` for SNI and the name check."""
        return super().wrap_bio(incoming, outgoing, server_side, self.server_name or server_hostname, session)


def build_ssl_context(
    target: KubeTarget,
    exec_cert: tuple[str | bytes, str | bytes] | None = None,
    *,
    pin_server_name: bool = False,
) -> ssl.SSLContext:
    """The TLS settings of a context (raises ``KubeconfigError`` on an unusable CA or key).

    ``pin_server_name`` makes the context itself send and check ``tls-server-name``, for
    connections (through a SOCKS tunnel) whose TLS is not started with aiohttp's
    ``server_hostname``.
    """
    cluster = f'cluster "{target.cluster_name}"' if target.cluster_name else "the cluster"
    user = f'user "{target.user_name}"' if target.user_name else "the user"
    try:
        if target.ca_data is not None:
            ctx = ssl.create_default_context(cadata=target.ca_data.decode("ascii", "replace"))
        elif target.ca_file is not None:
            ctx = ssl.create_default_context(cafile=target.ca_file)
        else:
            ctx = ssl.create_default_context()
    except (ssl.SSLError, ValueError) as exc:
        raise KubeconfigError(f"certificate-authority of {cluster} is not a valid PEM certificate") from exc
    except OSError as exc:
        raise KubeconfigError(f"cannot read certificate-authority of {cluster}: {exc.strerror}") from exc
    if pin_server_name and target.tls_server_name:
        # The default context's settings are kept as they are (create_default_context's choices
        # differ between Python versions); only the class changes, which adds the override.
        ctx.__class__ = _ServerNameContext
        if isinstance(ctx, _ServerNameContext):
            ctx.server_name = target.tls_server_name
    if target.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    cert: str | bytes | None = target.cert_data if target.cert_data is not None else target.cert_file
    key: str | bytes | None = target.key_data if target.key_data is not None else target.key_file
    if exec_cert is not None:
        cert, key = exec_cert
    if cert is not None and key is not None:
        load_cert_chain(ctx, cert, key, user)
    return ctx
