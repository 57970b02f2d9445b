"""The library face against the sandbox (real client, real socket)."""

from __future__ import annotations

import pytest

from pystern.api import make_config, tail
from pystern.errors import UsageError
from pystern.options import ContainerState
from pystern.sandbox import Sandbox


def test_make_config_uses_the_flag_rules() -> None:
    c = make_config(
        "web", namespace="a,b", exclude=["x,y"], no_follow=True, since="5m", container_state=["running"]
    )
    assert c.selection.namespaces == ("a", "b")
    assert [p.pattern for p in c.output.excludes] == ["x,y"]
    assert not c.follow.follow
    assert c.follow.since_seconds == 300
    assert c.selection.container_states == {ContainerState.RUNNING}
    assert make_config(".", since=90).follow.since_seconds == 90


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"colour": "always"}, "unknown option 'colour'"),
        ({"version": True}, "unknown option 'version'"),
        ({"tail": "x"}, 'invalid value "x" for --tail'),
        ({"no_follow": "yes"}, 'invalid value "yes" for --no-follow: expected true or false'),
        ({"tail": None}, "option 'tail' does not take None"),
    ],
)
def test_make_config_rejects(options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        make_config(".", **options)


async def test_tail_no_follow(sandbox: Sandbox) -> None:
    sandbox.cluster.add_pod("web-1", containers=("app",))
    for n in range(3):
        sandbox.cluster.write("web-1", "app", f"line {n}")
    lines = [
        line
        async for line in tail("web", kubeconfig=str(sandbox.kubeconfig_path), no_follow=True, environ={})
    ]
    assert [(line.pod, line.container, line.message) for line in lines] == [
        ("web-1", "app", f"line {n}") for n in range(3)
    ]
    assert all(line.timestamp for line in lines)


async def test_tail_follow_stops_when_the_caller_leaves(sandbox: Sandbox) -> None:
    import contextlib

    sandbox.cluster.add_pod("web-1", containers=("app",))
    sandbox.cluster.write("web-1", "app", "first")
    seen = []
    async with contextlib.aclosing(tail("web", kubeconfig=str(sandbox.kubeconfig_path), environ={})) as lines:
        async for line in lines:
            seen.append(line.message)
            if line.message == "first":
                sandbox.cluster.write("web-1", "app", "second")
            if line.message == "second":
                break
    assert seen == ["first", "second"]
