"""Run an exec credential plugin (``users[].user.exec``) the way client-go does for kubectl.

Why not kubernetes_asyncio's ``ExecProvider``: it captures the plugin's stderr and shows it
only if the plugin fails, so a login prompt ("open this URL and enter the code ...") stays
invisible while the plugin waits for the user, and pystern seems to hang.  It also tells
the plugin it is interactive when *stdout* is a terminal; client-go asks stdin, so
``pystern . | grep x`` could not log in where ``kubectl logs ... | grep x`` can.

Here, as in client-go: the plugin's stderr goes to the user as it is written; stdin is
handed over only when the plugin may be interactive (``interactiveMode``: ``Never``,
``IfAvailable`` — the default — or ``Always``, which needs a terminal); ``env`` entries
are added to our environment; ``provideClusterInfo`` passes the cluster in
``KUBERNETES_EXEC_INFO``; the answer must be an ``ExecCredential`` of the same apiVersion.
Beyond client-go, which serves one context: plugins that may use the terminal run one at
a time, so the logins of ``--context a,b`` do not prompt at once.
"""

from __future__ import annotations

import asyncio
import base64
import codecs
import contextlib
import json
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from pystern.errors import KubeconfigError, shorten
from pystern.kube.kubeconfig import EXEC_EXTENSION, KubeTarget
from pystern.kube.kubeconfigfiles import yaml_kind
from pystern.timefmt import parse_rfc3339_ns

__all__ = ["ExecPlugin", "ExecResult"]

STDERR_KEPT = 4096
STDOUT_LIMIT = 16 * 1024 * 1024
"""Bytes of a plugin's stdout read at most; past them it is stopped and the run with it."""
API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
"""What client-go still speaks to a credential plugin (v1alpha1 went in Kubernetes 1.24)."""
"""Bytes of the plugin's stderr kept to quote when it fails."""


@dataclass(frozen=True, slots=True)
class ExecResult:
    """What a plugin answered."""

    token: str | None
    cert: bytes | None
    """PEM client certificate (``clientCertificateData``)."""
    key: bytes | None
    expiry: float | None
    """``expirationTimestamp`` as Unix seconds; None: valid until a 401."""


_TERMINAL_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _terminal_lock() -> asyncio.Lock:
    """The running loop's lock for plugins that may use the terminal (one per loop: locks bind to one)."""
    loop = asyncio.get_running_loop()
    lock = _TERMINAL_LOCKS.get(loop)
    if lock is None:
        lock = _TERMINAL_LOCKS[loop] = asyncio.Lock()
    return lock


def _stdin_isatty() -> bool:
    try:
        return os.isatty(0)
    except OSError:
        return False


