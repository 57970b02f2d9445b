"""Resolve a context of the merged kubeconfig the way kubectl does (stdlib only).

Why our own loader instead of kubernetes_asyncio's ``KubeConfigMerger``:

* kubectl lets the *first* file of ``$KUBECONFIG`` that sets ``current-context`` win;
  kubernetes_asyncio lets the last one win, and freezes ``$KUBECONFIG`` at import time
  (finding and merging the files is :mod:`pystern.kube.kubeconfigfiles`).
* stern's hidden kube flags (``--server``, ``--token``, ``--cluster``, ``--user``, ...)
  override single fields of the selected entries, which needs the entries as data.
* Plain token / client-certificate users need no kubernetes_asyncio at all, which saves
  its 0.3-0.4 s import on every start.  Users with ``exec`` or ``auth-provider`` are
  handed to kubernetes_asyncio's ``KubeConfigLoader`` (see ``credentials``).

Every problem is a ``KubeconfigError`` with one line naming the file or entry.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from pystern.errors import KubeconfigError, shorten
from pystern.kube.kubeconfigfiles import find_kubeconfig_files, load_merged, yaml_kind
from pystern.options import Connection

__all__ = ["IN_CLUSTER_DIR", "KubeTarget", "header_trouble", "resolve"]

IN_CLUSTER_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True, slots=True)
class KubeTarget:
    """One resolved context: where the server is and how to authenticate (overrides applied)."""

    context: str
    """Context name ("" when flags alone describe the cluster)."""
    namespace: str
    server: str
    cluster_name: str = ""
    user_name: str = ""
    ca_file: str | None = None
    ca_data: bytes | None = None
    insecure: bool = False
    tls_server_name: str | None = None
    disable_compression: bool = False
    """Send no ``Accept-Encoding`` (``--disable-compression`` or the cluster's ``disable-compression``)."""
    proxy_url: str | None = None
    cert_file: str | None = None
    cert_data: bytes | None = None
    key_file: str | None = None
    key_data: bytes | None = None
    token: str | None = None
    token_file: str | None = None
    username: str | None = None
    password: str | None = None
    exec_config: Mapping[str, Any] | None = None
    exec_cluster_config: Any = None
    """The cluster's ``client.authentication.k8s.io/exec`` extension: ``spec.cluster.config`` for plugins."""
    auth_provider: Mapping[str, Any] | None = None
    impersonate: tuple[tuple[str, str], ...] = ()
    """``Impersonate-*`` headers from the user's ``as``, ``as-uid``, ``as-groups`` and ``as-user-extra``."""
    sources: tuple[str, ...] = ()
    """Kubeconfig files that were read (empty for flags-only or in-cluster)."""
    in_cluster: bool = False


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str | bytes):
        raise KubeconfigError(f"{what} must be a base64 string")
    # Go's base64 decoder skips line breaks: `base64` wraps its output at 76 columns, and such
    # data pasted into a YAML block is read by kubectl.
    if isinstance(value, str):
        value = value.replace("\r", "").replace("\n", "")
    else:
        value = value.replace(b"\r", b"").replace(b"\n", b"")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KubeconfigError(f"{what} is not valid base64") from exc


def _readable(path: str, what: str) -> str:
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise KubeconfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except ValueError:  # open() refuses a NUL; it reached the user as an internal error
        raise KubeconfigError(f"cannot read {what} {path}: the path holds a NUL character") from None
    return path


_CLUSTER_TEXT = (
    "server",
    "certificate-authority",
    "certificate-authority-data",
    "tls-server-name",
    "proxy-url",
)
_CLUSTER_BOOLS = ("insecure-skip-tls-verify", "disable-compression")
_USER_TEXT: tuple[str, ...] = (
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
)
_USER_TEXT += ("token", "tokenFile", "username", "password")


