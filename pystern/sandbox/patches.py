"""PATCH of Deployments, StatefulSets, DaemonSets and Pods: what ``kubectl rollout restart``,
``scale``, ``label`` and ``annotate`` send.

Only those shapes are understood: for a Deployment, a pod-template annotation (a restart: a
new revision replaces the pods) and ``spec.replicas`` (on the Deployment or its ``/scale``
subresource); for a Pod, ``metadata.labels`` and ``metadata.annotations`` (a null value removes
a key), so that a pod can be moved in and out of a label selector by hand, and new entries of
``spec.ephemeralContainers`` on its ``/ephemeralcontainers`` subresource (``kubectl debug``).
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


async def _read_patch(request: web.Request) -> tuple[Any, bool] | web.Response:
    """A merge patch's JSON body and whether it is a server dry run, or the API server's refusal.

    Refused: a body in another format (415) or not JSON (400), and a ``dryRun`` other than
    ``All`` (422).
    """
    if request.content_type not in PATCH_TYPES:
        accepted = ", ".join(PATCH_TYPES)
        message = (
            f"the body of the request was in an unknown format - accepted media types include: {accepted}"
        )
        return status.status_response(415, "UnsupportedMediaType", message)
    try:
        body = json.loads(await request.read())
    except ValueError:
        return status.bad_request("the patch is not valid JSON")
    dry = dry_run(request, "PatchOptions")
    if isinstance(dry, web.Response):
        return dry
    return body, dry


_POD_META = ("labels", "annotations")


def dry_run(request: web.Request, options: str, in_body: Any = None) -> bool | web.Response:
    """Whether a write is a server dry run (``dryRun=All``): answered as if done, nothing changed.

    The value comes from the query or, for a DELETE, from the DeleteOptions body (``in_body``, as
    kubectl sends it). Any other value is refused as ValidateDryRun refuses it (422 on the
    ``options`` kind, e.g. ``DeleteOptions``).
    """
    values = request.query.getall("dryRun", []) or (in_body if isinstance(in_body, list) else [])
    bad = [v for v in values if v != "All"]
    if bad:
        detail = f'Unsupported value: {json.dumps(values, separators=(",", ":"))}: supported values: "All"'
        return status.invalid(options, "", [("dryRun", "FieldValueNotSupported", detail)], "meta.k8s.io")
    return bool(values)


def _with_template_annotation(obj: dict[str, Any], key: str, value: str) -> dict[str, Any]:
    """``obj`` with a pod-template annotation set, as a restart patch would leave it."""
    template = obj["spec"]["template"]
    annotations = {**template["metadata"].get("annotations", {}), key: value}
    spec = {
        **obj["spec"],
        "template": {**template, "metadata": {**template["metadata"], "annotations": annotations}},
    }
    return {**obj, "spec": spec}


async def patch_pod(request: web.Request, driver: ScenarioDriver, namespace: str, name: str) -> web.Response:
    """Apply a labels/annotations merge patch (``kubectl label``/``annotate``) to Pod ``namespace/name``."""
    read = await _read_patch(request)
    if isinstance(read, web.Response):
        return read
    body, dry = read
    rec = driver.pods.get((namespace, name))
    if rec is None:
        return status.not_found("pods", name)
    meta = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(body, dict) or set(body) != {"metadata"} or not isinstance(meta, dict):
        others = sorted(set(body) - {"metadata"}) if isinstance(body, dict) else []
        return _unsupported_pod(name, others[0] if others else "metadata")
    for key in sorted(set(meta) - {*_POD_META, "resourceVersion"}):
        return _unsupported_pod(name, f"metadata.{key}")
    for key in _POD_META:
        changes = meta.get(key, {})
        if not isinstance(changes, dict) or not all(isinstance(v, str | None) for v in changes.values()):
            return _unsupported_pod(name, f"metadata.{key}")
    current = driver.store.get("pods", namespace, name)
    version = meta.get("resourceVersion")
    if version is not None and current is not None and version != current["metadata"]["resourceVersion"]:
        message = (
            f'Operation cannot be fulfilled on pods "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again"
        )
        return status.status_response(409, "Conflict", message, {"name": name, "kind": "pods"})
    labels, annotations = (
        _merged(rec.labels, meta.get("labels")),
        _merged(rec.annotations, meta.get("annotations")),
    )
    if dry:
        obj = rec.to_json()
        merged = {"labels": labels, "annotations": annotations}
        obj["metadata"] = {k: v for k, v in {**obj["metadata"], **merged}.items() if v != {}}
        return _json({"kind": "Pod", "apiVersion": "v1", **obj})
    if labels != rec.labels:
        driver.set_labels(name, labels, namespace=namespace)
    if annotations != rec.annotations:
        driver.set_annotations(name, annotations, namespace=namespace)
    return _json({"kind": "Pod", "apiVersion": "v1", **rec.to_json()})


async def patch_ephemeral(
    request: web.Request, driver: ScenarioDriver, namespace: str, name: str
) -> web.Response:
    """Add the ephemeral containers a ``kubectl debug`` patch names to Pod ``namespace/name``.

    Each new one appears as the kubelet reports it, waiting and then running (an empty log).
    """
    read = await _read_patch(request)
    if isinstance(read, web.Response):
        return read
    body, dry = read
    rec = driver.pods.get((namespace, name))
    if rec is None:
        return status.not_found("pods", name)
    spec = body.get("spec") if isinstance(body, dict) else None
    entries = spec.get("ephemeralContainers") if isinstance(spec, dict) else None
    # A strategic merge patch also states the list's order ("$setElementOrder/..."); a list with
    # one entry per container keeps it anyway.
    keys = {k for k in spec if not k.startswith("$setElementOrder/")} if isinstance(spec, dict) else set()
    if not isinstance(body, dict) or set(body) != {"spec"} or keys != {"ephemeralContainers"}:
        return _unsupported_ephemeral(name, "spec")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("image"), str)
        for e in entries
    ):
        return _unsupported_ephemeral(name, "spec.ephemeralContainers")
    for i, entry in enumerate(entries):
        existing = rec.container(entry["name"])
        if existing is None:
            if not dry:
                driver.add_ephemeral_container(name, entry["name"], namespace=namespace, image=entry["image"])
        elif existing.kind != "ephemeral":
            detail = f'Duplicate value: "{entry["name"]}"'
            field = f"spec.ephemeralContainers[{i}].name"
            return status.invalid("Pod", name, [(field, "FieldValueDuplicate", detail)])
    return _json({"kind": "Pod", "apiVersion": "v1", **rec.to_json()})


def _unsupported_ephemeral(name: str, field: str) -> web.Response:
    detail = "Unsupported value: the sandbox adds only named ephemeral containers with an image"
    return status.invalid("Pod", name, [(field, "FieldValueNotSupported", detail)])


def _merged(old: dict[str, str], changes: dict[str, str | None] | None) -> dict[str, str]:
    """A JSON merge patch of a string map: a value sets its key, null removes it."""
    merged = dict(old)
    for key, value in (changes or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _unsupported_pod(name: str, field: str) -> web.Response:
    detail = "Unsupported value: the sandbox applies only labels and annotations to a pod"
    return status.invalid("Pod", name, [(field, "FieldValueNotSupported", detail)])


async def patch_deployment(
    request: web.Request, driver: ScenarioDriver, namespace: str, name: str, scale: bool
) -> web.Response:
    """Apply a restart or replica-count patch to Deployment ``namespace/name`` (or its scale)."""
    read = await _read_patch(request)
    if isinstance(read, web.Response):
        return read
    body, dry = read
    deploy = driver.store.get("deployments", namespace, name)
    if deploy is None:
        return status.not_found("deployments", name, "apps")
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
    if replicas is not None and (not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0):
        detail = f"Invalid value: {json.dumps(replicas)}: must be greater than or equal to 0"
        return status.invalid("Deployment", name, [("spec.replicas", "FieldValueInvalid", detail)], "apps")
    if dry:
        if replicas is not None:
            deploy = {**deploy, "spec": {**deploy["spec"], "replicas": replicas}}
        if restart and isinstance(annotations, dict):
            deploy = _with_template_annotation(deploy, RESTARTED_AT, str(annotations[RESTARTED_AT]))
    else:
        if replicas is not None:
            driver.scale(name, replicas, namespace=namespace)
        if restart and isinstance(annotations, dict):
            driver.rollout(name, namespace=namespace, restarted_at=str(annotations[RESTARTED_AT]))
        current = driver.store.get("deployments", namespace, name)
        assert current is not None
        deploy = current
    if scale:
        return _json(_scale_of(deploy))
    return _json({"kind": "Deployment", "apiVersion": "apps/v1", **deploy})


async def patch_controller(
    request: web.Request, driver: ScenarioDriver, resource: str, namespace: str, name: str
) -> web.Response:
    """Apply a restart patch (``kubectl rollout restart``) to a StatefulSet or DaemonSet."""
    read = await _read_patch(request)
    if isinstance(read, web.Response):
        return read
    body, dry = read
    kind = "StatefulSet" if resource == "statefulsets" else "DaemonSet"
    current = driver.store.get(resource, namespace, name)
    if current is None:
        return status.not_found(resource, name, "apps")
    stamp = _restart_stamp(body)
    if stamp is None:
        detail = "Unsupported value: the sandbox applies only a rollout restart"
        return status.invalid(kind, name, [("spec", "FieldValueNotSupported", detail)], "apps")
    if dry:
        return _json(
            {"kind": kind, "apiVersion": "apps/v1", **_with_template_annotation(current, RESTARTED_AT, stamp)}
        )
    driver.restart_controller(resource, name, namespace=namespace, restarted_at=stamp)
    obj = driver.store.get(resource, namespace, name)
    return _json({"kind": kind, "apiVersion": "apps/v1", **(obj or {})})


def _restart_stamp(body: Any) -> str | None:
    """The restartedAt value of a patch that is exactly a ``kubectl rollout restart``, else None."""
    try:
        (annotations,) = [body["spec"]["template"]["metadata"]["annotations"]]
        if (
            set(body) != {"spec"}
            or set(body["spec"]) != {"template"}
            or set(body["spec"]["template"]) != {"metadata"}
        ):
            return None
        if set(body["spec"]["template"]["metadata"]) != {"annotations"} or set(annotations) != {RESTARTED_AT}:
            return None
    except (KeyError, TypeError):
        return None
    return str(annotations[RESTARTED_AT])


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
