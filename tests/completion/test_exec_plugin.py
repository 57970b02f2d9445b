"""Completion with an exec credential plugin: it must never talk with the terminal."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import yaml

from pystern.sandbox import Sandbox
from tests.completion.runner import installed
from tests.conftest import run_with_terminal_stdin

PLUGIN = """\
import json, os, pathlib, sys
here = pathlib.Path(sys.argv[0]).parent
(here / "exec-info.json").write_text(os.environ["KUBERNETES_EXEC_INFO"])
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                  "status": {"token": os.environ["WANTED_TOKEN"]}}))
"""


async def test_a_plugin_is_not_interactive_while_completing(sandbox: Sandbox, tmp_path: Path) -> None:
    # A completion runs while the user types at the prompt: a plugin that prompted would read
    # those keystrokes (its messages hidden) until the look-up gives up.
    sandbox.cluster.add_namespace("shop")
    script = tmp_path / "plugin.py"
    script.write_text(PLUGIN)
    doc = sandbox.kubeconfig_dict()
    doc["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(script)],
            "env": [{"name": "WANTED_TOKEN", "value": sandbox.token}],
        }
    }
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(doc))
    # The shell's terminal on stdin, as bash hands it to the callback.
    _, out, _ = await run_with_terminal_stdin(
        str(installed()),
        "__complete",
        "-n",
        "",
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        within=20,
    )
    assert "shop" in out.decode().split()
    info = json.loads((tmp_path / "exec-info.json").read_text())
    assert info["spec"] == {"interactive": False}
