"""Paged lists (``limit`` + ``continue``): every page from the first page's snapshot.

A real API server reads later pages from etcd at the token's resourceVersion. The sandbox keeps
the rest of each paged list under its token instead (the newest 100, in the driver); a token it
no longer holds counts as compacted: 410 Expired with a token that goes on at the newest
resourceVersion, as etcd3's store answers (storage/etcd3/errors.go).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from pystern.sandbox import continuetoken, status
from pystern.sandbox.workloads import ScenarioDriver

__all__ = ["Page", "first_items", "next_token"]

Page = tuple[list[dict[str, Any]], str]
"""The items still to serve and the list's resourceVersion."""

_INCONSISTENT = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter, or use the continue token in this response to retrieve the "
    "remainder of the results. Continuing with the provided token results in an inconsistent list - "
    "objects that were created, modified, or deleted between the time the first chunk was returned and "
    "now may show up in the list."
)


def _scope(resource: str, namespace: str, query: Any) -> tuple[str, ...]:
    """What a token's snapshot belongs to: a token is only good for the same list."""
    return (resource, namespace, query.get("labelSelector", ""), query.get("fieldSelector", ""))


def _start_key(obj: dict[str, Any], namespace: str) -> str:
    """The storage key after ``obj``, relative to the list's prefix (``/registry/<resource>/[ns/]``)."""
    meta = obj["metadata"]
    ns = str(meta.get("namespace", ""))
    return (f"{ns}/" if ns and not namespace else "") + str(meta.get("name", "")) + "\x00"


def _after(items: list[dict[str, Any]], start: str, namespace: str) -> list[dict[str, Any]]:
    """The items whose key sorts after ``start`` (items are in key order)."""
    return [obj for obj in items if _start_key(obj, namespace) > start]


def first_items(
    driver: ScenarioDriver,
    resource: str,
    namespace: str,
    query: Any,
    matcher: Callable[[dict[str, Any]], bool],
) -> Page | web.Response:
    """The items a list request starts from, or the Status refusing its ``continue`` token."""
    token = query.get("continue", "")
    if not token:
        items = [obj for obj in driver.store.items(resource, namespace) if matcher(obj)]
        return items, str(driver.store.rv)
    try:
        rv, start = continuetoken.decode(token)
    except continuetoken.BadToken as exc:
        return status.bad_request(f"invalid continue token: {exc}")
    if query.get("resourceVersion", "") not in ("", "0"):
        return status.bad_request("specifying resource version is not allowed when using continue")
    if rv < 0:
        # Go on from the key at the newest resourceVersion (a consistent read of the rest).
        items = [obj for obj in driver.store.items(resource, namespace) if matcher(obj)]
        return _after(items, start, namespace), str(driver.store.rv)
    # Not popped: a token is reusable (a client retrying a page gets that page again).
    page = driver.list_pages.get((token, *_scope(resource, namespace, query)))
    if page is None:
        body = status.status_dict(410, "Expired", _INCONSISTENT)
        body["metadata"] = {"continue": continuetoken.encode(-1, start)}
        return web.Response(status=410, body=status.dumps(body), content_type=status.JSON)
    return page


def next_token(
    driver: ScenarioDriver, resource: str, namespace: str, query: Any, shown: list[dict[str, Any]], page: Page
) -> str:
    """Remember the rest of a list after the ``shown`` items; its ``continue`` token."""
    rest, list_rv = page
    token = continuetoken.encode(int(list_rv), _start_key(shown[-1], namespace))
    driver.remember_list_page((token, *_scope(resource, namespace, query)), rest, list_rv)
    return token
