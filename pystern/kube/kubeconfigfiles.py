"""Find, read and merge kubeconfig files the way kubectl does (stdlib + yaml only).

kubectl lets the *first* file of ``$KUBECONFIG`` that sets ``current-context`` (or a named
cluster, user or context) win; kubernetes_asyncio lets the last one win, and freezes
``$KUBECONFIG`` at import time.  Picking a context out of the merged data and applying the
command-line overrides is :mod:`pystern.kube.kubeconfig`'s job.

Every problem is a ``KubeconfigError`` with one line naming the file or entry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pystern.errors import KubeconfigError, shorten
from pystern.options import Connection
from pystern.textfiles import FileTooLarge, read_limited
from pystern.yamltext import YamlProblem, load_yaml

__all__ = ["find_kubeconfig_files", "list_contexts", "load_merged", "yaml_kind"]


# Fields that hold file paths, resolved against the directory of the file that defines them.
_CLUSTER_PATHS = ("certificate-authority",)
_USER_PATHS = ("client-certificate", "client-key", "tokenFile")


def _not_a_directory(path: Path, source: str) -> None:
    # kubectl refuses a directory too ("read <path>: is a directory"); skipping it, or calling it
    # missing, would send the user looking for a typo.
    if path.is_dir():
        raise KubeconfigError(f"kubeconfig {path} is a directory, not a file (from {source})")


def find_kubeconfig_files(connection: Connection, environ: Mapping[str, str] | None = None) -> list[Path]:
    """The kubeconfig files to merge, highest precedence first.

    ``--kubeconfig`` names exactly one file, which must exist (as in kubectl).  Otherwise
    every existing entry of ``$KUBECONFIG`` counts (missing ones are skipped, a directory is
    an error, as in kubectl), else
    ``~/.kube/config`` when it exists.
    """
    env = os.environ if environ is None else environ
    if connection.kubeconfig:
        path = Path(os.path.expanduser(connection.kubeconfig))
        _not_a_directory(path, "--kubeconfig")
        if not path.exists():
            raise KubeconfigError(f"kubeconfig {path} does not exist (from --kubeconfig)")
        return [path]
    raw = env.get("KUBECONFIG", "")
    if raw:
        seen: list[Path] = []
        for part in raw.split(os.pathsep):
            if not part:
                continue
            path = Path(os.path.expanduser(part))
            _not_a_directory(path, "$KUBECONFIG")
            if path.exists() and path not in seen:
                seen.append(path)
        return seen
    home = env.get("HOME")
    default = (Path(home) if home else Path.home()) / ".kube" / "config"
    return [default] if default.is_file() else []


_YAML_KINDS = {
    bool: "true/false",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
}


def yaml_kind(value: object) -> str:
    """What a YAML value is, in a user's words (``a number``), for 'must be a string, not ...'."""
    return _YAML_KINDS.get(type(value), type(value).__name__)


