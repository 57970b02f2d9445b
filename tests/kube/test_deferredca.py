"""aiohttp imported by pystern.kube: its default TLS contexts get the CA bundle only when asked.

A fresh interpreter is needed: in the test process aiohttp is already imported (the sandbox).
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, ssl
import pystern.kube.cluster
import aiohttp.connector as connector
from pystern.kube.deferredca import load_deferred_certs

def cas(ctx):
    return ctx.cert_store_stats()["x509_ca"]

verified, unverified = connector._SSL_CONTEXT_VERIFIED, connector._SSL_CONTEXT_UNVERIFIED
before = [cas(verified), cas(unverified)]
load_deferred_certs()
after = [cas(verified), cas(unverified)]
load_deferred_certs()
print(json.dumps({
    "before": before,
    "after": after,
    "system": cas(ssl.create_default_context()),
    "verify_mode": int(verified.verify_mode),
    "patch_left": "set_default_verify_paths" in ssl.SSLContext.__dict__,
}))
"""


def test_the_ca_bundle_loads_are_deferred_and_replayed() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    seen = json.loads(out)
    # Deferred: no CA trusted yet, and the context still verifies (it fails closed, never open).
    assert seen["before"] == [0, 0]
    assert seen["verify_mode"] == 2  # ssl.CERT_REQUIRED
    # Replayed: the same trust store a default context gets; ssl itself left as it was.
    assert seen["after"] == [seen["system"], seen["system"]]
    assert seen["patch_left"] is False
