"""parse_pod on raw JSON dicts, including the odd shapes real servers send."""

from __future__ import annotations

from typing import Any

import pytest

from pystern.kube import parse_pod
from pystern.kube.objects import MalformedObject
from pystern.model import ContainerKind, ContainerStateName

POD: dict[str, Any] = {
    "metadata": {
        "name": "web-1",
        "namespace": "prod",
        "uid": "u1",
        "resourceVersion": "42",
        "generateName": "web-",
        "labels": {"app": "web"},
        "annotations": {"kubectl.kubernetes.io/default-container": "app"},
        "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "uid": "rs1", "controller": True}],
        "deletionTimestamp": "2024-05-01T00:00:00Z",
    },
    "spec": {
        "nodeName": "node-1",
        "initContainers": [{"name": "init"}],
        "containers": [{"name": "app"}, {"name": "side"}],
        "ephemeralContainers": [{"name": "debug"}],
    },
    "status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "False"}],
        "initContainerStatuses": [
            {
                "name": "init",
                "state": {"terminated": {"exitCode": 0, "reason": "Completed", "containerID": "c://i"}},
            }
        ],
        "containerStatuses": [
            {
                "name": "app",
                "containerID": "c://a2",
                "restartCount": 3,
                "state": {"running": {"startedAt": "x"}},
                "lastState": {
                    "terminated": {"exitCode": 137, "reason": "OOMKilled", "containerID": "c://a1"}
                },
            },
            {"name": "side", "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {}},
        ],
        "ephemeralContainerStatuses": [{"name": "debug", "state": {}}],
    },
}


def test_full_pod() -> None:
    pod = parse_pod(POD)
    assert (pod.namespace, pod.name, pod.uid, pod.resource_version) == ("prod", "web-1", "u1", "42")
    assert pod.node_name == "node-1"
    assert pod.deleting
    assert pod.conditions == {"Ready": "False"}
    assert pod.owners[0].kind == "ReplicaSet"
    assert pod.owners[0].controller
    assert pod.spec_containers == (
        ("init", ContainerKind.INIT),
        ("app", ContainerKind.REGULAR),
        ("side", ContainerKind.REGULAR),
        ("debug", ContainerKind.EPHEMERAL),
    )
    init, app, side, debug = pod.statuses
    assert init.state is ContainerStateName.TERMINATED
    assert init.terminated is not None
    assert init.terminated.reason == "Completed"
    assert (app.state, app.container_id, app.restart_count) == (ContainerStateName.RUNNING, "c://a2", 3)
    assert app.last_terminated is not None
    assert app.last_terminated.exit_code == 137
    assert (side.state, side.waiting_reason, side.last_terminated) == (
        ContainerStateName.WAITING,
        "CrashLoopBackOff",
        None,
    )
    assert debug.state is ContainerStateName.UNKNOWN


def test_nulls_and_wrong_types_are_tolerated() -> None:
    pod = parse_pod(
        {
            "metadata": {"name": "p", "namespace": "n", "labels": None, "annotations": {"n": 1}},
            "spec": {"containers": None},
            "status": {"containerStatuses": [None, {"state": None}], "conditions": "nope"},
        }
    )
    assert dict(pod.labels) == {}
    assert pod.annotations == {"n": "1"}
    assert pod.statuses == ()
    assert pod.spec_containers == ()


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(None, id="none"),
        pytest.param([], id="list"),
        pytest.param({}, id="no-metadata"),
        pytest.param({"metadata": {"name": "x"}}, id="no-namespace"),
        pytest.param({"metadata": {"namespace": "x", "name": 3}}, id="name-not-str"),
    ],
)
def test_malformed(obj: Any) -> None:
    with pytest.raises(MalformedObject):
        parse_pod(obj)
