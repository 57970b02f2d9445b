"""The HTTP layer: one aiohttp session per cluster, tuned for hundreds of long streams.

Deliberate differences from kubernetes_asyncio's ``RESTClientObject``:

* no connection cap (its default of 100 makes the 101st follow stream block silently);
* TCP keepalive on every client socket (idle 30 s, 3 probes 10 s apart), so a dead
  peer under a quiet log stream is detected in about a minute instead of never;
* timeouts per kind of request: connect timeouts everywhere, a read timeout on one-shot
  requests and on watches (a bit above the ``timeoutSeconds`` we ask the server for),
  and none on log streams, where silence is legal (a quiet container);
* a 401 renews the credentials once and retries; 429, and 5xx with ``Retry-After``,
  are retried a few times honouring the header (client-go does the same);
* every non-2xx answer becomes ``ApiError`` carrying the server's ``Status`` message,
  connection problems become ``ConnectionFailed`` with one line naming the server;
* ``--verbosity`` 6 logs each request, 8 its headers (Authorization masked), 9 the
  bodies of non-stream answers.  Tokens and keys are never written anywhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit

from pystern.errors import (
    ApiError,
    ConnectionFailed,
    ConnectionLost,
    KubeconfigError,
    UntrustedCertificate,
    escape_text,
)
from pystern.kube.answers import api_error, date_ns, retry_after_of
from pystern.kube.credentials import Credentials
from pystern.kube.deferredca import aiohttp
from pystern.kube.kubeconfig import KubeTarget, header_trouble, idna_reason
from pystern.kube.proxy import choose_proxy, shown_proxy
from pystern.kube.ratelimit import TokenBucket
from pystern.kube.sockets import build_ssl_context, keepalive_socket, load_cert_chain, shrink_tls_read_buffer
from pystern.kube.socks import is_socks, keep_tunnel_alive, socks_connector, tunnel_errors, tunnel_failure
from pystern.options import Connection

__all__ = ["Transport"]

ONESHOT_READ_TIMEOUT = 60.0
MAX_RETRIES = 3
MAX_RETRY_WAIT = 10.0
ERROR_BODY_LIMIT = 64 * 1024
VERBOSE_BODY_LIMIT = 10_000
USER_AGENT = "pystern/0.1 (python; aiohttp)"

Query = Sequence[tuple[str, str]]

_NAME_MISMATCH = (62, 64)
"""OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH."""


def _reason_of(exc: BaseException) -> str:
    os_error = getattr(exc, "os_error", None)
    if isinstance(os_error, ConnectionError) and os_error.errno:
        return os.strerror(os_error.errno)  # "Connection refused", not "Connect call failed (...)"
    if isinstance(os_error, OSError) and os_error.strerror:
        return str(os_error.strerror)
    text = str(exc)
    return text.split(": ", 1)[-1] if text else type(exc).__name__


class Transport:
    """Opens requests against one API server with auth, throttling, retries and logging."""

    def __init__(
        self,
        target: KubeTarget,
        credentials: Credentials,
        connection: Connection,
        stderr: TextIO | None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.target = target
        self.server = target.server
        self.credentials = credentials
        self.connection = connection
        self.verbosity = connection.verbosity
        self._stderr = stderr
        self._sleep = sleep
        self.bucket = TokenBucket(connection.qps, connection.burst, sleep=sleep)
        proxy = choose_proxy(target)  # first: it may raise, and no session is open yet
        self._socks = proxy is not None and is_socks(proxy)
        self._ssl: ssl.SSLContext | bool = False
        if self.server.startswith("https://"):
            # Through a SOCKS tunnel TLS is started by aiohttp-socks, which passes no server_hostname.
            self._ssl = build_ssl_context(target, credentials.cert_files, pin_server_name=self._socks)
            shrink_tls_read_buffer()
        self._client_cert = credentials.cert_files
        kwargs: dict[str, Any] = {"limit": 0, "ssl": self._ssl}
        connector: aiohttp.TCPConnector
        self._tunnel_errors: tuple[type[BaseException], ...] = ()
        self._proxy_login = False
        if proxy and self._socks:
            connector = socks_connector(proxy, **kwargs)
            self._tunnel_errors = tunnel_errors()
            self._proxy_login = urlsplit(proxy).username is not None
        else:
            try:
                connector = aiohttp.TCPConnector(socket_factory=keepalive_socket, **kwargs)
            except TypeError:  # aiohttp < 3.12 has no socket_factory; streams then lack keepalive
                connector = aiohttp.TCPConnector(**kwargs)
        self.session = aiohttp.ClientSession(
            connector=connector,
            # The proxy is chosen by choose_proxy as kubectl would; aiohttp's own reading of the
            # environment (trust_env) would also read ~/.netrc, which kubectl never does.
            trust_env=False,
            headers=[("User-Agent", USER_AGENT), ("Accept", "application/json"), *target.impersonate],
            read_bufsize=2**18,
            # aiohttp asks for gzip/deflate itself; --disable-compression leaves the header out, which is
            # what client-go's DisableCompression does.
            skip_auto_headers=("Accept-Encoding",) if target.disable_compression else (),
        )
        connect = connection.connect_timeout
        self.connect_timeout = connect
        self._extra: dict[str, Any] = {}
        if target.tls_server_name:
            self._extra["server_hostname"] = target.tls_server_name
        self._proxy_shown = ""
        if proxy:
            if not self._socks:  # a SOCKS proxy is the connector's business
                self._extra["proxy"] = proxy
            self._proxy_shown = shown_proxy(proxy)

    def _follow_client_cert(self) -> None:
        """Present a renewed exec-plugin certificate on the next connections.

        Short-lived certificates (Pinniped's live minutes) are renewed like tokens; loading the
        new pair into the shared context affects every handshake from now on (client-go asks
        for the certificate at each handshake).  Open connections keep their identity.
        """
        cert = self.credentials.cert_files
        if cert is not self._client_cert and cert is not None and isinstance(self._ssl, ssl.SSLContext):
            user = f'user "{self.target.user_name}"' if self.target.user_name else "the user"
            load_cert_chain(self._ssl, cert[0], cert[1], user)
            self._client_cert = cert
            self.log(1, "client certificate renewed by the credential plugin")

    # ------------------------------------------------------------------ logging
    def log(self, level: int, message: str) -> None:
        """Write a diagnostic line at ``--verbosity`` >= level."""
        if self.verbosity >= level and self._stderr is not None:
            try:
                # Bodies, reason phrases and URLs come from the server: no control character of
                # theirs may reach the terminal (JSON leaves DEL and C1 controls such as CSI raw).
                self._stderr.write(f"pystern: {escape_text(message)}\n")
                self._stderr.flush()
            except (OSError, ValueError):
                pass

    def log_body(self, body: bytes) -> None:
        """Write a response body at ``--verbosity 9``: one diagnostic, cut at VERBOSE_BODY_LIMIT."""
        if self.verbosity >= 9:
            # The API server ends its JSON with a newline; kept, it printed a blank line after each body.
            text = body[:VERBOSE_BODY_LIMIT].decode("utf-8", "replace").rstrip("\r\n")
            self.log(9, f"response body: {text}")

    # ------------------------------------------------------------------ timeouts
    def timeout(self, read: float | None, *, total: float | None = None) -> aiohttp.ClientTimeout:
        """A ClientTimeout with our connect timeout and the given socket-read timeout."""
        ct = self.connect_timeout
        return aiohttp.ClientTimeout(total=total, connect=ct, sock_connect=ct, sock_read=read)

    def oneshot_timeout(self) -> aiohttp.ClientTimeout:
        """List / get: ``--request-timeout`` as total, else a 60 s read timeout."""
        rt = self.connection.request_timeout
        return self.timeout(rt if rt else ONESHOT_READ_TIMEOUT, total=rt if rt else None)

    # ------------------------------------------------------------------ requests
    def url(self, path: str) -> str:
        """Absolute URL of an API path."""
        return self.server + path

    async def open(
        self,
        path: str,
        query: Query,
        client_timeout: aiohttp.ClientTimeout,
        *,
        stream: bool = False,
    ) -> aiohttp.ClientResponse:
        """Send ``GET path?query`` and return the 2xx response (caller closes it).

        Raises ``ApiError`` (Status message) for non-2xx answers, ``ConnectionFailed`` when
        the server cannot be reached or drops the request, ``KubeconfigError`` when the
        credentials cannot be renewed.
        """
        renewed = False
        retries = 0
        url = self.url(path)
        while True:
            waited = await self.bucket.acquire()
            if waited >= 1.0:
                self.log(1, f"waited {waited:.2f}s for client-side throttling (--qps/--burst)")
            header, generation = await self.credentials.header()
            self._follow_client_cert()
            headers = self._authorization(header)
            if self.verbosity >= 8:
                shown = {**headers, "Authorization": header.split(" ")[0] + " <masked>"} if header else {}
                self.log(8, f"GET {url} headers {shown}")
            started = time.monotonic()
            resp = await self._send(url, query, headers, client_timeout)
            elapsed = (time.monotonic() - started) * 1000
            self.log(
                6,
                f"GET {resp.url} {resp.status} {resp.reason or ''} in {elapsed:.0f} ms"
                + (" (stream)" if stream and resp.status < 300 else ""),
            )
            if resp.status < 300:
                return resp
            body = await self._error_body(resp)
            self.log_body(body)
            if resp.status == 401 and not renewed:
                renewed = True
                if await self.credentials.renew(generation):
                    self.log(1, "credentials renewed after 401 Unauthorized; retrying")
                    continue
            retry_after = retry_after_of(resp.headers)
            retryable = resp.status == 429 or (resp.status >= 500 and retry_after is not None)
            if retryable and retries < MAX_RETRIES:
                retries += 1
                wait = min(retry_after if retry_after is not None else 1.0, MAX_RETRY_WAIT)
                self.log(1, f"{resp.status} from {path}; retrying in {wait:g}s")
                await self._sleep(wait)
                continue
            raise api_error(resp.status, resp.reason or "", body, retry_after)

    async def _send(
        self,
        url: str,
        query: Query,
        headers: dict[str, str],
        client_timeout: aiohttp.ClientTimeout,
    ) -> aiohttp.ClientResponse:
        server = self.server
        read_limit = client_timeout.total or client_timeout.sock_read or 0
        try:
            return await self._get(url, query, headers, client_timeout)
        except aiohttp.ClientConnectorCertificateError as exc:
            raise self._untrusted(exc.certificate_error, via_proxy=self._is_proxy(exc)) from exc
        except aiohttp.ClientProxyConnectionError as exc:
            proxy = self._proxy_shown
            raise ConnectionFailed(
                f"cannot connect to the proxy {proxy} (for the server {server}): {_reason_of(exc)}"
            ) from exc
        except aiohttp.ClientHttpProxyError as exc:
            raise ConnectionFailed(
                f"the proxy {self._proxy_shown} refused the connection to the server {server}: "
                f"{exc.status} {exc.message}"
            ) from exc
        except aiohttp.ClientSSLError as exc:
            raise ConnectionFailed(f"TLS handshake with {server} failed: {_reason_of(exc)}") from exc
        except aiohttp.ClientConnectorError as exc:
            raise ConnectionFailed(f"cannot connect to {self._reached(exc)}: {_reason_of(exc)}") from exc
        except aiohttp.ServerTimeoutError as exc:
            connecting = isinstance(exc, getattr(aiohttp, "ConnectionTimeoutError", ()))
            if connecting or "connect" in str(exc).lower():
                # Through a proxy the time may have gone on reaching the proxy: it is named.
                via = f" through the proxy {self._proxy_shown}" if self._proxy_shown else ""
                raise ConnectionFailed(
                    f"timed out after {self.connect_timeout:g}s connecting to the server {server}{via}"
                ) from exc
            raise ConnectionFailed(f"the server {server} did not answer within {read_limit:g}s") from exc
        except TimeoutError as exc:
            raise ConnectionFailed(f"the server {server} did not answer within {read_limit:g}s") from exc
        except UnicodeError as exc:
            # The resolver encodes the host name with the idna codec, which refuses a part that is
            # empty or over 63 characters; this was an internal error (Go: "no such host").
            # Behind an HTTP proxy the name looked up here is the proxy's; a SOCKS proxy is sent the
            # server's name, which is then the one that could not be encoded.
            where = f"the server {server}"
            if self._proxy_shown and not self._socks:
                where = f"the proxy {self._proxy_shown} (for the server {server})"
            raise ConnectionFailed(
                f"cannot connect to {where}: invalid host name ({idna_reason(exc)})"
            ) from exc
        except aiohttp.InvalidURL as exc:
            raise KubeconfigError(f"the server URL {server!r} is not valid") from exc
        except aiohttp.ClientResponseError as exc:
            raise ConnectionFailed(f"bad HTTP answer from {server}: {exc.message}") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionFailed(f"connection to the server {server} failed: {_reason_of(exc)}") from exc

    async def _get(
        self, url: str, query: Query, headers: dict[str, str], client_timeout: aiohttp.ClientTimeout
    ) -> aiohttp.ClientResponse:
        """``session.get``, with the failures of a SOCKS tunnel turned into pystern's errors."""
        try:
            resp = await self.session.get(
                url, params=list(query), headers=headers, timeout=client_timeout, **self._extra
            )
        except aiohttp.ClientOSError as exc:
            # aiohttp wraps an OSError from connecting as ClientOSError; through a SOCKS tunnel
            # that is how a failed TLS handshake with the server arrives.
            tls = exc.__cause__
            if not self._socks or not isinstance(tls, ssl.SSLError):
                raise
            if isinstance(tls, ssl.SSLCertVerificationError):
                raise self._untrusted(tls) from exc
            raise ConnectionFailed(f"TLS handshake with {self.server} failed: {tls.strerror or tls}") from exc
        except self._tunnel_errors as exc:
            login = self._proxy_login
            raise ConnectionFailed(
                tunnel_failure(exc, self._proxy_shown, self.server, self.connect_timeout, login)
            ) from exc
        if self._socks:
            keep_tunnel_alive(resp)
        return resp

    def _untrusted(self, err: BaseException, *, via_proxy: bool = False) -> UntrustedCertificate:
        """The error for a certificate that failed verification: the server's, or the proxy's."""
        server = self.server
        why = getattr(err, "verify_message", None) or getattr(err, "reason", None) or str(err)
        if via_proxy:
            # An https:// proxy's certificate is checked with the cluster's TLS settings, as
            # Go's transport does; blaming the server's certificate sent users to the wrong machine.
            return UntrustedCertificate(
                f"TLS certificate of the proxy {self._proxy_shown} (for the server {server}) is not "
                f"trusted ({str(why).rstrip('.')}); it is checked with the cluster's "
                "certificate-authority, as kubectl does"
            )
        if getattr(err, "verify_code", None) in _NAME_MISMATCH:
            # The CA is fine here: pointing at certificate-authority sent users to the wrong setting.
            return UntrustedCertificate(
                f"TLS certificate of {server} does not match the name it was reached by "
                f"({str(why).rstrip('.')}); check the server URL or tls-server-name"
            )
        return UntrustedCertificate(
            f"TLS certificate of {server} is not trusted ({why}); check the cluster's "
            "certificate-authority (or --certificate-authority)"
        )

    def _authorization(self, header: str | None) -> dict[str, str]:
        """The ``Authorization`` header to send; a value no header may carry is a KubeconfigError.

        ``token: |`` in YAML keeps a final newline: aiohttp refused it with a ValueError that
        reached the user as an internal error (kubectl: 'invalid header field value').
        """
        if not header:
            return {}
        trouble = header_trouble(header)
        if trouble:
            raise KubeconfigError(
                f"the {self.credentials.description} holds {trouble}, which an HTTP header cannot carry"
            )
        return {"Authorization": header}

    def _is_proxy(self, exc: aiohttp.ClientConnectorError) -> bool:
        """Whether a failed connection was the one to an HTTP(S) proxy (not the tunnel through it)."""
        from yarl import URL  # aiohttp's own URL type, loaded with it

        proxy = self._extra.get("proxy")
        if not isinstance(proxy, str):
            return False
        url = URL(proxy)
        return (exc.host, exc.port) in ((url.host, url.port), (url.raw_host, url.port))

    def _reached(self, exc: aiohttp.ClientConnectorError) -> str:
        """Which machine a failed connection was for: the server, or where it redirected us.

        aiohttp follows redirects (as client-go does); a front such as an SSO proxy may send
        the request to another host, and naming the API server for that host's failure sent
        users looking at the wrong machine.
        """
        from yarl import URL  # aiohttp's own URL type, loaded with it

        def at(text: str) -> tuple[tuple[str | None, int | None], ...]:
            url = URL(text)
            return (url.host, url.port), (url.raw_host, url.port)

        if (exc.host, exc.port) in at(self.server):
            return f"the server {self.server}"
        # aiohttp reports a proxy it cannot resolve as a plain connector error.
        proxy = self._extra.get("proxy")
        if isinstance(proxy, str) and (exc.host, exc.port) in at(proxy):
            return f"the proxy {self._proxy_shown} (for the server {self.server})"
        return f"{exc.host}:{exc.port}, where the server {self.server} redirected"

    async def _error_body(self, resp: aiohttp.ClientResponse) -> bytes:
        try:
            chunks: list[bytes] = []
            size = 0
            while size < ERROR_BODY_LIMIT:
                chunk = await resp.content.readany()
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            return b"".join(chunks)[:ERROR_BODY_LIMIT]
        except (aiohttp.ClientError, OSError, TimeoutError):
            return b""
        finally:
            resp.close()

    async def get_json(self, path: str, query: Query = ()) -> Any:
        """A one-shot GET decoded from JSON."""
        return (await self.get_json_dated(path, query))[0]

    async def get_json_dated(self, path: str, query: Query = ()) -> tuple[Any, int]:
        """``get_json`` plus the server's clock: its ``Date`` header in epoch ns (0 if absent)."""
        resp = await self.open(path, query, self.oneshot_timeout())
        try:
            body = await resp.read()
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ConnectionLost(f"reading {path} from {self.server} failed: {_reason_of(exc)}") from exc
        finally:
            resp.release()
        self.log_body(body)
        try:
            return json.loads(body), date_ns(resp.headers.get("Date", ""))
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than json can read
            what = "an empty body" if not body.strip() else "invalid JSON"
            raise ApiError(resp.status, "BadResponse", f"the server sent {what} for {path}") from exc

    async def probe(self) -> None:
        """Check that the server answers at all (any HTTP status counts), within the connect timeout."""
        try:
            # aiohttp's own connect timeout fires first and closes the socket cleanly;
            # this outer bound only guards against a server that accepts but never answers.
            async with asyncio.timeout(self.connect_timeout * 2):
                header, _ = await self.credentials.header()
                self._follow_client_cert()
                headers = self._authorization(header)
                resp = await self._send(self.url("/version"), (), headers, self.timeout(self.connect_timeout))
        except TimeoutError as exc:
            raise ConnectionFailed(
                f"timed out after {self.connect_timeout:g}s connecting to the server {self.server}"
            ) from exc
        self.log(6, f"GET {resp.url} {resp.status} {resp.reason or ''} (reachability probe)")
        await resp.read()
        resp.release()

    async def aclose(self) -> None:
        """Close every connection."""
        await self.session.close()