class ExecPlugin:
    """One ``exec`` section, ready to run as often as its credential needs renewing."""

    def __init__(
        self,
        target: KubeTarget,
        what: str,
        stderr: TextIO | None,
        stdin_isatty: Callable[[], bool] = _stdin_isatty,
        *,
        may_prompt: bool = True,
    ) -> None:
        config = dict(target.exec_config or {})
        self._what = what
        self._stderr = stderr
        self._stdin_isatty = stdin_isatty
        self._may_prompt = may_prompt
        """False where the terminal belongs to someone else (a shell completion callback)."""
        self.command = str(config.get("command") or "")
        self.api_version = config.get("apiVersion")
        if not isinstance(self.api_version, str) or not self.api_version:
            raise KubeconfigError(f"{what} needs an apiVersion (client.authentication.k8s.io/v1 or v1beta1)")
        args = config.get("args") or []
        if not isinstance(args, list) or not all(isinstance(a, str | int | float) for a in args):
            raise KubeconfigError(f"{what}: args must be a list of strings")
        self.args = [str(a) for a in args]
        self.env = dict(os.environ)
        for item in config.get("env") or []:
            if not (isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]):
                raise KubeconfigError(f"{what}: every env entry needs a name and a value")
            self.env[item["name"]] = str(item.get("value") if item.get("value") is not None else "")
        # The OS cannot take these: the stdlib raised ValueError (an 'internal error'), and uvloop
        # cut the command at the NUL, so "tr\0ue" ran `tr`.
        if "\0" in self.command:
            raise KubeconfigError(f"{what}: command holds a NUL character")
        if any("\0" in a for a in self.args):
            raise KubeconfigError(f"{what}: args hold a NUL character")
        for name, value in self.env.items():
            if "\0" in name or "\0" in value:
                raise KubeconfigError(f"{what}: env holds a NUL character")
            if "=" in name:
                raise KubeconfigError(f"{what}: env name {shorten(name, 30)!r} holds '='")
        if self.api_version not in API_VERSIONS:
            raise KubeconfigError(
                f"{what}: apiVersion {shorten(self.api_version, 60)!r} is not {API_VERSIONS[0]} or v1beta1"
            )
        # client-go (clientcmd's defaults and validation) fills in IfAvailable for v1beta1 only:
        # a v1 plugin must say whether it wants the terminal, and kubectl refuses one that does not.
        if not config.get("interactiveMode") and self.api_version == API_VERSIONS[0]:
            raise KubeconfigError(
                f"{what}: interactiveMode must be specified"
                f" ({API_VERSIONS[0]} has no default: Never, IfAvailable or Always)"
            )
        self.mode = config.get("interactiveMode") or "IfAvailable"
        if self.mode not in ("Never", "IfAvailable", "Always"):
            raise KubeconfigError(
                f"{what}: interactiveMode {shorten(self.mode, 30)!r} is not Never, IfAvailable or Always"
            )
        self.install_hint = " ".join(str(config.get("installHint") or "").split())
        provide = config.get("provideClusterInfo")
        if provide is not None and not isinstance(provide, bool):
            raise KubeconfigError(
                f"{what}: provideClusterInfo must be true or false, not {yaml_kind(provide)}"
            )
        self.cluster = _cluster_info(target) if provide is True else None
        try:
            # The cluster's exec extension is free-form YAML: a date, a non-string key or a
            # self-referencing anchor must be one error line here, not a traceback at run time.
            self._exec_info(False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise KubeconfigError(
                f"{what}: the cluster's {EXEC_EXTENSION} extension cannot be passed to it as JSON"
            ) from exc

    def _exec_info(self, interactive: bool) -> str:
        spec: dict[str, Any] = {"interactive": interactive}
        if self.cluster is not None:
            spec["cluster"] = self.cluster
        info = {"kind": "ExecCredential", "apiVersion": self.api_version, "spec": spec}
        return json.dumps(info, default=str)  # default: YAML dates in the exec extension

    async def run(self) -> ExecResult:
        """Run the plugin once; raises ``KubeconfigError`` with one line when it fails."""
        interactive = self.mode != "Never" and self._may_prompt and self._stdin_isatty()
        if self.mode == "Always" and not interactive:
            raise KubeconfigError(
                f"{self._what} needs a terminal on standard input (interactiveMode: Always)"
            )
        if not interactive:
            return await self._run(interactive)
        # One plugin at a time may talk with the terminal: `--context a,b` connects to both
        # clusters at once, and two login prompts would interleave and share the typing.
        async with _terminal_lock():
            return await self._run(interactive)

    async def _run(self, interactive: bool) -> ExecResult:
        env = {**self.env, "KUBERNETES_EXEC_INFO": self._exec_info(interactive)}
        try:
            proc = await asyncio.create_subprocess_exec(
                self.command,
                *self.args,
                env=env,
                stdin=None if interactive else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except FileNotFoundError as exc:
            hint = f" ({shorten(self.install_hint, 300)})" if self.install_hint else ""
            raise KubeconfigError(f"{self._what} was not found{hint}") from exc
        except PermissionError as exc:
            raise KubeconfigError(f"{self._what} cannot be run: permission denied") from exc
        except OSError as exc:
            raise KubeconfigError(f"{self._what} cannot be run: {exc.strerror or exc}") from exc
        assert proc.stdout is not None
        assert proc.stderr is not None
        forward = asyncio.create_task(self._forward(proc.stderr))
        try:
            out = await self._read_stdout(proc.stdout)
            err_tail = await forward
            code = await proc.wait()
        finally:
            if proc.returncode is None:  # cancelled (Ctrl-C) or too much output: the plugin goes
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
            if not forward.done():
                forward.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await forward
        if code != 0:
            last = err_tail.decode("utf-8", "replace").strip().splitlines()
            said = f": {shorten(last[-1], 200)}" if last else ""
            raise KubeconfigError(f"{self._what} failed with exit code {code}{said}")
        return self._parse(out)

    async def _read_stdout(self, pipe: asyncio.StreamReader) -> bytes:
        """The plugin's stdout, refused past ``STDOUT_LIMIT``.

        A plugin that never stops printing (a wrong command such as ``yes``) filled memory until
        MemoryError, an internal error, or until the kernel killed pystern.
        """
        chunks: list[bytes] = []
        size = 0
        while chunk := await pipe.read(65536):
            size += len(chunk)
            if size > STDOUT_LIMIT:
                raise KubeconfigError(
                    f"{self._what} printed more than {STDOUT_LIMIT // (1024 * 1024)} MiB on stdout "
                    "(an ExecCredential is a few kilobytes)"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def _forward(self, pipe: asyncio.StreamReader) -> bytes:
        """Copy the plugin's stderr to ours as it comes (prompts need no newline); keep its tail."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        kept = b""
        while chunk := await pipe.read(4096):
            kept = (kept + chunk)[-STDERR_KEPT:]
            if self._stderr is not None:
                with contextlib.suppress(OSError, ValueError):
                    self._stderr.write(decoder.decode(chunk))
                    self._stderr.flush()
        return kept

    def _parse(self, out: bytes) -> ExecResult:
        what = self._what
        try:
            doc = json.loads(out)
        except ValueError:
            first = out.decode("utf-8", "replace").strip().split("\n", 1)[0]
            shown = f" (it printed {shorten(first, 60)!r})" if first else " (it printed nothing)"
            raise KubeconfigError(f"{what} printed no ExecCredential JSON on stdout{shown}") from None
        except RecursionError:
            deep = f"{what} printed JSON that nests too deeply to be an ExecCredential"
            raise KubeconfigError(deep) from None
        if not isinstance(doc, dict) or doc.get("kind") != "ExecCredential":
            raise KubeconfigError(f"{what} printed JSON that is not an ExecCredential")
        if doc.get("apiVersion") != self.api_version:
            raise KubeconfigError(
                f"{what} answered with apiVersion {shorten(doc.get('apiVersion'), 60)!r}, "
                f"but the kubeconfig asks for {shorten(self.api_version, 60)!r}"
            )
        status = doc.get("status")
        if not isinstance(status, dict):
            status = {}
        token = status.get("token") if isinstance(status.get("token"), str) and status["token"] else None
        cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
        if bool(cert) != bool(key) or not isinstance(cert or "", str) or not isinstance(key or "", str):
            raise KubeconfigError(f"{what} must return clientCertificateData and clientKeyData together")
        if token is None and not cert:
            raise KubeconfigError(f"{what} returned neither a token nor a client certificate")
        expiry: float | None = None
        stamp = status.get("expirationTimestamp")
        if stamp:
            try:
                expiry = parse_rfc3339_ns(str(stamp)) / 1e9
            except ValueError:
                raise KubeconfigError(
                    f"{what} returned an invalid expirationTimestamp {shorten(stamp, 40)!r}"
                ) from None
        return ExecResult(
            token=token,
            cert=cert.encode() if cert else None,
            key=key.encode() if key else None,
            expiry=expiry,
        )


def _cluster_info(target: KubeTarget) -> dict[str, Any]:
    """``spec.cluster`` of ``KUBERNETES_EXEC_INFO`` for ``provideClusterInfo: true``."""
    info: dict[str, Any] = {"server": target.server}
    if target.tls_server_name:
        info["tls-server-name"] = target.tls_server_name
    if target.insecure:
        info["insecure-skip-tls-verify"] = True
    ca = target.ca_data
    if ca is None and target.ca_file:
        with contextlib.suppress(OSError), open(target.ca_file, "rb") as f:
            ca = f.read()
    if ca:
        info["certificate-authority-data"] = base64.b64encode(ca).decode()
    if target.proxy_url:
        info["proxy-url"] = target.proxy_url
    if target.disable_compression:
        info["disable-compression"] = True
    if target.exec_cluster_config is not None:
        info["config"] = target.exec_cluster_config
    return info
