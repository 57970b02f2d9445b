"""``Sandbox``: run the simulated API server on a real socket and describe it as a kubeconfig.

async with Sandbox.start() as sb:
    sb.cluster.add_pod("web")
    sb.write_kubeconfig(tmp_path / "kubeconfig")
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from pystern.sandbox.app import make_app
from pystern.sandbox.demo import run_scenario
from pystern.sandbox.workloads import ScenarioDriver

SCENARIOS = (None, "", "empty", "demo", "churn")


class Sandbox:
    """A running sandbox server; create it with :meth:`Sandbox.start`."""

    def __init__(self, cluster: ScenarioDriver, url: str, ca_pem: bytes | None, workdir: Path) -> None:
        self.cluster = cluster
        self.url = url
        self.ca_pem = ca_pem
        self._workdir = workdir
        self.ca_path: Path | None = None
        if ca_pem is not None:
            self.ca_path = workdir / "ca.pem"
            self.ca_path.write_bytes(ca_pem)
        self.kubeconfig_path: Path | None = None
        """Set by :meth:`write_kubeconfig` (the last path written)."""
        self.scenario_task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._ssl: ssl.SSLContext | None = None
        self._ca: Any = None
        self._bind = ("127.0.0.1", 0)

    @property
    def token(self) -> str:
        """The bearer token the server currently accepts."""
        return self.cluster.token

    def issue_client_cert(self, user: str) -> tuple[bytes, bytes]:
        """A client certificate (PEM) and its key that authenticate as ``user`` (TLS sandboxes only)."""
        if self._ca is None:
            raise ValueError("client certificates need a TLS sandbox (Sandbox.start(tls=True))")
        leaf = self._ca.issue_cert(common_name=user)
        return leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes()

    def server_tls_context(self, *names: str) -> ssl.SSLContext:
        """A server-side TLS context for ``names``, signed by the sandbox's CA (a proxy in front of it)."""
        if self._ca is None:
            raise ValueError("certificates need a TLS sandbox (Sandbox.start(tls=True))")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(*names).configure_cert(ctx)
        return ctx

    @property
    def host_port(self) -> str:
        """``127.0.0.1:PORT``."""
        return self.url.split("://", 1)[1]

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls,
        port: int = 0,
        tls: bool = False,
        token: str = "sandbox-token",
        scenario: str | None = None,
        host: str = "127.0.0.1",
    ) -> AsyncIterator[Sandbox]:
        """Serve until the block exits; ``scenario`` is ``"demo"``, ``"churn"`` or ``"empty"``/None."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r} (choose demo, churn or empty)")
        cluster = ScenarioDriver(token=token)
        app = make_app(cluster)
        ssl_ctx: ssl.SSLContext | None = None
        ca_pem: bytes | None = None
        ca: Any = None
        if tls:
            ssl_ctx, ca = _tls_context(host)
            ca_pem = ca.cert_pem.bytes()
        # handler_cancellation: a client that goes away cancels its watch / follow handler at once.
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=0.5, handler_cancellation=True
        )
        await runner.setup()
        with tempfile.TemporaryDirectory(prefix="pystern-sandbox-") as tmp:
            try:
                site = web.TCPSite(runner, host, port, ssl_context=ssl_ctx)
                await site.start()
                bound = runner.addresses[0]
                scheme = "https" if tls else "http"
                shown_host = f"[{host}]" if ":" in host else host
                sb = cls(cluster, f"{scheme}://{shown_host}:{bound[1]}", ca_pem, Path(tmp))
                sb._runner, sb._site, sb._ssl, sb._ca = runner, site, ssl_ctx, ca
                sb._bind = (host, int(bound[1]))
                if scenario not in (None, "", "empty"):
                    sb.scenario_task = asyncio.create_task(run_scenario(scenario, cluster))
                try:
                    yield sb
                finally:
                    if sb.scenario_task is not None:
                        sb.scenario_task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await sb.scenario_task
                    cluster.shutdown()
            finally:
                await runner.cleanup()

    async def stop_serving(self) -> None:
        """Simulate the API server going away: every connection is cut, new ones are refused."""
        self.cluster.break_log_streams("reset", mid_line=False)
        self.cluster.break_watches("reset")
        await asyncio.sleep(0)
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None and self._runner.server is not None:
            for handler in self._runner.server.connections:
                if handler.transport is not None:
                    handler.transport.abort()

    async def resume_serving(self) -> None:
        """Listen again on the same address and port after :meth:`stop_serving`."""
        if self._site is None and self._runner is not None:
            self._site = web.TCPSite(self._runner, self._bind[0], self._bind[1], ssl_context=self._ssl)
            await self._site.start()

    async def restart(self, down_for: float = 2.0) -> None:
        """An API server restart: connections cut, refused for ``down_for`` seconds, then back."""
        await self.stop_serving()
        await asyncio.sleep(down_for)
        await self.resume_serving()

    def kubeconfig_dict(self, context: str = "sandbox", namespace: str = "default") -> dict[str, Any]:
        """A complete kubeconfig (one cluster, user and context) for this server."""
        cluster: dict[str, Any] = {"server": self.url}
        if self.ca_pem is not None:
            cluster["certificate-authority-data"] = base64.b64encode(self.ca_pem).decode()
        ctx: dict[str, Any] = {"cluster": context, "user": context}
        if namespace:
            ctx["namespace"] = namespace
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": context, "user": {"token": self.token}}],
            "contexts": [{"name": context, "context": ctx}],
            "current-context": context,
            "preferences": {},
        }

    def write_kubeconfig(
        self, path: str | Path, context: str = "sandbox", namespace: str = "default"
    ) -> Path:
        """Write :meth:`kubeconfig_dict` as YAML (mode 0600) and return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(self.kubeconfig_dict(context, namespace), sort_keys=False))
        target.chmod(0o600)
        self.kubeconfig_path = target
        return target


def _tls_context(host: str) -> tuple[ssl.SSLContext, Any]:
    import trustme

    ca = trustme.CA()
    names = dict.fromkeys([host, "127.0.0.1", "localhost", "::1"])
    cert = ca.issue_cert(*names)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    # As the API server: a client certificate signed by the cluster CA authenticates its CN.
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ca.configure_trust(ctx)
    return ctx, ca
