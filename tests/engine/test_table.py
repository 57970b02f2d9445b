"""Pure tests of target selection: TargetFilter and the container-ID table (stern §3.2, §3.9)."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.containers import ContainerTable, TargetAdded, TargetRemoved, workload_of
from pystern.filters import TargetFilter
from pystern.model import (
    ContainerKind,
    ContainerStateName,
    ContainerStatus,
    NoticeKind,
    OwnerReference,
    Pod,
    Termination,
)
from pystern.options import ContainerState, ResourceQuery, Selection
from pystern.tail import History

R, W, T = ContainerStateName.RUNNING, ContainerStateName.WAITING, ContainerStateName.TERMINATED


def cs(
    name: str,
    state: ContainerStateName = R,
    cid: str = "",
    kind: ContainerKind = ContainerKind.REGULAR,
    restarts: int = 0,
    term: Termination | None = None,
    last: Termination | None = None,
) -> ContainerStatus:
    return ContainerStatus(
        name, kind, state, container_id=cid, restart_count=restarts, terminated=term, last_terminated=last
    )


def pod(
    name: str = "web-1",
    *statuses: ContainerStatus,
    uid: str = "u1",
    conditions: dict[str, str] | None = None,
    owners: tuple[OwnerReference, ...] = (),
) -> Pod:
    return Pod("default", name, uid, statuses=statuses, conditions=conditions or {}, owners=owners)


def added(events: list) -> list[tuple[str, str, str]]:
    return [
        (e.target.container, e.target.container_id, e.history) for e in events if isinstance(e, TargetAdded)
    ]


@pytest.mark.parametrize(
    ("selection", "name", "expected"),
    [
        (Selection(pod_query=regex.compile("web")), "my-web-1", True),
        (Selection(pod_query=regex.compile("^web")), "my-web-1", False),
        (Selection(exclude_pods=(regex.compile("-1$"),)), "web-1", False),
        (Selection(resource=ResourceQuery("pods", "web-1")), "web-1", True),
        (Selection(resource=ResourceQuery("pods", "web")), "web-1", False),
        (Selection(resource=ResourceQuery("pods", "web.1")), "webx1", False),
    ],
    ids=["query", "anchored", "exclude-pod", "pod-exact", "pod-not-prefix", "pod-not-regex"],
)
def test_pod_matches(selection: Selection, name: str, expected: bool) -> None:
    assert TargetFilter(selection).pod_matches(pod(name)) is expected


def test_container_filters_and_order() -> None:
    p = pod(
        "web",
        cs("side", kind=ContainerKind.EPHEMERAL),
        cs("app"),
        cs("istio-proxy"),
        cs("init", kind=ContainerKind.INIT),
    )
    names = lambda sel: [s.name for s in TargetFilter(sel).candidates(p)]  # noqa: E731
    assert names(Selection()) == ["init", "app", "istio-proxy", "side"]
    assert names(Selection(init_containers=False, ephemeral_containers=False)) == ["app", "istio-proxy"]
    assert names(Selection(container_query=regex.compile("^a"))) == ["app"]
    assert names(Selection(exclude_containers=(regex.compile("istio"),))) == ["init", "app", "side"]


@pytest.mark.parametrize(
    ("condition", "conditions", "expected"),
    [
        (("Ready", "True"), {"Ready": "True"}, True),
        (("ready", "false"), {"Ready": "False"}, True),
        (("Ready", "True"), {"Ready": "False"}, False),
        (("Ready", "True"), {}, False),
    ],
    ids=["match", "case-insensitive", "other-status", "missing"],
)
def test_condition(condition: tuple[str, str], conditions: dict[str, str], expected: bool) -> None:
    assert (
        TargetFilter(Selection(condition=condition)).condition_matches(pod("p", conditions=conditions))
        is expected
    )


def test_a_container_is_tailed_once_per_id_and_again_after_a_restart() -> None:
    table = ContainerTable(TargetFilter(Selection()))
    ev, _ = table.observe(pod("p", cs("app", cid="c1")), initial=True)
    assert added(ev) == [("app", "c1", History.CONFIGURED)]
    ev, notes = table.observe(pod("p", cs("app", cid="c1")), initial=False)
    assert ev == []
    assert notes == []
    restarted = cs("app", cid="c2", restarts=1, last=Termination(137, "OOMKilled", "c1"))
    ev, notes = table.observe(pod("p", restarted), initial=False)
    assert added(ev) == [("app", "c2", History.ALL)]
    (note,) = notes
    assert note.kind is NoticeKind.TERMINATED
    assert note.text == "terminated: OOMKilled (exit 137), restart 1"
    assert note.target is not None
    assert note.target.container_id == "c1"
    # The same termination seen again (CrashLoopBackOff keeps it in lastState) is not reported twice.
    ev, notes = table.observe(pod("p", restarted), initial=False)
    assert ev == []
    assert notes == []


def test_termination_of_a_running_container_is_reported_once() -> None:
    table = ContainerTable(TargetFilter(Selection()))
    table.observe(pod("p", cs("app", cid="c1")), initial=True)
    done = cs("app", T, cid="c1", term=Termination(0, "Completed", "c1"))
    _, notes = table.observe(pod("p", done), initial=False)
    assert [n.text for n in notes] == ["terminated: Completed (exit 0), restart 0"]
    _, notes = table.observe(pod("p", done), initial=False)
    assert notes == []


def test_container_state_applies_to_the_first_sighting_only() -> None:
    table = ContainerTable(TargetFilter(Selection(container_states=frozenset({ContainerState.RUNNING}))))
    done = cs("job", T, cid="c1", term=Termination(0, "Completed", "c1"))
    ev, _ = table.observe(pod("p", done, cs("app", cid="a1")), initial=True)
    assert added(ev) == [("app", "a1", History.CONFIGURED)]
    # A new pod seen first without an ID is tailed whatever its state once it gets one (stern's rule).
    ev, _ = table.observe(pod("q", cs("job", W), uid="u2"), initial=False)
    assert ev == []
    ev, _ = table.observe(
        pod("q", cs("job", T, cid="j1", term=Termination(0, "", "j1")), uid="u2"), initial=False
    )
    assert added(ev) == [("job", "j1", History.ALL)]


def test_crashloop_waiting_container_shows_the_previous_instance() -> None:
    table = ContainerTable(TargetFilter(Selection()))
    crash = cs("app", W, restarts=3, last=Termination(1, "Error", "c3"))
    ev, _ = table.observe(pod("p", crash), initial=True)
    assert added(ev) == [("app", "c3", History.CONFIGURED)]


def test_forget_removes_targets_and_status() -> None:
    table = ContainerTable(TargetFilter(Selection()))
    ev, _ = table.observe(pod("p", cs("app", cid="c1"), cs("side", cid="s1")), initial=True)
    target = ev[0].target
    assert table.status(target) is not None
    removed = table.forget("u1")
    assert sorted(e.target.container for e in removed if isinstance(e, TargetRemoved)) == ["app", "side"]
    assert all(isinstance(e, TargetRemoved) and not e.cancel for e in removed)
    assert table.status(target) is None
    # A pod re-created with the same name (new UID) is tailed again.
    ev, _ = table.observe(pod("p", cs("app", cid="c9"), uid="u2"), initial=False)
    assert added(ev) == [("app", "c9", History.ALL)]


def test_condition_flip_cancels_then_retails_from_now() -> None:
    table = ContainerTable(TargetFilter(Selection(condition=("Ready", "False"))))
    ev, _ = table.observe(pod("p", cs("app", cid="c1"), conditions={"Ready": "False"}), initial=True)
    assert added(ev) == [("app", "c1", History.CONFIGURED)]
    ev, _ = table.observe(pod("p", cs("app", cid="c1"), conditions={"Ready": "True"}), initial=False)
    assert [(type(e).__name__, e.cancel) for e in ev if isinstance(e, TargetRemoved)] == [
        ("TargetRemoved", True)
    ]
    ev, _ = table.observe(pod("p", cs("app", cid="c1"), conditions={"Ready": "False"}), initial=False)
    assert added(ev) == [("app", "c1", History.NONE)]


def test_explain_says_when_a_pod_stops_and_starts_missing_the_condition() -> None:
    table = ContainerTable(TargetFilter(Selection(condition=("Ready", "False"))), explain=True)
    said = []
    for ready in ("True", "True", "False", "True"):
        _, notices = table.observe(pod("p", cs("app", cid="c1"), conditions={"Ready": ready}), initial=False)
        said.append([n.text for n in notices if n.kind is NoticeKind.DIAGNOSTIC])
    gone = "default/p: not tailed: condition Ready=False does not hold"
    read = "default/p › app: reading with --tail/--since (it was running before pystern selected its pod)"
    assert said == [[gone], [], [read], [gone]]


def test_target_carries_workload_and_context() -> None:
    table = ContainerTable(TargetFilter(Selection()), context="prod")
    owner = OwnerReference("ReplicaSet", "web-5d8f", "rs1", controller=True)
    ev, _ = table.observe(pod("p", cs("app", cid="c1"), owners=(owner,)), initial=True)
    target = ev[0].target
    assert (target.context, target.workload, target.pod_uid) == ("prod", "ReplicaSet/web-5d8f", "u1")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([R, W, T]), st.integers(0, 4)),
        min_size=1,
        max_size=25,
    )
)
def test_each_container_instance_is_tailed_once(history: list[tuple[ContainerStateName, int]]) -> None:
    """Any sequence of statuses: each container ID that shows up is tailed exactly once."""
    table = ContainerTable(TargetFilter(Selection()))
    tailed: list[str] = []
    seen: set[str] = set()
    for i, (state, instance) in enumerate(history):
        cid = f"c{instance}" if instance else ""
        term = Termination(1, "Error", cid) if state is T and cid else None
        status = cs("app", state if cid or state is W else W, cid=cid, term=term, restarts=instance)
        if status.log_container_id:
            seen.add(status.log_container_id)
        events, _ = table.observe(pod("p", status), initial=i == 0)
        tailed.extend(e.target.container_id for e in events if isinstance(e, TargetAdded))
    assert sorted(tailed) == sorted(set(tailed))
    assert set(tailed) == seen


def test_an_instance_replaced_out_of_sight_is_read_as_previous() -> None:
    table = ContainerTable(TargetFilter(Selection()))
    events, _ = table.observe(pod("web", cs("app", cid="c1")), initial=True)
    assert added(events) == [("app", "c1", History.CONFIGURED)]
    # Two restarts between sightings (a relist after an outage): c2 ran unseen, c3 runs now.
    events, _ = table.observe(
        pod("web", cs("app", cid="c3", restarts=2, last=Termination(1, container_id="c2"))), initial=False
    )
    assert added(events) == [("app", "c2", History.PREVIOUS), ("app", "c3", History.ALL)]
    # Seen again: nothing new.
    events, _ = table.observe(
        pod("web", cs("app", cid="c3", restarts=2, last=Termination(1, container_id="c2"))), initial=False
    )
    assert added(events) == []


def test_a_new_pod_that_already_restarted_has_its_first_instance_read() -> None:
    table = ContainerTable(TargetFilter(Selection()))
    table.observe(pod("web", cs("app", cid="c1")), initial=True)
    events, _ = table.observe(
        pod("new", cs("app", cid="n2", restarts=1, last=Termination(0, container_id="n1")), uid="u2"),
        initial=False,
    )
    assert added(events) == [("app", "n1", History.PREVIOUS), ("app", "n2", History.ALL)]


def test_a_crash_looping_container_is_not_read_twice() -> None:
    table = ContainerTable(TargetFilter(Selection()))
    # Waiting to restart: the kubelet serves the last instance's log as the current one.
    events, _ = table.observe(
        pod("new", cs("app", W, restarts=1, last=Termination(1, container_id="n1")), uid="u2"), initial=False
    )
    assert added(events) == [("app", "n1", History.ALL)]
    # A plain restart seen by the watch: the old instance was tailed already.
    events, _ = table.observe(
        pod("new", cs("app", cid="n2", restarts=1, last=Termination(1, container_id="n1")), uid="u2"),
        initial=False,
    )
    assert added(events) == [("app", "n2", History.ALL)]
    # The pods present at start keep --tail/--since semantics: no previous instance is read.
    events, _ = table.observe(
        pod("old", cs("app", cid="o2", restarts=1, last=Termination(1, container_id="o1")), uid="u3"),
        initial=True,
    )
    assert added(events) == [("app", "o2", History.CONFIGURED)]


def _owned(name: str, kind: str, owner: str, pod_template_hash: str = "") -> Pod:
    labels = {"pod-template-hash": pod_template_hash} if pod_template_hash else {}
    owners = (OwnerReference(kind, owner, "u", controller=True),)
    return Pod("default", name, name, labels=labels, owners=owners)


def test_a_deployments_replicasets_are_one_colour_group() -> None:
    # During a rolling update the old and new ReplicaSets' pods are replicas of one Deployment.
    old = workload_of(_owned("web-aaaa-1", "ReplicaSet", "web-aaaa", "aaaa"))
    new = workload_of(_owned("web-bbbb-1", "ReplicaSet", "web-bbbb", "bbbb"))
    assert old == new == "Deployment/web"
    assert workload_of(_owned("api-1", "ReplicaSet", "api")) == "ReplicaSet/api"  # a ReplicaSet of its own
    assert workload_of(_owned("x-1", "ReplicaSet", "x-other", "aaaa")) == "ReplicaSet/x-other"
    assert workload_of(_owned("db-0", "StatefulSet", "db", "aaaa")) == "StatefulSet/db"
