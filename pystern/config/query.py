"""The positional query: a pod-name regex, or ``<kind>/<name>`` for a workload.

Kind aliases are stern's (``po``, ``deploy``, ``sts``, ...) plus ``cronjob``/``cj``,
matched case-insensitively like kubectl does, and an optional API group suffix
(``deployments.apps/web``) as ``kubectl get`` prints it.
"""

from __future__ import annotations

import sys

import regex

from pystern.config.re2 import translate
from pystern.errors import UsageError, shorten
from pystern.options import ResourceQuery

_ALIASES: dict[str, tuple[str, ...]] = {
    "pods": ("po", "pod", "pods"),
    "deployments": ("deploy", "deployment", "deployments"),
    "replicasets": ("rs", "replicaset", "replicasets"),
    "statefulsets": ("sts", "statefulset", "statefulsets"),
    "daemonsets": ("ds", "daemonset", "daemonsets"),
    "jobs": ("job", "jobs"),
    "cronjobs": ("cj", "cronjob", "cronjobs"),
    "services": ("svc", "service", "services"),
    "replicationcontrollers": ("rc", "replicationcontroller", "replicationcontrollers"),
}
KINDS: dict[str, str] = {alias: plural for plural, aliases in _ALIASES.items() for alias in aliases}
"""Every accepted alias -> the plural resource name the API uses."""

_GROUPS: dict[str, str] = {
    "pods": "",
    "services": "",
    "replicationcontrollers": "",
    "deployments": "apps",
    "replicasets": "apps",
    "statefulsets": "apps",
    "daemonsets": "apps",
    "jobs": "batch",
    "cronjobs": "batch",
}
# A DNS-1123 subdomain: what the API accepts as an object name.
_NAME = regex.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")


# The regex module parses a nested group a few Python frames deeper than its parent: patterns nested as
# deeply as Go allows (1000) need more frames than Python's default limit of 1000.
_COMPILE_FRAMES = 20_000


def compile_regex(text: str, what: str, flag: str) -> regex.Pattern[str]:
    """Compile one user regex, read as Go RE2 syntax (``re2.translate``), as stern does.

    On error stern's ``failed to compile regular expression <what>: error parsing regexp: ...``.
    """
    try:
        return _compile(translate(text))
    except RecursionError:
        # Only groups that add no height in Go's parse tree (``(?:(?:...))``) can get this far.
        message = "the pattern nests deeper than Python's regex module can follow"
        raise UsageError(f"failed to compile regular expression {what}: {message}", flag=flag) from None
    except (regex.error, ValueError, OverflowError) as exc:
        raise UsageError(
            f"failed to compile regular expression {what}: {exc}{_glob_hint(text, flag)}", flag=flag
        ) from None


def _glob_hint(text: str, flag: str) -> str:
    # `pystern '*web*'` is a shell-glob habit; Go's "missing argument to repetition operator"
    # does not say that a plain word already matches anywhere in the name.
    if not text.startswith("*"):
        return ""
    meant = text.strip("*").replace("*", ".*") or "."
    what = "the query" if flag == "query" else f"--{flag}"
    return f'; {what} is a regular expression, not a glob: write "{shorten(meant)}" (it matches anywhere)'


def _compile(pattern: str) -> regex.Pattern[str]:
    limit = sys.getrecursionlimit()
    if limit >= _COMPILE_FRAMES:
        return regex.compile(pattern)
    sys.setrecursionlimit(_COMPILE_FRAMES)
    try:
        return regex.compile(pattern)
    finally:
        sys.setrecursionlimit(limit)


def parse_query(text: str) -> tuple[regex.Pattern[str], ResourceQuery | None]:
    """Split the positional argument into (pod-name regex, resource query or None)."""
    if "/" not in text:
        return compile_regex(text, "from query", "query"), None
    parts = text.split("/")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise UsageError('resource must be specified in the form "<resource>/<name>"', flag="query")
    kind_text, name = parts
    base, _, group = kind_text.lower().partition(".")
    kind = KINDS.get(base)
    if kind is None or (group and group != _GROUPS[kind]):
        supported = ", ".join(sorted(_ALIASES))
        raise UsageError(
            f"resource type {shorten(kind_text)} is not supported (use one of {supported})", flag="query"
        )
    if len(name) > 253 or not _NAME.match(name):
        raise UsageError(
            f'invalid name "{shorten(name)}" in query "{shorten(text)}": object names are lower case '
            "letters, digits, "
            "'-' and '.', starting and ending with a letter or digit",
            flag="query",
        )
    # stern inserts the name unescaped into ^...$; a '.' in a pod name must not match any character.
    pod_query = regex.compile("^" + regex.escape(name) + "$") if kind == "pods" else regex.compile("")
    return pod_query, ResourceQuery(kind=kind, name=name)