def _check_types(
    section: Mapping[str, Any], text: tuple[str, ...], bools: tuple[str, ...], label: str
) -> None:
    """Refuse a field of the wrong YAML type, as kubectl's strict decoding does.

    Ignored, they misled: ``token: 123456`` gave 'Unauthorized', a numeric CA path an untrusted
    certificate, a quoted ``"yes"`` for insecure-skip-tls-verify turned verification on.
    """
    for key in text:
        value = section.get(key)
        if value is not None and not isinstance(value, str):
            raise KubeconfigError(f"{key} of {label} must be a string, not {yaml_kind(value)}")
    for key in bools:
        if section.get(key) not in (None, True, False, "true", "false", "True", "False"):
            raise KubeconfigError(f"{key} of {label} must be true or false")


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _in_cluster(env: Mapping[str, str]) -> KubeTarget | None:
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    token_file = IN_CLUSTER_DIR / "token"
    if not host or not port or not token_file.is_file():
        return None
    if ":" in host:
        host = f"[{host}]"
    ns_file = IN_CLUSTER_DIR / "namespace"
    # client-go's order: $POD_NAMESPACE (set from the downward API) before the account's namespace.
    namespace = env.get("POD_NAMESPACE") or (ns_file.read_text().strip() if ns_file.is_file() else "default")
    ca = IN_CLUSTER_DIR / "ca.crt"
    return KubeTarget(
        context="",
        namespace=namespace or "default",
        server=f"https://{host}:{port}",
        ca_file=str(ca) if ca.is_file() else None,
        token_file=str(token_file),
        in_cluster=True,
    )


