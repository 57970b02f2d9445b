"""A kubeconfig user's ``as``, ``as-groups``, ``as-uid`` and ``as-user-extra``, sent as kubectl sends them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pystern.errors import ApiError, KubeconfigError
from pystern.kube import connect
from pystern.options import Connection
from pystern.sandbox import Sandbox
from tests.kube.conftest import write


def _config(sandbox: Sandbox, **impersonation: Any) -> dict[str, Any]:
    doc = sandbox.kubeconfig_dict()
    doc["users"][0]["user"].update(impersonation)
    return doc


async def test_requests_act_as_the_impersonated_user(sandbox: Sandbox, tmp_path: Path) -> None:
    # Ignoring `as:` would act with the base identity's rights: here the base token may not
    # read namespace default, the impersonated viewer may.
    sandbox.cluster.add_pod("a")
    sandbox.cluster.forbid("default")
    doc = _config(sandbox, **{"as": "viewer", "as-groups": ["team"], "as-user-extra": {"scopes": ["r"]}})
    path = write(tmp_path / "k", doc)
    async with await connect(Connection(kubeconfig=str(path))) as cluster:
        pods = await cluster.list_pods("default", "", "")
        assert [p.name for p in pods.pods] == ["a"]
        sandbox.cluster.forbid("default", "viewer")
        with pytest.raises(ApiError, match='User "viewer" cannot list resource "pods"'):
            await cluster.list_pods("default", "", "")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"as": 3}, 'as of user "sandbox" must be a string', id="as-not-string"),
        pytest.param({"as": "v", "as-groups": "team"}, "as-groups of user", id="groups-not-list"),
        pytest.param({"as": "v", "as-user-extra": {"k": "v"}}, "as-user-extra of user", id="extra-not-lists"),
        # aiohttp refused these headers with a ValueError, shown as an 'internal error'.
        pytest.param({"as": "a\nb"}, 'as of user "sandbox" holds a line break', id="as-line-break"),
        pytest.param({"as": "v", "as-groups": ["g\r"]}, "as-groups of user .* holds a line", id="group-cr"),
        pytest.param({"as": "v", "as-uid": "u\x00"}, "as-uid of user .* a NUL character", id="uid-nul"),
        pytest.param({"as": "v", "as-user-extra": {"k": ["\n"]}}, "as-user-extra of user", id="extra-lf"),
        # Other control characters (DEL, ESC) were internal errors too; kubectl refuses them.
        pytest.param({"as": "a\x7fb"}, 'as of user "sandbox" holds a control character, which', id="as-del"),
        pytest.param(
            {"as": "v", "as-groups": ["a\x1bb"]}, "as-groups of user .* a control character", id="group-esc"
        ),
    ],
)
async def test_malformed_impersonation_is_one_line(
    sandbox: Sandbox, tmp_path: Path, fields: dict[str, Any], message: str
) -> None:
    path = write(tmp_path / "k", _config(sandbox, **fields))
    with pytest.raises(KubeconfigError, match=message):
        await connect(Connection(kubeconfig=str(path)))
