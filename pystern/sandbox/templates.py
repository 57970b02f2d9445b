"""Building blocks of workload objects: metadata, selectors, pod templates, generated names."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from pystern.sandbox.pods import now_ns, rfc3339

# The alphabet Kubernetes uses for generated name suffixes (no vowels, no confusable digits).
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def name_suffix(n: int = 5) -> str:
    """A generated-name suffix such as ``x7kq2``."""
    return "".join(secrets.choice(_ALPHANUMS) for _ in range(n))


def template_hash(seed: str) -> str:
    """A stable 10-character ``pod-template-hash`` for ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in digest[:10])


def object_meta(
    name: str, namespace: str, labels: dict[str, str], owner: tuple[str, str, str] | None = None
) -> dict[str, Any]:
    """``metadata`` of a workload object, with a controller ownerReference when ``owner`` is set."""
    meta: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": new_uid(),
        "generation": 1,
        "creationTimestamp": rfc3339(now_ns()),
    }
    if labels:
        meta["labels"] = dict(labels)
    if owner is not None:
        kind, oname, ouid = owner
        api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
        meta["ownerReferences"] = [
            {
                "apiVersion": api,
                "kind": kind,
                "name": oname,
                "uid": ouid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return meta


def new_uid() -> str:
    """A random object UID."""
    return str(uuid.uuid4())


def label_selector(
    match_labels: dict[str, str], match_expressions: Sequence[dict[str, Any]] | None
) -> dict[str, Any]:
    """A ``metav1.LabelSelector``."""
    sel: dict[str, Any] = {"matchLabels": dict(match_labels)}
    if match_expressions:
        sel["matchExpressions"] = [dict(e) for e in match_expressions]
    return sel


def pod_template(
    labels: dict[str, str], containers: Sequence[str], restart_policy: str = "Always"
) -> dict[str, Any]:
    """A pod template with the given labels and containers."""
    return {
        "metadata": {"labels": dict(labels)},
        "spec": {
            "containers": [{"name": c, "image": f"{c}:latest"} for c in containers],
            "restartPolicy": restart_policy,
        },
    }
