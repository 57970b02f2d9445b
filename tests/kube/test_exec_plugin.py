"""exec credential plugins as kubectl runs them: what they see, where their messages go."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from pystern import errors
from pystern.errors import KubeconfigError
from pystern.kube import connect
from pystern.options import Connection
from pystern.sandbox import Sandbox
from tests.conftest import run_with_terminal_stdin
from tests.kube.conftest import EXEC_API, write

# Prints a device-code style prompt on stderr, as kubelogin and cloud CLIs do, and answers only
# once the user has acted on it (here: the test creates the file "go" after seeing the prompt).
PROMPTING = f"""\
import json, os, pathlib, sys, time
here = pathlib.Path(sys.argv[0]).parent
(here / "exec-info.json").write_text(os.environ.get("KUBERNETES_EXEC_INFO", "null"))
sys.stderr.write("To sign in, open https://login.example/device and enter ABCD-1234\\n")
sys.stderr.flush()
for _ in range(100):
    if (here / "go").exists():
        break
    time.sleep(0.05)
print(json.dumps({{"apiVersion": "{EXEC_API}", "kind": "ExecCredential",
                  "status": {{"token": os.environ["WANTED_TOKEN"]}}}}))
"""


def _prompting_user(tmp_path: Path, token: str, **extra: Any) -> dict[str, Any]:
    script = tmp_path / "plugin" / "login.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(PROMPTING)
    return {
        "exec": {
            "apiVersion": EXEC_API,
            "command": sys.executable,
            "args": [str(script)],
            "env": [{"name": "WANTED_TOKEN", "value": token}],
            **extra,
        }
    }


def _config(sandbox: Sandbox, user: dict[str, Any]) -> dict[str, Any]:
    doc = sandbox.kubeconfig_dict()
    doc["users"][0]["user"] = user
    return doc


async def test_the_plugins_messages_reach_the_user_while_it_runs(sandbox: Sandbox, tmp_path: Path) -> None:
    # kubectl hands the plugin its own stderr: a login prompt must be seen while the plugin
    # waits for the user, not swallowed until it exits (which it would only do after the login).
    path = write(tmp_path / "k", _config(sandbox, _prompting_user(tmp_path, sandbox.token)))
    err = io.StringIO()
    task = asyncio.create_task(connect(Connection(kubeconfig=str(path)), stderr=err))
    seen_while_running = False
    for _ in range(200):
        if "ABCD-1234" in err.getvalue():
            seen_while_running = not task.done()
            break
        await asyncio.sleep(0.025)
    (tmp_path / "plugin" / "go").write_text("")
    cluster = await task
    await cluster.aclose()
    assert seen_while_running
    assert err.getvalue() == "To sign in, open https://login.example/device and enter ABCD-1234\n"


async def test_an_interactive_plugin_is_told_so_when_stdin_is_a_terminal(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    # client-go asks the terminal on stdin, not stdout: `pystern . | grep x` is still interactive.
    user = _prompting_user(tmp_path, tls_sandbox.token)
    (tmp_path / "plugin" / "go").write_text("")
    path = write(tmp_path / "k", _config(tls_sandbox, user))
    code, _, err = await run_with_terminal_stdin(
        str(Path(sys.executable).parent / "pystern"),
        ".",
        "--no-follow",
        env={**os.environ, "KUBECONFIG": str(path)},
    )
    assert code == 0, err
    info = json.loads((tmp_path / "plugin" / "exec-info.json").read_text())
    assert info == {"apiVersion": EXEC_API, "kind": "ExecCredential", "spec": {"interactive": True}}


SLOW_LOGIN = f"""\
import json, os, pathlib, sys, time
log = pathlib.Path(sys.argv[1])
with log.open("a") as f:
    f.write("start " + sys.argv[2] + "\\n")
time.sleep(0.4)
with log.open("a") as f:
    f.write("end " + sys.argv[2] + "\\n")
print(json.dumps({{"apiVersion": "{EXEC_API}", "kind": "ExecCredential",
                  "status": {{"token": os.environ["WANTED_TOKEN"]}}}}))
