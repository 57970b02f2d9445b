"""``Status`` objects exactly as the API server writes them (B3 of kubernetes-wire.md).

Key order is part of the contract: ``kind, apiVersion, metadata, status, message, reason,
details, code``; ``reason`` and ``details`` are left out when empty, and the body ends
with a newline because Go's ``json.Encoder`` writes one.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

JSON = "application/json"


def status_dict(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build a Failure ``Status`` with the API server's key order."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
    body["message"] = message
    if reason:
        body["reason"] = reason
    if details:
        body["details"] = details
    body["code"] = code
    return body


def dumps(obj: Any) -> bytes:
    """Compact JSON plus the trailing newline Go's encoder adds."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def status_response(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> web.Response:
    """An HTTP response whose status equals the Status ``code``."""
    return web.Response(
        status=code, body=dumps(status_dict(code, reason, message, details)), content_type=JSON
    )


def generic_status(code: int, reason: str, message: str) -> web.Response:
    """The router's own answer (NewGenericServerResponse): a Status whose ``details`` is ``{}``."""
    body = status_dict(code, reason, message)
    body["details"] = {}
    body["code"] = body.pop("code")  # keep "code" last
    return web.Response(status=code, body=dumps(body), content_type=JSON)


def not_found(resource: str, name: str, group: str = "") -> web.Response:
    """``404 NotFound``: ``pods "x" not found``."""
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = resource
    return status_response(
        404, "NotFound", f'{resource}{"." + group if group else ""} "{name}" not found', details
    )


def bad_request(message: str) -> web.Response:
    """``400 BadRequest`` with a verbatim message."""
    return status_response(400, "BadRequest", message)


def unauthorized() -> web.Response:
    """The exact 401 of the authentication filter."""
    return status_response(401, "Unauthorized", "Unauthorized")


def forbidden(
    user: str, verb: str, resource: str, namespace: str, *, name: str = "", sub: str = "", group: str = ""
) -> web.Response:
    """``403 Forbidden`` with the RBAC message template."""
    target = f'{resource} "{name}"' if name else resource
    full = f"{resource}/{sub}" if sub else resource
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{target} is forbidden: User "{user}" cannot {verb} resource "{full}" in API group "{group}" {scope}'
    )
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = resource
    return status_response(403, "Forbidden", message, details)


def invalid(kind: str, name: str, causes: list[tuple[str, str, str]], group: str = "") -> web.Response:
    """``422 Invalid``: ``<Kind> "<name>" is invalid: <field>: <detail>``.

    ``causes`` holds (field, cause reason, detail) triples, e.g.
    ``("tailLines", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0")``.
    """
    parts = [f"{field}: {detail}" for field, _, detail in causes]
    text = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    cause_objs = [{"reason": reason, "message": detail, "field": field} for field, reason, detail in causes]
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = cause_objs
    qualified = f"{kind}.{group}" if group else kind
    return status_response(422, "Invalid", f'{qualified} "{name}" is invalid: {text}', details)


def expired_status(requested: int, oldest: int) -> dict[str, Any]:
    """The Status carried by a watch's 410 ERROR event."""
    return status_dict(410, "Expired", f"too old resource version: {requested} ({oldest})")


def too_large_status(requested: int, current: int) -> dict[str, Any]:
    """The Status carried by a watch from a resourceVersion the server has not reached."""
    body = status_dict(
        504,
        "Timeout",
        f"Timeout: Too large resource version: {requested}, current: {current}",
        {
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        },
    )
    return body
