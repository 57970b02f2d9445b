"""Which proxy a cluster's requests go through, chosen as client-go chooses it for kubectl.

The cluster's ``proxy-url`` wins; else ``HTTPS_PROXY`` / ``HTTP_PROXY`` by the server's
scheme (upper case before lower case), unless ``NO_PROXY`` names the host or the host is
localhost or a loopback address.  http://, https:// and socks5:// proxies are accepted, as by
Go (``socks`` runs the SOCKS5 ones); any other scheme is one clear error.  Messages never show
a proxy's password.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from pystern.errors import KubeconfigError, shorten
from pystern.kube.kubeconfig import KubeTarget

__all__ = ["choose_proxy", "shown_proxy"]


def _checked(proxy: str, where: Callable[[str], str]) -> str:
    """``proxy`` with a scheme; ``where(shown URL)`` names it in the error."""
    if "://" not in proxy:
        proxy = "http://" + proxy  # Go reads a bare host:port as an http proxy
    if proxy.split("://", 1)[0].lower() not in ("http", "https", "socks5"):
        shown = shorten(shown_proxy(proxy))
        raise KubeconfigError(
            f"{where(shown)}: pystern, like kubectl, can use only http://, https:// and socks5:// proxies"
        )
    # Go's url.Parse refuses these too; unchecked, they surfaced as an internal error, as a
    # fault blamed on the server URL, or (no host) as no proxy at all.
    try:
        url = urlsplit(proxy)
        url.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
        problem = "a space in its host" if any(c.isspace() for c in url.netloc) else ""
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in proxy):
            # urlsplit silently drops a tab or a line break; Go: "invalid control character in URL".
            problem = "a control character"
    except ValueError as exc:
        problem = str(exc)
    if problem:
        raise KubeconfigError(f"{where(shorten(shown_proxy(proxy)))} is not a valid URL ({problem})")
    if not url.hostname:
        raise KubeconfigError(f"{where(shorten(shown_proxy(proxy)))} has no host")
    return proxy


def _variable(environ: Mapping[str, str], name: str) -> tuple[str, str]:
    # Go's getEnvAny: the upper-case name first, then the lower-case one.
    for key in (name.upper(), name.lower()):
        if environ.get(key):
            return key, environ[key]
    return "", ""


def _host_and_port(entry: str) -> tuple[str, str]:
    """Split ``host:port`` / ``[v6]:port`` as Go's ``net.SplitHostPort``; ``(entry, "")`` if it fails."""
    if entry.startswith("["):
        inside, bracket, rest = entry[1:].partition("]")
        if bracket and rest.startswith(":") and "[" not in inside:
            return inside, rest[1:]
        return entry, ""
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, port
    return entry, ""


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """Go's NO_PROXY rules (golang.org/x/net/http/httpproxy), which kubectl follows.

    ``*`` alone; an IP or CIDR range; ``example.com`` (itself and its subdomains); ``.example.com``
    or ``*.example.com`` (subdomains only, not ``example.com``); each name or IP with an optional
    ``:port`` (``[v6]:port`` for IPv6) that must then equal the server's.
    """
    host = host.lower()
    wanted = str(port) if port is not None else ""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if "/" in entry:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                pass  # Go then reads it as a name, which a host name cannot match
            else:
                if ip is not None and ip in network:
                    return True
                continue
        name, entry_port = _host_and_port(entry)
        if not name:
            continue
        if entry_port and entry_port != wanted:
            continue
        try:
            entry_ip = ipaddress.ip_address(name)
        except ValueError:
            entry_ip = None
        if entry_ip is not None:
            if entry_ip == ip:
                return True
            continue
        if name.startswith("*."):
            name = name[1:]
        # A leading dot covers subdomains only; a bare name covers itself too.
        if host.endswith(name if name.startswith(".") else "." + name) or host == name:
            return True
    return False


def is_local(host: str) -> bool:
    """Whether ``host`` is localhost or a loopback address."""
    # Go never sends localhost or a loopback address through the environment's proxy: a
    # machine-wide HTTPS_PROXY must not break a kind/minikube cluster on 127.0.0.1.
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _from_environment(server: str, environ: Mapping[str, str]) -> str | None:
    url = urlsplit(server)
    name, proxy = _variable(environ, f"{url.scheme}_proxy")
    if not proxy or is_local(url.hostname or ""):
        return None
    port = url.port or (443 if url.scheme == "https" else 80)
    if _bypassed(url.hostname or "", port, _variable(environ, "no_proxy")[1]):
        return None
    return _checked(proxy, lambda shown: f'the proxy "{shown}" from ${name.upper()}')


def choose_proxy(target: KubeTarget, environ: Mapping[str, str] | None = None) -> str | None:
    """The proxy URL for ``target``'s server, or None to connect directly (may raise KubeconfigError)."""
    if target.proxy_url:
        where = f'cluster "{target.cluster_name}"' if target.cluster_name else "the cluster"
        return _checked(target.proxy_url, lambda shown: f'proxy-url "{shown}" of {where}')
    return _from_environment(target.server, os.environ if environ is None else environ)


def shown_proxy(proxy: str) -> str:
    """The proxy URL for messages: any ``user:password@`` is left out."""
    try:
        url = urlsplit(proxy)
    except ValueError:  # an unparsable URL: cut any credentials by hand
        scheme, sep, rest = proxy.rpartition("://")
        return f"{scheme}{sep}{rest.rpartition('@')[2]}"
    if url.username is None and url.password is None:
        return proxy
    return url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()