def resolve(
    connection: Connection, context: str | None = None, environ: Mapping[str, str] | None = None
) -> KubeTarget:
    """Select a context and apply the command-line overrides (kubectl's precedence).

    ``context`` wins over ``connection.contexts[0]``, which wins over ``current-context``.
    With ``--server`` no kubeconfig is needed at all.
    """
    env = os.environ if environ is None else environ
    paths = find_kubeconfig_files(connection, env)
    merged = load_merged(paths)
    sources = tuple(str(p) for p in paths)
    wanted = context or (connection.contexts[0] if connection.contexts else "") or merged["current-context"]

    if not paths and not connection.server:
        found = _in_cluster(env)
        if found is not None:
            return found
        where = env.get("KUBECONFIG") or "~/.kube/config"
        raise KubeconfigError(
            f"no kubeconfig found ({where}); set KUBECONFIG, pass --kubeconfig, or give --server"
        )

    ctx: dict[str, Any] = {}
    if wanted:
        if wanted not in merged["contexts"]:
            names = ", ".join(merged["contexts"]) or "none"
            raise KubeconfigError(
                f'context "{shorten(wanted)}" does not exist in the kubeconfig (known: {shorten(names, 300)})'
            )
        ctx = merged["contexts"][wanted]
    elif not (connection.server or connection.cluster):
        raise KubeconfigError(
            "the kubeconfig sets no current-context; choose one with --context "
            "(or `kubectl config use-context NAME`)"
        )

    cluster_name = connection.cluster or _str_or_none(ctx.get("cluster")) or ""
    user_name = connection.user or _str_or_none(ctx.get("user")) or ""
    cluster: dict[str, Any] = {}
    if cluster_name:
        if cluster_name not in merged["clusters"]:
            if not connection.server:
                raise KubeconfigError(
                    f'cluster "{shorten(cluster_name)}" (of context "{shorten(wanted)}") '
                    "does not exist in the kubeconfig"
                )
        else:
            cluster = dict(merged["clusters"][cluster_name])
    user: dict[str, Any] = {}
    if user_name:
        if user_name not in merged["users"]:
            if connection.user:
                raise KubeconfigError(f'user "{shorten(user_name)}" does not exist in the kubeconfig')
            # kubectl treats a context naming an absent user as anonymous; so do we.
        else:
            user = dict(merged["users"][user_name])

    # Command-line overrides, field by field (clientcmd's ConfigOverrides).
    if connection.server:
        cluster["server"] = connection.server
    if connection.certificate_authority:
        cluster["certificate-authority"] = os.path.expanduser(connection.certificate_authority)
        cluster.pop("certificate-authority-data", None)
        # clientcmd replaces the cluster's CA and its insecure-skip-tls-verify together.
        cluster.pop("insecure-skip-tls-verify", None)
    if connection.insecure_skip_tls_verify:
        cluster["insecure-skip-tls-verify"] = True
        cluster.pop("certificate-authority", None)
        cluster.pop("certificate-authority-data", None)
    if connection.token:
        for key in ("exec", "auth-provider", "tokenFile", "username", "password"):
            user.pop(key, None)
        user["token"] = connection.token
    if connection.client_certificate:
        user["client-certificate"] = os.path.expanduser(connection.client_certificate)
        user.pop("client-certificate-data", None)
    if connection.client_key:
        user["client-key"] = os.path.expanduser(connection.client_key)
        user.pop("client-key-data", None)
    # --as, --as-group and --as-uid replace single fields, as kubectl's overrides do: --as alone keeps the
    # kubeconfig's as-groups.
    for key, value in (
        ("as", connection.impersonate_user),
        ("as-groups", list(connection.impersonate_groups)),
        ("as-uid", connection.impersonate_uid),
    ):
        if value:
            user[key] = value
    if connection.tls_server_name or connection.server:
        # clientcmd: the kubeconfig's tls-server-name belongs to its server URL, so --server drops it.
        cluster.pop("tls-server-name", None)
    if connection.tls_server_name:
        cluster["tls-server-name"] = connection.tls_server_name

    label = f'cluster "{cluster_name}"' if cluster_name else "the cluster"
    ulabel = f'user "{user_name}"' if user_name else "the user"
    _check_types(cluster, _CLUSTER_TEXT, _CLUSTER_BOOLS, label)
    _check_types(user, _USER_TEXT, (), ulabel)
    _check_types(ctx, ("cluster", "user", "namespace"), (), f'context "{shorten(wanted)}"')
    server = _str_or_none(cluster.get("server"))
    if server is None:
        raise KubeconfigError(f"{label} has no server defined")
    server, url_login = _server_url(server, "--server" if connection.server else label)

    ca_file = ca_data = None
    if cluster.get("certificate-authority-data"):
        ca_data = _b64(cluster["certificate-authority-data"], f"certificate-authority-data of {label}")
    elif _str_or_none(cluster.get("certificate-authority")):
        ca_file = _readable(cluster["certificate-authority"], f"certificate-authority of {label}")
    insecure = cluster.get("insecure-skip-tls-verify") in (True, "true", "True")
    if insecure and connection.certificate_authority:
        raise KubeconfigError(
            "--certificate-authority and --insecure-skip-tls-verify cannot be used together"
        )
    if insecure and (ca_file or ca_data):
        # client-go refuses this pair; pystern silently skipped the check the CA was there for.
        raise KubeconfigError(
            f"{label} sets insecure-skip-tls-verify beside a certificate-authority; "
            "kubectl refuses the pair: remove one of them"
        )

    cert_file = cert_data = key_file = key_data = None
    if user.get("client-certificate-data"):
        cert_data = _b64(user["client-certificate-data"], f"client-certificate-data of {ulabel}")
    elif _str_or_none(user.get("client-certificate")):
        cert_file = _readable(user["client-certificate"], f"client-certificate of {ulabel}")
    if user.get("client-key-data"):
        key_data = _b64(user["client-key-data"], f"client-key-data of {ulabel}")
    elif _str_or_none(user.get("client-key")):
        key_file = _readable(user["client-key"], f"client-key of {ulabel}")
    if (cert_file or cert_data) and not (key_file or key_data):
        raise KubeconfigError(f"{ulabel} has a client certificate but no client key")
    token_file = _str_or_none(user.get("tokenFile"))
    if token_file and not _str_or_none(user.get("token")):
        _readable(token_file, f"tokenFile of {ulabel}")
    exec_config = user.get("exec")
    command = exec_config.get("command") if isinstance(exec_config, dict) else None
    if exec_config is not None and not (isinstance(command, str) and command):
        # A list is a common slip (the command and its arguments in one place, as in a Pod spec).
        raise KubeconfigError(f"exec of {ulabel} needs a command (a string; arguments go in args)")
    provider = user.get("auth-provider")
    if provider is not None and not (isinstance(provider, dict) and provider.get("name")):
        raise KubeconfigError(f"auth-provider of {ulabel} needs a name")

    impersonate = _impersonation(user, ulabel)
    username = _str_or_none(user.get("username"))
    password = _str_or_none(user.get("password"))
    authorized = any(user.get(key) for key in ("token", "tokenFile", "exec", "auth-provider"))
    if url_login is not None and not (authorized or username is not None or password is not None):
        # Go's HTTP client sends a URL's user:password as basic auth when nothing else sets the
        # Authorization header; beside one, aiohttp refused the URL (an internal error).
        username, password = url_login
    token = _str_or_none(user.get("token"))
    if (token and (username or password)) or (token_file and username):
        # kubectl refuses both ("only one is allowed"); pystern used the token and ignored the rest.
        raise KubeconfigError(
            f"{ulabel} has both a token and a username/password; kubectl allows only one of them"
        )
    if exec_config is not None and provider is not None:
        raise KubeconfigError(f"{ulabel} has both exec and auth-provider; kubectl allows only one of them")
    if username is None:
        password = None  # client-go sends basic auth only with a username (HasBasicAuth)...
    elif password is None:
        password = ""  # ...and then with the password it has, none being an empty one
    if token or token_file or (username is not None and password is not None):
        # client-go's exec and auth-provider round trippers step aside for a request that already
        # carries an Authorization header: beside a token or basic auth, kubectl never runs them.
        exec_config = provider = None
    if provider is not None and provider["name"] not in ("oidc", "gcp"):
        raise KubeconfigError(_unknown_provider(str(provider["name"]), ulabel))
    namespace = _str_or_none(ctx.get("namespace")) or "default"
    return KubeTarget(
        context=wanted if ctx else "",
        namespace=namespace,
        server=server,
        cluster_name=cluster_name,
        user_name=user_name,
        ca_file=ca_file,
        ca_data=ca_data,
        insecure=insecure,
        tls_server_name=_tls_server_name(
            _str_or_none(cluster.get("tls-server-name")),
            ("--tls-server-name", "") if connection.tls_server_name else ("tls-server-name", f" of {label}"),
        ),
        disable_compression=connection.disable_compression
        or cluster.get("disable-compression") in (True, "true", "True"),
        proxy_url=_str_or_none(cluster.get("proxy-url")),
        cert_file=cert_file,
        cert_data=cert_data,
        key_file=key_file,
        key_data=key_data,
        token=_str_or_none(user.get("token")),
        token_file=token_file,
        username=username,
        password=password,
        exec_config=exec_config,
        exec_cluster_config=_exec_extension(cluster) if exec_config is not None else None,
        auth_provider=provider,
        impersonate=impersonate,
        sources=sources,
    )


