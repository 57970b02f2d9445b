"""Property test of watch semantics: replaying a watch's events rebuilds the filtered list.

Whatever the mix of creations, label changes and deletions, a client that starts from
a list at RV=N and applies the events of a watch from N (with selector enter/leave as
ADDED/DELETED) must end with exactly the objects the final list returns.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.sandbox.resources import BY_PATH
from pystern.sandbox.store import Store
from pystern.sandbox.watch import WatchRequest
from pystern.selectors import parse_label_selector

POD = BY_PATH[("", "pods")]
NAMES = ["a", "b", "c", "d"]
_ops = st.lists(
    st.tuples(
        st.sampled_from(["put", "delete"]), st.sampled_from(NAMES), st.sampled_from(["web", "db", None])
    ),
    max_size=25,
)


def _apply(store: Store, op: tuple[str, str, str | None]) -> None:
    kind, name, app = op
    if kind == "delete":
        store.delete("pods", "default", name)
        return
    labels = {"app": app} if app else {}
    store.put("pods", {"metadata": {"name": name, "namespace": "default", "labels": labels}})


def _watch(selector: str) -> WatchRequest:
    sel = parse_label_selector(selector)
    return WatchRequest(
        POD,
        "default",
        lambda obj: sel.matches(obj["metadata"].get("labels")),
        resource_version="",
        timeout=None,
        bookmarks=False,
        initial_events=False,
        as_table=False,
    )


@settings(max_examples=150)
@given(_ops, _ops, st.sampled_from(["app=web", "app!=web", "app", "!app", "app in (web,db)", ""]))
def test_list_then_watch_rebuilds_the_final_list(
    before: list[tuple[str, str, str | None]], after: list[tuple[str, str, str | None]], selector: str
) -> None:
    store = Store()
    for op in before:
        _apply(store, op)
    watch = _watch(selector)
    start_rv = store.rv
    seen: dict[str, dict[str, Any]] = {
        obj["metadata"]["name"]: obj for obj in store.items("pods", "default") if watch.matches(obj)
    }
    for op in after:
        _apply(store, op)
    for change in store.since(start_rv):
        raw = watch.translate(change)
        if raw is None:
            continue
        event = json.loads(raw)
        name = event["object"]["metadata"]["name"]
        assert int(event["object"]["metadata"]["resourceVersion"]) == change.rv
        if event["type"] == "DELETED":
            assert name in seen
            del seen[name]
        elif event["type"] == "ADDED":
            assert name not in seen
            seen[name] = event["object"]
        else:
            assert name in seen
            seen[name] = event["object"]
    final = {obj["metadata"]["name"] for obj in store.items("pods", "default") if watch.matches(obj)}
    assert set(seen) == final
