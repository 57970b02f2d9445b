"""Where the ``Authorization`` header comes from, and how it is renewed while running.

* token / username+password: static.
* ``tokenFile`` (and in-cluster service-account tokens): re-read at most once a minute,
  and at once after a 401 (projected tokens rotate under a running process).
* ``exec`` plugins: run by ``execplugin`` as client-go runs them (their stderr reaches the
  user as it is written, so login prompts show).
* ``auth-provider`` (oidc, gcp): kubernetes_asyncio's ``KubeConfigLoader`` runs them,
  imported lazily so that plain users never pay its 0.3-0.4 s import.
* Both are renewed lazily before a request when the expiry is near (the exec
  ``expirationTimestamp``; for OIDC the JWT's ``exp``), and forcibly after a 401.  This
  replaces kubernetes_asyncio's ``refresh_token`` background task, which polls every 60 s and ignores OIDC.

Concurrent 401s (150 streams after a rotation) renew once: callers pass the generation
of the header they used, and only the first caller of a generation runs the plugin.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TextIO

from pystern.errors import KubeconfigError, not_utf8
from pystern.kube.deferredca import load_deferred_certs
from pystern.kube.execplugin import ExecPlugin
from pystern.kube.kubeconfig import KubeTarget
from pystern.textfiles import FileTooLarge, read_limited

__all__ = ["Credentials", "build_credentials"]

TOKEN_FILE_RELOAD = 60.0
EXPIRY_SKEW = 10.0
"""Renew this many seconds before a known expiry (client-go renews on expiry or on a 401)."""
MIN_RELOAD_INTERVAL = 5.0
RETRY_401_INTERVAL = 30.0


class Credentials:
    """Static credentials; subclasses renew.  ``header()`` is called before every request."""

    def __init__(self, header: str | None, description: str) -> None:
        self._header = header
        self.description = description
        """What kind of credential it is, for ``--verbosity 1`` (never the secret itself)."""
        self.generation = 0
        self.cert_files: tuple[str | bytes, str | bytes] | None = None
        """A client certificate and key produced by an exec plugin (file paths or PEM data)."""

    async def header(self) -> tuple[str | None, int]:
        """The ``Authorization`` value (or None) and its generation."""
        return self._header, self.generation

    async def renew(self, generation: int) -> bool:
        """Called after a 401 with the generation that failed; True means: retry once."""
        return False


class TokenFileCredentials(Credentials):
    """A bearer token read from a file that may be rotated (client-go re-reads each minute)."""

    def __init__(
        self,
        path: str,
        description: str,
        clock: Callable[[], float] = time.monotonic,
        fallback: str | None = None,
    ) -> None:
        super().__init__(None, description)
        self._path = path
        self._fallback = fallback
        """A ``token`` beside ``tokenFile``: used only while the file cannot be read (client-go)."""
        self._clock = clock
        self._read_at = -1e18
        self._lock = asyncio.Lock()

    def _read(self) -> str:
        try:
            token = read_limited(self._path).decode("utf-8").strip()
        except (OSError, UnicodeDecodeError, FileTooLarge) as exc:
            if self._fallback:
                return self._fallback
            # Not Python's wording ("[Errno 21] ...", "'utf-8' codec can't decode byte ...").
            reason = str(exc)
            if isinstance(exc, UnicodeDecodeError):
                reason = f"it {not_utf8(exc)}"
            elif isinstance(exc, OSError) and exc.strerror:
                reason = exc.strerror
            raise KubeconfigError(f"cannot read token file {self._path}: {reason}") from exc
        if not token:
            if self._fallback:
                return self._fallback
            raise KubeconfigError(f"token file {self._path} is empty")
        return token

    def load(self) -> None:
        """Read the file now (raises ``KubeconfigError``)."""
        self._header = f"Bearer {self._read()}"
        self._read_at = self._clock()

    async def header(self) -> tuple[str | None, int]:
        if self._clock() - self._read_at >= TOKEN_FILE_RELOAD:
            new: str | None
            try:
                new = f"Bearer {self._read()}"
            except KubeconfigError:
                new = self._header  # keep the last good token; a 401 will tell
            self._read_at = self._clock()
            if new != self._header:
                self._header, self.generation = new, self.generation + 1
        return self._header, self.generation

    async def renew(self, generation: int) -> bool:
        async with self._lock:
            if generation != self.generation:
                return True
            old = self._header
            self.load()
            if self._header == old:
                return False
            self.generation += 1
            return True


def _jwt_expiry(header: str | None) -> float | None:
    if not header or not header.startswith("Bearer "):
        return None
    parts = header[7:].split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError, RecursionError):  # not a JWT; deep nesting was an internal error
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    try:
        return float(exp) if isinstance(exp, int | float) else None
    except OverflowError:  # "exp": 1e400 written as a whole number; was an internal error
        return None


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _quiet_kubernetes_asyncio_logging() -> None:
    # The loader logs exec failures with logger.error before raising; without a handler
    # Python's last-resort handler would print them as a second, unformatted stderr line.
    log = logging.getLogger("kubernetes_asyncio")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())
    log.propagate = False


class LoaderCredentials(Credentials):
    """exec credentials (``ExecPlugin``) and auth-provider ones (kubernetes_asyncio's loader)."""

    def __init__(
        self,
        target: KubeTarget,
        wall: Callable[[], float] = time.time,
        stderr: TextIO | None = None,
        *,
        may_prompt: bool = True,
    ) -> None:
        super().__init__(None, "")
        self._target = target
        self._wall = wall
        self._lock = asyncio.Lock()
        self._expiry: float | None = None
        self._loaded_at = -1e18
        self._renewed_for: int | None = None
        provider = dict(target.auth_provider or {})
        if target.exec_config is not None:
            command = target.exec_config.get("command")
            self.what = f'credential plugin "{command}"'
            self.description = f"exec plugin {command}"
        else:
            self.what = f'auth-provider "{provider.get("name")}"'
            self.description = f"auth-provider {provider.get('name')}"
        if target.user_name:
            self.what += f' of user "{target.user_name}"'
        self._config_dict = {
            "clusters": [{"name": "c", "cluster": {"server": target.server}}],
            "users": [{"name": "u", "user": {"auth-provider": copy.deepcopy(provider)}}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "x",
        }
        self._loader: Any = None
        self._cfg: Any = None
        self._plugin = (
            ExecPlugin(target, self.what, stderr, may_prompt=may_prompt)
            if target.exec_config is not None
            else None
        )

    async def load(self, force: bool = False) -> None:
        """Run the plugin / provider (raises ``KubeconfigError`` with one line)."""
        header: str | None
        cert: tuple[str | bytes, str | bytes] | None = None
        if self._plugin is not None:
            result = await self._plugin.run()
            header = f"Bearer {result.token}" if result.token else None
            if result.cert is not None and result.key is not None:
                cert = (result.cert, result.key)
            expiry = result.expiry
        else:
            header, cert, expiry = await self._load_provider(force)
        if not header and not cert:
            raise KubeconfigError(f"{self.what} returned neither a token nor a client certificate")
        if cert:
            self.cert_files = cert
        if header != self._header:
            self._header = header
            self.generation += 1
        self._loaded_at = self._wall()
        self._expiry = expiry if expiry is not None else _jwt_expiry(header)

    async def _load_provider(
        self, force: bool
    ) -> tuple[str | None, tuple[str | bytes, str | bytes] | None, float | None]:
        """Run an auth-provider through kubernetes_asyncio: (header, cert files, expiry)."""
        from kubernetes_asyncio.client.configuration import Configuration
        from kubernetes_asyncio.config.config_exception import ConfigException
        from kubernetes_asyncio.config.kube_config import KubeConfigLoader

        _quiet_kubernetes_asyncio_logging()
        # kubernetes_asyncio may talk HTTPS through aiohttp's default contexts (an OIDC refresh).
        load_deferred_certs()
        try:
            if self._loader is None:
                self._loader = KubeConfigLoader(
                    config_dict=self._config_dict, config_base_path=None, active_context="x"
                )
                self._cfg = type.__call__(Configuration)
            elif force:
                provider = self._target.auth_provider or {}
                config = provider.get("config") or {}
                if provider.get("name") == "oidc" and "refresh-token" in config:
                    await self._loader._refresh_oidc(self._loader._user["auth-provider"])
            await self._loader.load_and_set(self._cfg)
        except ConfigException as exc:
            raise KubeconfigError(f"{self.what}: {_one_line(str(exc))}") from exc
        except ImportError as exc:
            raise KubeconfigError(f"{self.what} needs the missing Python package {exc.name}") from exc
        except Exception as exc:
            # Anything the loader lets escape (ValueError from a broken OIDC token, aiohttp
            # errors talking to the IdP).
            raise KubeconfigError(f"{self.what} failed: {_one_line(str(exc)) or type(exc).__name__}") from exc
        header = self._cfg.api_key.get("BearerToken")
        cert = self._loader.__dict__.get("cert_file")
        key = self._loader.__dict__.get("key_file")
        return header, (cert, key) if cert and key else None, None

    def _due(self) -> bool:
        # A plugin that keeps handing out already-expired tokens must not run once per
        # request: at most one expiry-driven run every MIN_RELOAD_INTERVAL seconds.
        now = self._wall()
        return (
            self._expiry is not None
            and now >= self._expiry - EXPIRY_SKEW
            and now - self._loaded_at >= MIN_RELOAD_INTERVAL
        )

    async def header(self) -> tuple[str | None, int]:
        if self._due():
            async with self._lock:
                if self._due():
                    await self._renew_early()
        return self._header, self.generation

    async def _renew_early(self) -> None:
        try:
            await self.load(force=True)
        except KubeconfigError:
            # Tried again after MIN_RELOAD_INTERVAL, not at every request.
            self._loaded_at = self._wall()
            if self._header is None or self._expiry is None or self._wall() >= self._expiry:
                raise
            # We renew EXPIRY_SKEW early; a failure then (an ended SSO session) leaves a token
            # that works until it expires: kubectl runs the plugin only then.  Its stderr is shown.

    async def renew(self, generation: int) -> bool:
        async with self._lock:
            if generation != self.generation:
                return True  # someone else already got a new token
            if self._renewed_for == generation and self._wall() - self._loaded_at < RETRY_401_INTERVAL:
                # Already re-ran the plugin for this token and it gave the same one; ask again
                # only now and then (the user may log in again in another terminal).
                return False
            self._renewed_for = generation
            await self.load(force=True)
            return generation != self.generation


async def build_credentials(
    target: KubeTarget, stderr: TextIO | None = None, *, may_prompt: bool = True
) -> Credentials:
    """The credentials of a resolved context (runs an exec plugin once; may raise KubeconfigError).

    An exec plugin's own messages (login prompts) are copied to ``stderr`` as it writes them;
    ``may_prompt=False`` keeps it from the terminal even when stdin is one.
    """
    if target.exec_config is not None or target.auth_provider is not None:
        loader = LoaderCredentials(target, stderr=stderr, may_prompt=may_prompt)
        await loader.load()
        return loader
    if target.token_file:
        # The file wins over a token beside it, which serves only while the file cannot be read.
        file_creds = TokenFileCredentials(
            target.token_file, f"token file {target.token_file}", fallback=target.token
        )
        file_creds.load()
        return file_creds
    if target.token:
        return Credentials(f"Bearer {target.token}", "bearer token")
    if target.username is not None and target.password is not None:
        basic = base64.b64encode(f"{target.username}:{target.password}".encode()).decode()
        return Credentials(f"Basic {basic}", f"basic auth as {target.username}")
    return Credentials(None, "client certificate" if target.cert_file or target.cert_data else "anonymous")
