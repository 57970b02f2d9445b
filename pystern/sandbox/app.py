"""The aiohttp application: authentication, path routing, discovery, get / list / watch, logs.

Paths are parsed by hand (one catch-all route) because the API's URL space is regular:
``/api/v1[/namespaces/{ns}]/{resource}[/{name}[/log]]`` and the same under
``/apis/{group}/v1``, plus the legacy ``/watch/`` prefix that forces watch mode.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from pystern.fieldselectors import (
    FieldValueError,
    check_pod_field_selector,
    parse_field_selector,
    pod_field_values,
)
from pystern.goquote import quote
from pystern.sandbox import listpages, resources, status
from pystern.sandbox.logs import serve_logs
from pystern.sandbox.params import BadParam, flag, integer
from pystern.sandbox.patches import dry_run, patch_controller, patch_deployment, patch_ephemeral, patch_pod
from pystern.sandbox.pods import now_ns, rfc3339
from pystern.sandbox.resources import BY_PATH, Resource
from pystern.sandbox.review import self_subject_access_review, self_subject_review, self_subject_rules_review
from pystern.sandbox.table import table, wants_table
from pystern.sandbox.watch import Matcher, WatchRequest, serve_watch
from pystern.sandbox.workloads import ScenarioDriver
from pystern.selectors import SelectorError, parse_label_selector

DRIVER_KEY = web.AppKey("driver", ScenarioDriver)


def make_app(driver: ScenarioDriver) -> web.Application:
    """Build the application serving ``driver``'s cluster."""
    app = web.Application(middlewares=[_auth])
    app[DRIVER_KEY] = driver
    app.router.add_route("GET", "/{tail:.*}", _dispatch)
    app.router.add_route("DELETE", "/api/v1/namespaces/{namespace}/pods/{name}", _delete_pod)
    # kubectl label / annotate (a pod moved in and out of a label selector by hand).
    app.router.add_route("PATCH", "/api/v1/namespaces/{namespace}/pods/{name}", _patch_pod)
    # kubectl debug (an ephemeral container; attaching to it is not served).
    app.router.add_route(
        "PATCH", "/api/v1/namespaces/{namespace}/pods/{name}/ephemeralcontainers", _patch_pod
    )
    # kubectl rollout restart / kubectl scale.
    app.router.add_route("PATCH", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", _patch_deploy)
    app.router.add_route(
        "PATCH", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", _patch_deploy
    )
    app.router.add_route(
        "PATCH",
        "/apis/apps/v1/namespaces/{namespace}/{resource:statefulsets|daemonsets}/{name}",
        _patch_controller,
    )
    # kubectl auth can-i.
    app.router.add_route("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", _access_review)
    # kubectl auth can-i --list.
    app.router.add_route("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", _rules_review)
    # kubectl auth whoami (v1 since 1.28; older clients ask v1beta1, then v1alpha1).
    app.router.add_route(
        "POST", "/apis/authentication.k8s.io/{version:v1|v1beta1|v1alpha1}/selfsubjectreviews", _whoami
    )
    # Last: any other method on any path (exec, patch, create...) is refused with a Status;
    # aiohttp's own 405 is plain text, which `kubectl exec` printed as an empty error.
    app.router.add_route("*", "/{tail:.*}", _not_allowed)
    return app


async def _not_allowed(request: web.Request) -> web.StreamResponse:
    """A method the sandbox does not serve: 405 on a resource's path, else the router's 404."""
    parts = [p for p in request.path.split("/") if p]
    if not _under_api_root(parts):
        return _page_not_found()
    if parts[0] == "api" and parts[1:2] == ["v1"]:
        group, rest = "", parts[2:]
    elif parts[0] == "apis" and parts[2:3] == ["v1"]:
        group, rest = parts[1], parts[3:]
    else:
        return _not_found_path()
    if len(rest) >= 3 and rest[0] == "namespaces":
        rest = rest[2:]
    if rest[:1] == ["namespaces"] or (len(rest) <= 3 and (group, rest[0] if rest else "") in BY_PATH):
        return _not_allowed_status()
    return _not_found_path()


def _under_api_root(parts: list[str]) -> bool:
    """Whether the API server's go-restful router owns the path (its 404s and 405s are Statuses).

    Its web services are rooted at /api, /version and /apis/<group> for each served group; any
    other path falls through to Go's http.NotFound.
    """
    if parts[:1] in (["api"], ["version"]):
        return True
    return parts[:1] == ["apis"] and (len(parts) == 1 or parts[1] in resources.GROUPS)


def _not_allowed_status() -> web.Response:
    return status.generic_status(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


def _page_not_found() -> web.Response:
    """Go's http.NotFound, the API server's last handler: plain text."""
    resp = web.Response(status=404, text="404 page not found\n", content_type="text/plain", charset="utf-8")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


async def _delete_pod(request: web.Request) -> web.StreamResponse:
    """``kubectl delete pod``: graceful deletion; a controller-owned pod gets a replacement."""
    driver = request.app[DRIVER_KEY]
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    token, user = _subject(request, driver.user)
    if driver.is_forbidden(namespace, token, "pods", "delete"):
        return status.forbidden(user, "delete", "pods", namespace, name=name)
    options = await _delete_options(request)
    dry = dry_run(request, "DeleteOptions", options.get("dryRun"))
    if isinstance(dry, web.Response):
        return dry
    rec = driver.pods.get((namespace, name))
    if rec is None:
        return status.not_found("pods", name)
    if dry:
        # As a graceful deletion would answer, but the pod stays.
        obj = rec.to_json()
        if not rec.deleting_ns:
            grace = options.get("gracePeriodSeconds")
            seconds = grace if isinstance(grace, int) and not isinstance(grace, bool) and grace >= 0 else 30
            stamp = rfc3339(now_ns() + seconds * 1_000_000_000)
            obj["metadata"] = {
                **obj["metadata"],
                "deletionTimestamp": stamp,
                "deletionGracePeriodSeconds": seconds,
            }
        return _json({"kind": "Pod", "apiVersion": "v1", **obj})
    grace = options.get("gracePeriodSeconds")
    if isinstance(grace, int) and not isinstance(grace, bool) and grace >= 0 and not rec.deleting_ns:
        rec.deletion_grace = grace
    # No grace period: asked for, or (the pod strategy's rule) a pod not on a node or already done.
    now = not rec.deleting_ns and (grace == 0 or not rec.node or rec.current_phase in ("Succeeded", "Failed"))
    # A controller makes a new pod, unless it was a Job's pod that had already finished.
    finished_job_pod = (
        rec.owner is not None and rec.owner[0] == "Job" and rec.phase in ("Succeeded", "Failed")
    )
    if (
        rec.owner is not None
        and rec.owner[0] in ("ReplicaSet", "StatefulSet", "DaemonSet", "Job")
        and not finished_job_pod
    ):
        driver.replace_pod(name, namespace=namespace, now=now)
    elif now:
        driver.remove_pod_now(name, namespace=namespace)
    else:
        driver.delete_pod(name, namespace=namespace)
    return _json({"kind": "Pod", "apiVersion": "v1", **rec.to_json()})


async def _delete_options(request: web.Request) -> dict[str, Any]:
    """The DeleteOptions a DELETE carries in its body ({} when none or unreadable)."""
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def _patch_pod(request: web.Request) -> web.StreamResponse:
    """``kubectl label``, ``kubectl annotate`` and ``kubectl debug`` of a Pod."""
    driver = request.app[DRIVER_KEY]
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    token, user = _subject(request, driver.user)
    debug = request.path.endswith("/ephemeralcontainers")
    resource = "pods/ephemeralcontainers" if debug else "pods"
    if driver.is_forbidden(namespace, token, resource, "patch"):
        return status.forbidden(
            user, "patch", "pods", namespace, name=name, sub="ephemeralcontainers" if debug else ""
        )
    if debug:
        return await patch_ephemeral(request, driver, namespace, name)
    return await patch_pod(request, driver, namespace, name)


async def _patch_deploy(request: web.Request) -> web.StreamResponse:
    """``kubectl rollout restart`` and ``kubectl scale`` of a Deployment."""
    driver = request.app[DRIVER_KEY]
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    scale = request.path.endswith("/scale")
    token, user = _subject(request, driver.user)
    if driver.is_forbidden(namespace, token, "deployments/scale" if scale else "deployments", "patch"):
        sub = "scale" if scale else ""
        return status.forbidden(user, "patch", "deployments", namespace, name=name, sub=sub, group="apps")
    return await patch_deployment(request, driver, namespace, name, scale)


async def _patch_controller(request: web.Request) -> web.StreamResponse:
    """``kubectl rollout restart`` of a StatefulSet or DaemonSet."""
    driver = request.app[DRIVER_KEY]
    namespace, name, resource = (request.match_info[k] for k in ("namespace", "name", "resource"))
    token, user = _subject(request, driver.user)
    if driver.is_forbidden(namespace, token, resource, "patch"):
        return status.forbidden(user, "patch", resource, namespace, name=name, group="apps")
    return await patch_controller(request, driver, resource, namespace, name)


async def _access_review(request: web.Request) -> web.StreamResponse:
    """``kubectl auth can-i``: judged by the rules that judge the requests themselves."""
    driver = request.app[DRIVER_KEY]
    token, _ = _subject(request, driver.user)
    return await self_subject_access_review(request, driver, token)


async def _rules_review(request: web.Request) -> web.StreamResponse:
    """``kubectl auth can-i --list``: what the rules leave the caller, in RBAC rules."""
    driver = request.app[DRIVER_KEY]
    token, _ = _subject(request, driver.user)
    return await self_subject_rules_review(request, driver, token)


async def _whoami(request: web.Request) -> web.StreamResponse:
    """``kubectl auth whoami``."""
    _, user = _subject(request, request.app[DRIVER_KEY].user)
    return await self_subject_review(request, request.match_info["version"], user)


def _subject(request: web.Request, user: str) -> tuple[str, str]:
    """Whom RBAC judges: (rule key, user name for messages).

    Rules (``forbid``) name a token, or the user of a client certificate (its CN); a request
    impersonating a user (``Impersonate-User``, as ``kubectl --as`` or a kubeconfig user's
    ``as:`` send) is judged as that user name instead.
    """
    impersonated = request.headers.get("Impersonate-User", "")
    if impersonated:
        return impersonated, impersonated
    cert_user = request.get(_CERT_USER)
    if cert_user:
        return cert_user, cert_user
    return request.headers.get("Authorization", "").removeprefix("Bearer "), user


_CERT_USER = "pystern.sandbox.cert_user"


def _certificate_user(request: web.Request) -> str:
    """The CN of a verified client certificate ("" when none was given)."""
    peer = request.transport.get_extra_info("peercert") if request.transport is not None else None
    for rdn in (peer or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return ""


@web.middleware
async def _auth(request: web.Request, handler: Any) -> web.StreamResponse:
    driver = request.app[DRIVER_KEY]
    driver.see_headers(request)
    header = request.headers.get("Authorization", "")
    if driver.token and header != f"Bearer {driver.token}":
        # As the API server's union authenticator: a valid client certificate is enough.
        cert_user = _certificate_user(request)
        if not cert_user:
            return status.unauthorized()
        request[_CERT_USER] = cert_user
    injected = driver.injected_response(request)
    if injected is not None:
        return injected
    result: web.StreamResponse = await handler(request)
    return result


def _json(obj: Any) -> web.Response:
    return web.Response(body=status.dumps(obj), content_type="application/json")


async def _dispatch(request: web.Request) -> web.StreamResponse:
    driver = request.app[DRIVER_KEY]
    parts = [p for p in request.path.split("/") if p]
    if parts == ["version"]:
        return _json(resources.SERVER_VERSION)
    if parts == ["api"]:
        host = request.host
        return _json(resources.api_versions(host))
    if parts == ["apis"]:
        return _json(resources.api_group_list())
    if parts in (["healthz"], ["readyz"], ["livez"]):
        return web.Response(text="ok")
    if not _under_api_root(parts):
        return _page_not_found()
    if len(parts) >= 2 and parts[0] == "api" and parts[1] == "v1":
        group, rest = "", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis" and parts[2] == "v1":
        group, rest = parts[1], parts[3:]
    elif len(parts) == 2 and parts[0] == "apis":
        doc = resources.api_group(parts[1])
        return _json(doc) if doc is not None else _not_found_path()
    else:
        return _not_found_path()
    if not rest:
        listing = resources.resource_list(group)
        return _json(listing) if listing is not None else _not_found_path()
    force_watch = False
    if rest[0] == "watch":
        force_watch, rest = True, rest[1:]
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    res = BY_PATH.get((group, rest[0]))
    if res is None or len(rest) > 3:
        return _not_found_path()
    if "get" not in res.verbs:
        # A create-only resource (the reviews): its one route is POST on the collection path.
        return _not_allowed_status() if len(rest) == 1 and not namespace else _not_found_path()
    name = rest[1] if len(rest) >= 2 else ""
    sub = rest[2] if len(rest) == 3 else ""
    if sub and not (res.name == "pods" and sub == "log" and namespace):
        return _not_found_path()
    if res.namespaced is False and namespace:
        return _not_found_path()
    token, user = _subject(request, driver.user)
    verb = "watch" if force_watch or flag(request.query, "watch") else ("get" if name else "list")
    full = f"{res.name}/{sub}" if sub else res.name
    # A cluster-scoped resource (namespaces, nodes) is refused by a cluster-scope rule: forbid("", ...).
    if driver.is_forbidden(namespace if res.namespaced else "", token, full, verb):
        return status.forbidden(user, verb, res.name, namespace, name=name, sub=sub, group=res.group)
    if sub == "log":
        return await serve_logs(request, driver, namespace, name)
    watching = force_watch or flag(request.query, "watch")
    if not watching and (too_large := _too_large_resource_version(request.query, driver)) is not None:
        return too_large
    if name and not watching:
        if (bad_rv := _resource_version_problem(request.query)) is not None:
            return status.status_response(500, "", bad_rv)  # the storage error, not converted
        obj = driver.store.get(res.name, namespace, name)
        if obj is None:
            return status.not_found(res.name, name, res.group)
        if wants_table(request.headers.get("Accept", "")):
            return _json(table(res.name, [obj], obj["metadata"].get("resourceVersion", "")))
        return _json({"kind": res.kind, "apiVersion": res.group_version, **obj})
    return await _list_or_watch(request, driver, res, namespace, name, force_watch)


def _too_large_resource_version(query: Any, driver: ScenarioDriver) -> web.Response | None:
    """504 for a get or list at a resourceVersion the store has not reached, else None.

    The watch cache waits a few seconds for such an RV and then gives up with this Status and a
    ``Retry-After`` header; the sandbox answers at once instead of waiting.
    """
    raw = query.get("resourceVersion", "")
    if _resource_version_problem(query) is not None:
        return None  # refused as unreadable first
    try:
        wanted = int(raw)
    except ValueError:
        return None
    if wanted <= driver.store.rv:
        return None
    body = status.too_large_status(wanted, driver.store.rv)
    return web.Response(
        status=504, body=status.dumps(body), content_type="application/json", headers={"Retry-After": "1"}
    )


def _resource_version_problem(query: Any) -> str | None:
    """APIObjectVersioner.ParseResourceVersion's refusal (strconv.ParseUint), or None."""
    raw = query.get("resourceVersion", "")
    if raw in ("", "0"):
        return None
    if not raw.isascii() or not raw.isdigit():
        why = "invalid syntax"
    elif int(raw) >= 2**64:
        why = "value out of range"
    else:
        return None
    value = quote(raw)
    return f"resourceVersion: Invalid value: {value}: strconv.ParseUint: parsing {value}: {why}"


def _not_found_path() -> web.Response:
    return status.generic_status(404, "NotFound", "the server could not find the requested resource")


def _matcher(res: Resource, query: Any, name: str) -> Matcher:
    label_sel = parse_label_selector(query.get("labelSelector", ""))
    field_sel = parse_field_selector(query.get("fieldSelector", ""))
    if name:
        field_sel = parse_field_selector(
            ",".join(
                filter(None, [query.get("fieldSelector", ""), "metadata.name=" + name.replace(",", "\\,")])
            )
        )
    if res.name == "pods":
        field_sel = check_pod_field_selector(field_sel)

        def pod_match(obj: dict[str, Any]) -> bool:
            return label_sel.matches(obj["metadata"].get("labels")) and (
                field_sel.empty or field_sel.matches(pod_field_values(obj))
            )

        return pod_match
    supported = {"metadata.name", "metadata.namespace"}
    if res.name == "events":  # kubectl describe selects a pod's events by these
        supported |= {f"involvedObject.{f}" for f in _EVENT_OBJECT_FIELDS} | {"reason", "type"}
    for req in field_sel.requirements:
        if req.field not in supported:
            raise SelectorError(f"field label not supported: {req.field}")

    def generic_match(obj: dict[str, Any]) -> bool:
        meta = obj["metadata"]
        fields = {"metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", "")}
        if res.name == "events":
            involved = obj.get("involvedObject") or {}
            fields.update({f"involvedObject.{f}": str(involved.get(f, "")) for f in _EVENT_OBJECT_FIELDS})
            fields.update({"reason": str(obj.get("reason", "")), "type": str(obj.get("type", ""))})
        return label_sel.matches(meta.get("labels")) and field_sel.matches(fields)

    return generic_match


_EVENT_OBJECT_FIELDS = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")


async def _list_or_watch(
    request: web.Request, driver: ScenarioDriver, res: Resource, namespace: str, name: str, force_watch: bool
) -> web.StreamResponse:
    query = request.query
    try:
        matcher = _matcher(res, query, name)
        timeout = integer(query, "timeoutSeconds")
        limit = integer(query, "limit")
    except (SelectorError, BadParam) as exc:
        # A field value's error carries the API server's exact text apart from the message.
        return status.bad_request(exc.wire if isinstance(exc, FieldValueError) else str(exc))
    watching = force_watch or flag(query, "watch")
    rv = query.get("resourceVersion", "")
    initial = flag(query, "sendInitialEvents")
    causes = _option_problems(query, watching)
    if causes:
        return status.invalid("ListOptions", "", causes, group="meta.k8s.io")
    if (bad_rv := _resource_version_problem(query)) is not None:
        if watching:
            return status.status_response(500, "", bad_rv)  # the cacher's error, not converted
        if not query.get("continue"):  # with a token, the token's checks come first
            return status.bad_request(f"invalid resource version: {bad_rv}")
    as_table = wants_table(request.headers.get("Accept", ""))
    if watching:
        watch = WatchRequest(
            res,
            namespace,
            matcher,
            resource_version=rv,
            timeout=float(timeout) if timeout else None,
            bookmarks=flag(query, "allowWatchBookmarks"),
            initial_events=initial,
            as_table=as_table,
        )
        return await serve_watch(request, driver, watch)
    start = listpages.first_items(driver, res.name, namespace, query, matcher)
    if isinstance(start, web.Response):
        return start
    items, list_rv = start
    meta: dict[str, Any] = {"resourceVersion": list_rv}
    if limit is not None and 0 < limit < len(items):
        # Later pages come from this snapshot, as a real API server serves them.
        items, rest = items[:limit], items[limit:]
        meta["continue"] = listpages.next_token(driver, res.name, namespace, query, items, (rest, list_rv))
        meta["remainingItemCount"] = len(rest)
    if as_table:
        doc = table(res.name, items, list_rv)
        doc["metadata"] = meta
        return _json(doc)
    return _json(
        {
            "kind": f"{res.kind}List",
            "apiVersion": res.group_version,
            "metadata": meta,
            "items": items,
        }
    )


def _forbidden(field: str, detail: str) -> tuple[str, str, str]:
    return (field, "FieldValueForbidden", "Forbidden: " + detail)


def _option_problems(query: Any, watching: bool) -> list[tuple[str, str, str]]:
    """ValidateListOptions (apimachinery internalversion/validation): list and watch rules."""
    rv = query.get("resourceVersion", "")
    match = query.get("resourceVersionMatch", "")
    # Presence counts, not the value: sendInitialEvents=false is still "set".
    initial_set = "sendInitialEvents" in query
    rvm = "resourceVersionMatch"
    out: list[tuple[str, str, str]] = []
    if watching:
        if initial_set and match != "NotOlderThan":
            out.append(
                _forbidden(rvm, "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
            )
        if match:
            if not initial_set:
                out.append(
                    _forbidden(
                        rvm,
                        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                    )
                )
            if match != "NotOlderThan":
                out.append(
                    (
                        rvm,
                        "FieldValueNotSupported",
                        f'Unsupported value: "{match}": supported values: "NotOlderThan"',
                    )
                )
        return out
    if match:
        if not rv:
            out.append(
                _forbidden(rvm, "resourceVersionMatch is forbidden unless resourceVersion is provided")
            )
        if match not in ("Exact", "NotOlderThan"):
            out.append(
                (
                    rvm,
                    "FieldValueNotSupported",
                    f'Unsupported value: "{match}": supported values: "Exact", "NotOlderThan", ""',
                )
            )
        if match == "Exact" and rv == "0":
            out.append(_forbidden(rvm, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
    if initial_set:
        out.append(_forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"))
    return out
