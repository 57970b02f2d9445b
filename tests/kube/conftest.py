"""Helpers for the kube tests: kubeconfig writers and exec-plugin scripts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

EXEC_API = "client.authentication.k8s.io/v1beta1"

PLUGIN = f"""\
import json, os, sys, pathlib
here = pathlib.Path(sys.argv[0]).parent
count = here / "runs"
count.write_text(str(int(count.read_text()) + 1) if count.exists() else "1")
mode = sys.argv[1]
if mode == "fail":
    sys.stderr.write("token expired, please log in\\nsecond line\\n")
    sys.exit(3)
if mode == "junk":
    print("this is not json")
    sys.exit(0)
if mode == "flood":
    while True:
        sys.stdout.write("y\\n" * 65536)
if mode == "deep":
    print("[" * 100000 + "]" * 100000)
    sys.exit(0)
if mode == "empty-status":
    print(json.dumps({{"apiVersion": "{EXEC_API}", "kind": "ExecCredential", "status": {{}}}}))
    sys.exit(0)
status = {{"token": (here / "token").read_text().strip()}}
if len(sys.argv) > 2:
    status["expirationTimestamp"] = sys.argv[2]
print(json.dumps({{"apiVersion": "{EXEC_API}", "kind": "ExecCredential", "status": status}}))
"""


def kubeconfig(
    clusters: dict[str, dict[str, Any]],
    users: dict[str, dict[str, Any]],
    contexts: dict[str, dict[str, Any]],
    current: str | None = None,
) -> dict[str, Any]:
    """A kubeconfig dict from name -> body maps."""
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": k, "cluster": v} for k, v in clusters.items()],
        "users": [{"name": k, "user": v} for k, v in users.items()],
        "contexts": [{"name": k, "context": v} for k, v in contexts.items()],
    }
    if current is not None:
        doc["current-context"] = current
    return doc


def write(path: Path, doc: dict[str, Any] | str) -> Path:
    """Write a kubeconfig (dict as YAML, or raw text)."""
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return path


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    """An exec credential plugin script; it prints the token in ``token`` beside it."""
    script = tmp_path / "plugin" / "cred.py"
    script.parent.mkdir()
    script.write_text(PLUGIN)
    (script.parent / "token").write_text("plugin-token")
    return script


def exec_user(script: Path, mode: str = "ok", *extra: str) -> dict[str, Any]:
    """A kubeconfig user running ``script`` as an exec plugin."""
    return {
        "exec": {
            "apiVersion": EXEC_API,
            "command": sys.executable,
            "args": [str(script), mode, *extra],
            "interactiveMode": "Never",
        }
    }


def plugin_runs(script: Path) -> int:
    """How many times the plugin has run."""
    runs = script.parent / "runs"
    return int(runs.read_text()) if runs.exists() else 0