_PIPED: dict[Path, bytes] = {}
"""What each kubeconfig that is not a regular file held, read once (see ``_read_bytes``)."""


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; a pipe (``--kubeconfig <(sops -d ...)``) is read once per process.

    pystern resolves the kubeconfig once per context (and again for completion), and a pipe
    can be read only once: the second open would wait for a writer that has gone.  Regular
    files are read each time, so a kubeconfig edited during a run is seen as it is now.
    """
    if path in _PIPED:
        return _PIPED[path]
    data = read_limited(path)
    if not path.is_file():
        _PIPED[path] = data
    return data


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = _read_bytes(path).decode("utf-8")
    except OSError as exc:
        raise KubeconfigError(f"cannot read kubeconfig {path}: {exc.strerror or exc}") from exc
    except FileTooLarge as exc:
        raise KubeconfigError(f"cannot read kubeconfig {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise KubeconfigError(f"kubeconfig {path} is not UTF-8 text") from exc
    try:
        data = load_yaml(text)
    except YamlProblem as exc:
        raise KubeconfigError(f"kubeconfig {path} {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KubeconfigError(f"kubeconfig {path} must be a mapping, not {type(data).__name__}")
    _check_kind(data, path)
    return data


def _check_kind(data: Mapping[str, Any], path: Path) -> None:
    """Refuse a file of another kind (a Pod manifest named by mistake), as kubectl's decoder does.

    Left out, ``apiVersion`` and ``kind`` default to ``v1`` and ``Config``; anything else
    (``kind: Pod``, ``apiVersion: v2``) is refused by kubectl.  pystern read such a file as an
    empty kubeconfig and blamed a missing current-context, or, with others in ``$KUBECONFIG``,
    ignored it.
    """
    for key in ("apiVersion", "kind"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise KubeconfigError(f"kubeconfig {path}: {key} must be a string, not {yaml_kind(value)}")
    api, kind = data.get("apiVersion") or "v1", data.get("kind") or "Config"
    if (api, kind) != ("v1", "Config"):
        raise KubeconfigError(
            f'kubeconfig {path} is not a kubeconfig: it holds kind "{shorten(str(kind), 40)}" '
            f'of apiVersion "{shorten(str(api), 40)}" (a kubeconfig is kind Config, apiVersion v1)'
        )


def _named_entries(data: Mapping[str, Any], section: str, body: str, path: Path) -> list[tuple[str, Any]]:
    items = data.get(section)
    if items is None:
        return []
    if not isinstance(items, list):
        raise KubeconfigError(f"kubeconfig {path}: '{section}' must be a list")
    out: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise KubeconfigError(f"kubeconfig {path}: every entry of '{section}' needs a name")
        if item["name"] in seen:
            # client-go's conversion refuses it ("duplicate name ... in list"), whichever one is used.
            raise KubeconfigError(
                f'kubeconfig {path}: {section[:-1]} "{shorten(item["name"])}" is defined twice '
                "(kubectl refuses a name used twice in one file)"
            )
        seen.add(item["name"])
        entry = item.get(body)
        if entry is None:
            entry = {}
        if not isinstance(entry, dict):
            raise KubeconfigError(f"kubeconfig {path}: {section[:-1]} {item['name']!r} must be a mapping")
        out.append((item["name"], entry))
    return out


def _absolute(entry: dict[str, Any], keys: tuple[str, ...], base: Path) -> dict[str, Any]:
    entry = dict(entry)
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str) and value and not os.path.isabs(os.path.expanduser(value)):
            entry[key] = str(base / value)
        elif isinstance(value, str) and value:
            entry[key] = os.path.expanduser(value)
    return entry


def _absolute_exec(user: dict[str, Any], base: Path) -> dict[str, Any]:
    exec_cfg = user.get("exec")
    if isinstance(exec_cfg, dict):
        command = exec_cfg.get("command")
        # client-go resolves the command only when it contains a path separator.
        if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
            user = dict(user)
            user["exec"] = {**exec_cfg, "command": str(base / command)}
    return user


def load_merged(paths: list[Path]) -> dict[str, Any]:
    """Merge kubeconfig files with kubectl's rules: for every named cluster, user and
    context, and for ``current-context``, the first file that sets it wins.

    Relative file paths inside an entry are made absolute against that entry's file.
    """
    merged: dict[str, Any] = {"clusters": {}, "users": {}, "contexts": {}, "current-context": ""}
    for path in paths:
        data = _read_file(path)
        # Absolute but not through symlinks, as client-go's filepath.Abs: ~/.kube/config linked to
        # a file elsewhere keeps its relative certificate paths beside the link.
        base = Path(os.path.abspath(path)).parent
        for name, cluster in _named_entries(data, "clusters", "cluster", path):
            merged["clusters"].setdefault(name, _absolute(cluster, _CLUSTER_PATHS, base))
        for name, user in _named_entries(data, "users", "user", path):
            merged["users"].setdefault(name, _absolute_exec(_absolute(user, _USER_PATHS, base), base))
        for name, ctx in _named_entries(data, "contexts", "context", path):
            merged["contexts"].setdefault(name, ctx)
        current = data.get("current-context")
        if current is not None and not isinstance(current, str):
            # `current-context: 5` read as "sets no current-context"; kubectl's decoding refuses it.
            raise KubeconfigError(
                f"kubeconfig {path}: current-context must be a string, not {yaml_kind(current)}"
            )
        if not merged["current-context"] and current:
            merged["current-context"] = current
    return merged


def list_contexts(connection: Connection, environ: Mapping[str, str] | None = None) -> tuple[list[str], str]:
    """Context names (file order, de-duplicated) and the current context ("" if unset)."""
    merged = load_merged(find_kubeconfig_files(connection, environ))
    return list(merged["contexts"]), str(merged["current-context"])
