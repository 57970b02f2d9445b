"""Credentials never travel over plain HTTP to another machine (kubectl's rule, with one exception).

client-go reads a user's token, basic auth, token file, exec plugin and auth-provider only when
the server is ``https://``; against ``http://`` kubectl sends its requests without them (the
impersonation headers still go).  pystern does the same and says so in one line, because the
server's "Unauthorized" alone would leave the user guessing.

The exception: a loopback server reached without a proxy (``http://127.0.0.1``, ``localhost``,
``::1``).  Bytes to it never leave the machine (browsers treat such origins as secure for the
same reason), and it is where local test servers, such as pystern's own sandbox and ``--demo``,
listen.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from typing import TextIO
from urllib.parse import urlsplit

from pystern.kube.kubeconfig import KubeTarget
from pystern.kube.proxy import choose_proxy, is_local

__all__ = ["without_credentials_over_http"]


def _has_credentials(target: KubeTarget) -> bool:
    return bool(
        target.token
        or target.token_file
        or target.username is not None
        or target.password is not None
        or target.exec_config is not None
        or target.auth_provider is not None
    )


def without_credentials_over_http(
    target: KubeTarget, stderr: TextIO | None, environ: Mapping[str, str] | None = None
) -> KubeTarget:
    """``target`` without its credentials when they would cross the network in clear text.

    Writes one warning line to ``stderr`` when it drops them.  May raise ``KubeconfigError``
    for a malformed proxy setting (as connecting would).
    """
    url = urlsplit(target.server)
    if url.scheme != "http" or not _has_credentials(target):
        return target
    if is_local(url.hostname or "") and choose_proxy(target, environ) is None:
        return target
    if stderr is not None:
        who = f'user "{target.user_name}"' if target.user_name else "the user"
        with contextlib.suppress(OSError, ValueError):
            stderr.write(
                f"pystern: warning: the credentials of {who} are not sent to {target.server}: it is plain "
                "HTTP (kubectl does not send them either); use an https:// server\n"
            )
    return dataclasses.replace(
        target,
        token=None,
        token_file=None,
        username=None,
        password=None,
        exec_config=None,
        auth_provider=None,
    )