EXEC_EXTENSION = "client.authentication.k8s.io/exec"


def _exec_extension(cluster: Mapping[str, Any]) -> Any:
    """The cluster's extension for exec plugins (client-go passes it as ``spec.cluster.config``)."""
    extensions = cluster.get("extensions")
    if not isinstance(extensions, list):
        return None
    for item in extensions:
        if isinstance(item, dict) and item.get("name") == EXEC_EXTENSION:
            return item.get("extension")
    return None


_IMPERSONATION_FIELDS = {
    "Impersonate-User": "as",
    "Impersonate-Uid": "as-uid",
    "Impersonate-Group": "as-groups",
}


def _impersonation(user: Mapping[str, Any], ulabel: str) -> tuple[tuple[str, str], ...]:
    """The ``Impersonate-*`` headers client-go sends for a user's ``as*`` fields."""
    headers: list[tuple[str, str]] = []
    for key, header in (("as", "Impersonate-User"), ("as-uid", "Impersonate-Uid")):
        value = user.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise KubeconfigError(f"{key} of {ulabel} must be a string")
        headers.append((header, value))
    groups = user.get("as-groups")
    if groups is not None:
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise KubeconfigError(f"as-groups of {ulabel} must be a list of strings")
        headers.extend(("Impersonate-Group", g) for g in groups)
    extra = user.get("as-user-extra")
    if extra is not None:
        if not isinstance(extra, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(i, str) for i in v)
            for k, v in extra.items()
        ):
            raise KubeconfigError(f"as-user-extra of {ulabel} must map names to lists of strings")
        for key, values in extra.items():
            # Header names cannot carry every character of an extra's key: client-go escapes them.
            headers.extend((f"Impersonate-Extra-{quote(key, safe='')}", v) for v in values)
    for name, value in headers:
        trouble = header_trouble(value)
        if trouble:
            field = _IMPERSONATION_FIELDS.get(name, "as-user-extra")
            # aiohttp refuses such a header with a ValueError (kubectl: 'invalid header field value').
            raise KubeconfigError(f"{field} of {ulabel} holds {trouble}, which an HTTP header cannot carry")
    if headers and headers[0][0] != "Impersonate-User":
        # The API server refuses these without a user to act as; kubectl stops before sending them.
        raise KubeconfigError(
            f"{ulabel} impersonates groups, a UID or extra fields but no user: set its as (or --as)"
        )
    return tuple(headers)


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def header_trouble(value: str) -> str:
    """What in ``value`` an HTTP header cannot carry, in a user's words; "" when it can be sent.

    Go's net/http (and aiohttp) refuse every control character but the tab; aiohttp's
    ValueError for one reached the user as an internal error.
    """
    if any(c in value for c in "\r\n\0"):
        return "a line break or a NUL character"
    return "a control character" if _CONTROL.search(value) else ""


