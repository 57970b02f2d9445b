"""PATCH of Deployments: what ``kubectl rollout restart`` and ``kubectl scale`` send.

Only those two shapes are understood: a pod-template annotation (a restart: a new revision
replaces the pods) and ``spec.replicas`` (on the Deployment or its ``/scale`` subresource).
Anything else in a patch is refused with 422, so nothing is silently ignored.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from pystern.sandbox import status
from pystern.sandbox.deployments import RESTARTED_AT
from pystern.sandbox.workloads import ScenarioDriver

PATCH_TYPES = (
    "application/strategic-merge-patch+json",
    "application/merge-patch+json",
)


async def patch_deployment(
    request: web.Request, driver: ScenarioDriver, namespace: str, name: str, scale: bool
) -> web.Response:
    """Apply a restart or replica-count patch to Deployment ``namespace/name`` (or its scale)."""
    if request.content_type not in PATCH_TYPES:
        accepted = ", ".join(PATCH_TYPES)
        message = (
            f"the body of the request was in an unknown format - accepted media types include: {accepted}"
        )
        return status.status_response(415, "UnsupportedMediaType", message)
    deploy = driver.store.get("deployments", namespace, name)
    if deploy is None:
        return status.not_found("deployments", name, "apps")
    try:
        body = json.loads(await request.read())
    except ValueError:
        return status.bad_request("the patch is not valid JSON")
    if not isinstance(body, dict) or set(body) != {"spec"} or not isinstance(body["spec"], dict):
        others = sorted(set(body) - {"spec"}) if isinstance(body, dict) else []
        return _unsupported(name, others[0] if others else "spec")
    spec = body["spec"]
    replicas = spec.get("replicas")
    template = spec.get("template")
    metadata = template.get("metadata") if isinstance(template, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    restart = not scale and isinstance(annotations, dict) and RESTARTED_AT in annotations
    if set(spec) - {"replicas", "template"} or ("template" in spec and not restart):
        return _unsupported(name, "spec")
    if replicas is not None:
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            detail = f"Invalid value: {json.dumps(replicas)}: must be greater than or equal to 0"
            return status.invalid(
                "Deployment", name, [("spec.replicas", "FieldValueInvalid", detail)], "apps"
            )
        driver.scale(name, replicas, namespace=namespace)
    if restart and isinstance(annotations, dict):
        driver.rollout(name, namespace=namespace, restarted_at=str(annotations[RESTARTED_AT]))
    deploy = driver.store.get("deployments", namespace, name)
    assert deploy is not None
    if scale:
        return _json(_scale_of(deploy))
    return _json({"kind": "Deployment", "apiVersion": "apps/v1", **deploy})


def _scale_of(deploy: dict[str, Any]) -> dict[str, Any]:
    meta = deploy["metadata"]
    labels = deploy["spec"]["selector"].get("matchLabels", {})
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "creationTimestamp") if k in meta},
        "spec": {"replicas": deploy["spec"]["replicas"]},
        "status": {
            "replicas": deploy["status"].get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        },
    }


def _unsupported(name: str, field: str) -> web.Response:
    detail = "Unsupported value: the sandbox applies only a rollout restart or a replica count"
    return status.invalid("Deployment", name, [(field, "FieldValueNotSupported", detail)], "apps")


def _json(obj: Any) -> web.Response:
    return web.Response(body=status.dumps(obj), content_type="application/json")
