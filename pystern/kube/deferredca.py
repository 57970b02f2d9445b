"""Import aiohttp without the two loads of the system CA bundle it makes at import time.

When it is imported, aiohttp builds two default TLS contexts, and each loads the system CA
bundle: about 70 ms on our machines, a fifth of pystern's time to its first line.  pystern's
own requests never use them: each carries its own context (``sockets.build_ssl_context``)
or none (plain HTTP).  So during the import the loads are recorded instead of done, and
``load_deferred_certs()`` does them before anything that may use aiohttp's defaults runs
(kubernetes_asyncio's credential plugins and OIDC refresh, see ``credentials``).  Until
then those two contexts trust no CA at all: a mistaken use fails verification, it never
skips it.  If aiohttp was imported before (the sandbox, tests), nothing is deferred.
"""

from __future__ import annotations

import ssl
import sys
import threading

__all__ = ["aiohttp", "load_deferred_certs"]

_deferred: list[ssl.SSLContext] = []


def _import_aiohttp_deferring_ca_loads() -> None:
    if "aiohttp" in sys.modules:
        return
    importer = threading.get_ident()
    own = ssl.SSLContext.__dict__.get("set_default_verify_paths")  # None: inherited from _ssl
    inherited = ssl.SSLContext.set_default_verify_paths

    def record(context: ssl.SSLContext) -> None:
        if threading.get_ident() != importer:
            inherited(context)  # another thread's context is loaded as usual
        else:
            _deferred.append(context)

    # ``SSLContext.load_default_certs`` ends in this C method on every platform but Windows,
    # where it also reads the system stores itself (untouched here).
    setattr(ssl.SSLContext, "set_default_verify_paths", record)  # noqa: B010 (mypy: a method)
    try:
        import aiohttp  # noqa: F401
    finally:
        if own is None:
            delattr(ssl.SSLContext, "set_default_verify_paths")  # the inherited method again
        else:
            setattr(ssl.SSLContext, "set_default_verify_paths", own)  # noqa: B010


def load_deferred_certs() -> None:
    """Load the system CA bundle into the contexts whose load was deferred (idempotent)."""
    while _deferred:
        _deferred.pop().set_default_verify_paths()


_import_aiohttp_deferring_ca_loads()

import aiohttp  # noqa: E402  (imported above with the loads deferred; this binds the name)