def _unknown_provider(name: str, ulabel: str) -> str:
    """Why an auth-provider other than oidc and gcp cannot run (it did nothing, then "returned neither a
    token nor a client certificate"); kubectl: 'no Auth Provider found', or 'has been removed'."""
    what = f'auth-provider "{shorten(name, 40)}" of {ulabel}'
    if name == "azure":
        return f"{what} has been removed from kubectl; use the kubelogin credential plugin (exec) instead"
    return f"{what} is not known: pystern, like kubectl, runs the oidc auth-provider (and gcp)"


def idna_reason(exc: UnicodeError) -> str:
    """Why the idna codec refused a host name: the inner part of "encoding with 'idna' codec failed
    (UnicodeError: label empty or too long)"."""
    return str(exc).rpartition("UnicodeError: ")[2].rstrip(")") or "not a valid host name"


def _tls_server_name(name: str | None, where: tuple[str, str]) -> str | None:
    """The name to check the server's certificate against, refused here if TLS cannot send it.

    The ssl module encodes it with the idna codec during the handshake: a NUL, an empty part
    (``a..b``) or one over 63 characters failed there, and uvloop printed the traceback on
    stderr before pystern's own 'internal error' line.
    """
    if name is None:
        return None
    reason = "it holds a NUL character" if "\0" in name else None
    if reason is None:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            try:
                name.encode("idna")
            except UnicodeError as exc:
                reason = idna_reason(exc)
    if reason is not None:
        field, owner = where
        raise KubeconfigError(f'{field} "{shorten(name)}"{owner} is not a valid host name ({reason})')
    return name


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def _server_url(server: str, label: str) -> tuple[str, tuple[str, str] | None]:
    """The server as an http(s) URL, and the ``user:password`` it held (taken out of the URL).

    A bare ``host:port`` gets ``http://``, as kubectl 1.27-1.33 give it (``kubectl proxy`` serves
    plain HTTP on ``localhost:8001``).  Any other scheme (``ftp://x``)
    is an error naming it, not a URL like ``https://ftp://x``; so is a URL with no host or one
    that does not parse (``https://[::1``, a port past 65535), which used to surface as an
    internal error or a connection to a host named "https".  The login is kept out of the URL
    so that no error message or log line shows the password.
    """
    if server != server.strip():
        # Go's url.Parse refuses it too; " https://x" became a connection to a host named " https".
        raise KubeconfigError(
            f'the server URL "{shorten(server)}" of {label} is not a valid URL (it has white space around it)'
        )
    match = _SCHEME.match(server)
    if match is None:
        # client-go decides on TLS from the host alone (IsConfigTransportTLS, before it has read the
        # CA or the user): without a scheme that is plain HTTP, whatever the TLS settings say.
        url = "http://" + server.rstrip("/")
    else:
        scheme = match.group(1).lower()
        if scheme not in ("https", "http"):
            raise KubeconfigError(
                f'unsupported scheme "{shorten(match.group(1), 20)}" in the server URL "{shorten(server)}" '
                f"of {label}; use https:// (or http://)"
            )
        url = scheme + server[len(scheme) :].rstrip("/")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        # Go refuses them ("invalid control character in URL"); urlsplit silently drops a tab or a
        # line break, so "https://a\tb" went to a host named "ab".
        raise KubeconfigError(
            f'the server URL "{shorten(server)}" of {label} is not a valid URL (a control character)'
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError as exc:
        raise KubeconfigError(
            f'the server URL "{shorten(server)}" of {label} is not a valid URL ({exc})'
        ) from None
    if not parts.hostname:
        raise KubeconfigError(f'the server URL "{shorten(server)}" of {label} has no host')
    if " " in parts.netloc.rpartition("@")[2]:
        # Go's url.Parse refuses it ("invalid character in host name"); pystern looked the name up.
        raise KubeconfigError(
            f'the server URL "{shorten(server)}" of {label} is not a valid URL (a space in its host)'
        )
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        # client-go builds each request's URL from the server's host and path only; kept, a query
        # ended up inside every API path ("https://h?x=1/api/v1/...": 404 Not Found).
        parts = parts._replace(query="", fragment="")
        url = urlunsplit(parts).rstrip("/")
    if "@" not in parts.netloc:
        return url, None
    login = (unquote(parts.username or ""), unquote(parts.password or ""))
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])).rstrip("/"), login
