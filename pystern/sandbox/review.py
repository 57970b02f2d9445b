"""Reviews about the caller: ``kubectl auth can-i`` (and ``--list``) and ``kubectl auth whoami``.

``SelfSubjectAccessReview``: the answer comes from the same ``forbid`` rules that refuse real
requests, so "can-i" and the request itself agree.  Non-resource paths (``/healthz``) are
always allowed: the rules name resources only.  kubectl POSTs the review as protobuf; JSON
(other clients) works too.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from pystern.sandbox import protowire, resources, status
from pystern.sandbox.faults import FaultDriver

_GROUP = "authorization.k8s.io"
# ResourceAttributes fields, by protobuf field number (k8s.io/api authorization/v1 generated.proto).
_RESOURCE_FIELDS = {
    1: "namespace",
    2: "verb",
    3: "group",
    4: "version",
    5: "resource",
    6: "subresource",
    7: "name",
}
_NON_RESOURCE_FIELDS = {1: "path", 2: "verb"}


def _spec_from_protobuf(body: bytes) -> dict[str, Any]:
    """The review's spec as JSON would carry it (attributes left out when absent)."""
    spec_msg = protowire.message(protowire.unwrap(body), 2) or {}
    spec: dict[str, Any] = {}
    for number, key, names in (
        (1, "resourceAttributes", _RESOURCE_FIELDS),
        (2, "nonResourceAttributes", _NON_RESOURCE_FIELDS),
    ):
        raw = spec_msg.get(number)
        if isinstance(raw, bytes):
            attrs = protowire.fields(raw)
            spec[key] = {
                name: protowire.text(attrs, n) for n, name in names.items() if protowire.text(attrs, n)
            }
    return spec


async def self_subject_access_review(request: web.Request, driver: FaultDriver, token: str) -> web.Response:
    """Judge the review in the request body for ``token`` (a bearer token or a user name)."""
    body = await request.read()
    try:
        if request.content_type == "application/vnd.kubernetes.protobuf":
            spec = _spec_from_protobuf(body)
        else:
            spec = json.loads(body).get("spec") or {}
        attrs = spec.get("resourceAttributes")
        non_resource = spec.get("nonResourceAttributes")
    except (ValueError, AttributeError) as exc:
        return status.bad_request(f"couldn't get version/kind; json parse error: {exc}")
    if (attrs is None) == (non_resource is None):
        # ValidateSelfSubjectAccessReviewSpec: exactly one of the two.
        detail = (
            'Invalid value: "null": '
            "exactly one of nonResourceAttributes or resourceAttributes must be specified"
        )
        cause = ("spec.resourceAttributes", "FieldValueInvalid", detail)
        return status.invalid("SelfSubjectAccessReview", "", [cause], group=_GROUP)
    allowed = True
    if attrs is not None:
        resource = str(attrs.get("resource", ""))
        sub = str(attrs.get("subresource", ""))
        full = f"{resource}/{sub}" if sub else resource
        allowed = not driver.is_forbidden(
            str(attrs.get("namespace", "")), token, full, str(attrs.get("verb", ""))
        )
    answer: dict[str, Any] = {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": f"{_GROUP}/v1",
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": {"allowed": allowed},
    }
    return web.Response(status=201, body=status.dumps(answer), content_type="application/json")


_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
# The served subresources, by the resource they belong to (group, resource).
_SUBRESOURCES = {("", "pods"): ("log", "ephemeralcontainers"), ("apps", "deployments"): ("scale",)}


def _allowed_rules(driver: FaultDriver, namespace: str, token: str) -> list[dict[str, Any]]:
    """The resource rules ``token`` has in ``namespace``: every served resource and subresource
    with the verbs no ``forbid`` rule takes away, grouped as RBAC rules (one per API group and
    verb set); ``*`` for everything when no rule applies (the sandbox's user is an admin)."""
    if not any(ns == namespace and tok == token for ns, tok, _, _ in driver.forbidden):
        return [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for res in resources.RESOURCES:
        if res.verbs == ("create",):
            continue  # the reviews: granted below, as system:basic-user grants them
        for name in (
            res.name,
            *(f"{res.name}/{sub}" for sub in _SUBRESOURCES.get((res.group, res.name), ())),
        ):
            verbs = tuple(v for v in _VERBS if not driver.is_forbidden(namespace, token, name, v))
            if verbs:
                grouped.setdefault((res.group, verbs), []).append(name)
    rules = [
        {
            "verbs": ["create"],
            "apiGroups": [_GROUP],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        },
        {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]},
    ]
    rules += [
        {"verbs": list(verbs), "apiGroups": [group], "resources": names}
        for (group, verbs), names in grouped.items()
    ]
    return rules


async def self_subject_rules_review(request: web.Request, driver: FaultDriver, token: str) -> web.Response:
    """``kubectl auth can-i --list``: the rules ``token`` has in the review's namespace."""
    body = await request.read()
    try:
        if request.content_type == "application/vnd.kubernetes.protobuf":
            spec_msg = protowire.message(protowire.unwrap(body), 2) or {}
            spec = {"namespace": protowire.text(spec_msg, 1)}
        else:
            spec = json.loads(body).get("spec") or {}
    except (ValueError, AttributeError) as exc:
        return status.bad_request(f"couldn't get version/kind; json parse error: {exc}")
    namespace = str(spec.get("namespace") or "")
    answer: dict[str, Any] = {
        "kind": "SelfSubjectRulesReview",
        "apiVersion": f"{_GROUP}/v1",
        "metadata": {"creationTimestamp": None},
        "spec": {"namespace": namespace} if namespace else {},
        "status": {
            "resourceRules": _allowed_rules(driver, namespace, token),
            # The rules name resources only: every non-resource path is allowed.
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        },
    }
    return web.Response(status=201, body=status.dumps(answer), content_type="application/json")


async def self_subject_review(request: web.Request, version: str, user: str) -> web.Response:
    """``kubectl auth whoami``: the user the request authenticated (or impersonated) as.

    As the API server's impersonation filter does, the ``Impersonate-Group`` groups come first
    and ``system:authenticated`` is added for every non-anonymous user.
    """
    groups = (
        list(request.headers.getall("Impersonate-Group", [])) if "Impersonate-User" in request.headers else []
    )
    if "system:authenticated" not in groups:
        groups.append("system:authenticated")
    answer = {
        "kind": "SelfSubjectReview",
        "apiVersion": f"authentication.k8s.io/{version}",
        "metadata": {"creationTimestamp": None},
        "status": {"userInfo": {"username": user, "groups": groups}},
    }
    return web.Response(status=201, body=status.dumps(answer), content_type="application/json")