"""


async def test_interactive_plugins_of_several_contexts_take_turns(
    tls_sandbox: Sandbox, tmp_path: Path
) -> None:
    # `--context a,b` connects to both at once; two plugins prompting on one terminal at the
    # same time would mix their prompts and split the user's typing between them.
    script = tmp_path / "login.py"
    script.write_text(SLOW_LOGIN)
    log = tmp_path / "log"
    doc = tls_sandbox.kubeconfig_dict()
    cluster = doc["contexts"][0]["context"]["cluster"]
    doc["users"] = []
    doc["contexts"] = []
    for name in ("a", "b"):
        exec_cfg = {
            "apiVersion": EXEC_API,
            "command": sys.executable,
            "args": [str(script), str(log), name],
            "env": [{"name": "WANTED_TOKEN", "value": tls_sandbox.token}],
        }
        doc["users"].append({"name": name, "user": {"exec": exec_cfg}})
        doc["contexts"].append({"name": name, "context": {"cluster": cluster, "user": name}})
    path = write(tmp_path / "k", doc)
    code, _, err = await run_with_terminal_stdin(
        str(Path(sys.executable).parent / "pystern"),
        ".",
        "--no-follow",
        "--context",
        "a,b",
        env={**os.environ, "KUBECONFIG": str(path)},
    )
    assert code == 0, err
    turns = log.read_text().split()[0::2]
    assert turns == ["start", "end", "start", "end"], log.read_text()


@pytest.mark.parametrize(
    ("exec_config", "message"),
    [
        # The OS cuts at the NUL: "tr\0ue" ran `tr`, which complained about its operands.
        ({"command": "tr\0ue"}, 'credential plugin "tr^@ue" of user "sandbox": command holds a NUL'),
        ({"command": "true", "args": ["a\0b"]}, 'credential plugin "true" of user "sandbox": args hold'),
        ({"command": "true", "env": [{"name": "A", "value": "\0"}]}, ": env holds a NUL character"),
        ({"command": "true", "env": [{"name": "A=B", "value": "b"}]}, ": env name 'A=B' holds '='"),
        # kubectl: 'exec plugin: invalid apiVersion' (client-go knows only v1 and v1beta1 now).
        (
            {"command": "true", "apiVersion": "client.authentication.k8s.io/v1alpha1"},
            "apiVersion 'client.authentication.k8s.io/v1alpha1' is not client.authentication.k8s.io/v1 or",
        ),
        # client-go defaults interactiveMode to IfAvailable for v1beta1 only; v1 must say it.
        (
            {"command": "true", "apiVersion": "client.authentication.k8s.io/v1"},
            'credential plugin "true" of user "sandbox": interactiveMode must be specified'
            " (client.authentication.k8s.io/v1 has no default: Never, IfAvailable or Always)",
        ),
        # kubectl's decoding refuses a quoted "true"; pystern ran the plugin without the cluster's
        # details, which it may need to log in.
        (
            {"command": "true", "provideClusterInfo": "true"},
            'credential plugin "true" of user "sandbox": provideClusterInfo must be true or false, '
            "not a string",
        ),
    ],
)
async def test_an_exec_config_the_os_or_client_go_refuses_is_one_error(
    sandbox: Sandbox, tmp_path: Path, exec_config: dict[str, Any], message: str
) -> None:
    doc = sandbox.kubeconfig_dict()
    doc["users"][0]["user"] = {"exec": {"apiVersion": EXEC_API, **exec_config}}
    path = write(tmp_path / "k", doc)
    with pytest.raises(KubeconfigError) as info:
        await connect(Connection(kubeconfig=str(path)), stderr=io.StringIO())
    assert message in errors.escape_text(str(info.value))


async def test_provide_cluster_info_passes_the_clusters_exec_extension_and_compression(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # kubectl 1.33 hands the plugin spec.cluster.config (the cluster's extension named
    # client.authentication.k8s.io/exec) and disable-compression; pystern left both out, so a
    # plugin configured through the extension (its audience, its region) could not work.
    (tmp_path / "plugin").mkdir()
    (tmp_path / "plugin" / "go").write_text("")
    doc = _config(
        sandbox, _prompting_user(tmp_path, sandbox.token, interactiveMode="Never", provideClusterInfo=True)
    )
    cluster = doc["clusters"][0]["cluster"]
    cluster["disable-compression"] = True
    extension = {"audience": "api.example", "regions": ["a", "b"]}
    cluster["extensions"] = [
        {"name": "other/extension", "extension": {"ignored": True}},
        {"name": "client.authentication.k8s.io/exec", "extension": extension},
    ]
    path = write(tmp_path / "k", doc)
    async with await connect(Connection(kubeconfig=str(path))) as cluster_client:
        await cluster_client.list_pods("default", "", "")
    info = json.loads((tmp_path / "plugin" / "exec-info.json").read_text())
    assert info["spec"]["cluster"] == {
        "server": sandbox.url,
        "disable-compression": True,
        "config": extension,
    }


@pytest.mark.parametrize(
    "extension",
    ["when: 2024-01-01\n", "2024-01-01: c\n", "&loop [*loop]\n"],
    ids=["date", "date-key", "self-reference"],
)
async def test_an_exec_extension_json_cannot_carry_is_one_error(
    sandbox: Sandbox, tmp_path: Path, extension: str
) -> None:
    import yaml

    doc = _config(
        sandbox, _prompting_user(tmp_path, sandbox.token, interactiveMode="Never", provideClusterInfo=True)
    )
    (tmp_path / "plugin" / "go").write_text("")
    doc["clusters"][0]["cluster"]["extensions"] = [
        {"name": "client.authentication.k8s.io/exec", "extension": yaml.safe_load(extension)}
    ]
    if extension.startswith("when"):  # a date is passed as text, as in kubectl
        path = write(tmp_path / "k", doc)
        async with await connect(Connection(kubeconfig=str(path))) as cluster:
            await cluster.list_pods("default", "", "")
        info = json.loads((tmp_path / "plugin" / "exec-info.json").read_text())
        assert info["spec"]["cluster"]["config"] == {"when": "2024-01-01"}
        return
    path = write(tmp_path / "k", yaml.dump(doc))  # yaml.dump keeps the odd key / the anchor
    with pytest.raises(KubeconfigError, match="extension cannot be passed to it as JSON"):
        await connect(Connection(kubeconfig=str(path)))
