"""Candidates for the word under the cursor, in cobra's ``__complete`` answer format.

The answer is one candidate per line (``value`` or ``value<TAB>description``) and a last
line ``:<directive>``, the protocol cobra programs (stern, kubectl) speak, which is also
what kubectl expects from a ``kubectl_complete-<plugin>`` executable.  For a word holding a
flag and ``=`` (``--color=al``, ``-n=te``) the candidates are the values alone: the shell
script puts the ``--flag=`` back, as cobra's scripts do.  The directive is a
bit set: 1 error (complete nothing), 2 no space after the candidate, 4 no file names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pystern.completion import lookup
from pystern.completion.line import LineState, read_line
from pystern.config.flags import BY_NAME, BY_SHORT, FLAGS, Flag, Kind

ERROR = 1
NO_SPACE = 2
NO_FILES = 4

QUERY_KINDS = (
    "pod",
    "replicationcontroller",
    "service",
    "deployment",
    "daemonset",
    "replicaset",
    "statefulset",
    "job",
    "cronjob",
)
"""Kinds offered for a query without '/' (stern's list, plus cronjob which pystern tails)."""

_FILE_FLAGS = frozenset(
    {
        "kubeconfig",
        "template-file",
        "config",
        "certificate-authority",
        "client-certificate",
        "client-key",
        "cache-dir",
    }
)


@dataclass(frozen=True, slots=True)
class Answer:
    """Candidates (``value`` or ``value\\tdescription``) and the directive bits."""

    candidates: tuple[str, ...]
    directive: int

    def render(self) -> str:
        """The text printed for the shell script (or kubectl) to read."""
        return "".join(f"{c}\n" for c in self.candidates) + f":{self.directive}\n"


def _starting(prefix: str, values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v for v in values if v.startswith(prefix))


def _context(state: LineState) -> str | None:
    # Several --context values tail several clusters; a look-up asks the first one.
    return state.contexts[0] if state.contexts else None


def _flag_values(flag: Flag, typed: str, state: LineState, env: Mapping[str, str]) -> Answer:
    """Values for ``flag``; ``typed`` is the value text typed so far."""
    head = ""
    if flag.kind is Kind.SLICE and "," in typed:
        # -n a,b<TAB>: complete the last item of a comma-separated list.
        head, _, typed = typed.rpartition(",")
        head += ","

    def done(values: Sequence[str]) -> Answer:
        return Answer(tuple(head + v for v in _starting(typed, values)), NO_FILES)

    if flag.choices:
        return done(flag.choices)
    if flag.name in _FILE_FLAGS:
        return Answer((), 0)  # the shell completes file names
    try:
        if flag.name == "context":
            return done(lookup.contexts(state.kubeconfig, env))
        if flag.name == "namespace":
            return done(lookup.object_names(state.kubeconfig, _context(state), "namespaces", None, env))
        if flag.name == "node":
            return done(lookup.object_names(state.kubeconfig, _context(state), "nodes", None, env))
    except lookup.LookupFailed:
        return Answer((), ERROR)
    return Answer((), NO_FILES)


def _flag_names(typed: str) -> Answer:
    """Flag names starting with ``typed``: each long form, then its short one (cobra's order)."""
    out = []
    for flag in FLAGS:
        if flag.hidden:
            continue
        word = f"--{flag.name}"
        if flag.kind is not Kind.BOOL and flag.bare_value is not None:
            word += "="  # pflag: -t alone means default; another value goes after '='
        # cobra offers `-n` beside `--namespace` for `-<TAB>`, and `-n` alone for `-n<TAB>`.
        for candidate in (word, f"-{flag.short}" if flag.short else ""):
            if candidate and candidate.startswith(typed):
                out.append(f"{candidate}\t{flag.help}")
    directive = NO_FILES | (NO_SPACE if any(c.split("\t")[0].endswith("=") for c in out) else 0)
    return Answer(tuple(out), directive)


def _query(typed: str, state: LineState, env: Mapping[str, str]) -> Answer:
    from pystern.config.query import KINDS

    if "/" not in typed:
        return Answer(tuple(k + "/" for k in QUERY_KINDS if k.startswith(typed)), NO_SPACE | NO_FILES)
    kind_text, _, prefix = typed.partition("/")
    kind = KINDS.get(kind_text.lower().partition(".")[0])
    if kind is None or "/" in prefix:
        return Answer((), NO_FILES)
    # stern completes nothing here ("multiple namespaces are not supported"), but the command
    # takes `-A deploy/web` and `-n a,b deploy/web`, so offer what those namespaces hold.
    namespace: str | tuple[str, ...] | None = tuple(dict.fromkeys(state.namespaces)) or ""
    if state.all_namespaces:
        namespace = None
    try:
        names = lookup.object_names(state.kubeconfig, _context(state), kind, namespace, env)
    except lookup.LookupFailed:
        return Answer((), ERROR)
    return Answer(tuple(f"{kind_text}/{n}" for n in names if n.startswith(prefix)), NO_FILES)


def _fill_from_settings(state: LineState, env: Mapping[str, str]) -> None:
    """The cluster flags as the command would take them: line, then ``PYSTERN_*`` variables, then file.

    The same layering as the CLI (``config.file.merge_layers``), so completion looks up the
    cluster and namespace the command would tail.  A broken config file or variable is the
    command's business to report: here it is ignored.
    """
    from pystern.config.file import load_config_file, merge_layers, values_from_env
    from pystern.config.flags import Value
    from pystern.errors import PysternError

    layers: list[tuple[Mapping[str, Value], str]] = []
    with contextlib.suppress(PysternError):
        layers.append((load_config_file(state.config, env).values, "file"))
    with contextlib.suppress(PysternError):
        layers.append((values_from_env(env), "env"))
    line: dict[str, Value] = {}
    if state.kubeconfig:
        line["kubeconfig"] = state.kubeconfig
    if state.contexts:
        line["context"] = tuple(state.contexts)
    if state.namespaces:
        line["namespace"] = tuple(state.namespaces)
    if state.all_namespaces is not None:
        line["all-namespaces"] = state.all_namespaces
    settings, _ = merge_layers([*layers, (line, "command line")])
    kubeconfig = settings.get("kubeconfig")
    state.kubeconfig = kubeconfig if isinstance(kubeconfig, str) else ""
    contexts = settings.get("context")
    state.contexts = [c for c in contexts if c] if isinstance(contexts, tuple) else []
    namespaces = settings.get("namespace")
    state.namespaces = [n for n in namespaces if n] if isinstance(namespaces, tuple) else []
    state.all_namespaces = settings.get("all-namespaces") is True


def _short_with_value(typed: str) -> tuple[Flag, str, str] | None:
    """``-o=j`` / ``-oj`` / ``-Ao=j``: (the flag waiting for a value, the word's head, the value so far).

    pflag reads bool letters (and ``-t``, whose bare form needs no value) and then the first
    letter that takes a value, which gets the rest of the word, after an optional ``=``.
    None when the word holds no value yet (``-o``: a space comes next) or is not such a word.
    """
    if not typed.startswith("-") or typed.startswith("--"):
        return None
    letters = typed[1:]
    for i, letter in enumerate(letters):
        flag = BY_SHORT.get(letter)
        if flag is None:
            return None
        if flag.kind is Kind.BOOL or flag.bare_value is not None:
            if letters[i + 1 : i + 2] != "=":
                continue
            if flag.kind is Kind.BOOL:
                return None  # -A=false: nothing to offer
            return flag, typed[: i + 3], letters[i + 2 :]  # -t=s: --timestamps' values
        rest = letters[i + 1 :]
        if not rest:
            return None
        head = typed[: i + 2] + ("=" if rest.startswith("=") else "")
        return flag, head, rest.removeprefix("=")
    return None


def complete(args: Sequence[str], env: Mapping[str, str]) -> Answer:
    """Answer ``__complete <args...>``: the last argument is the word under the cursor."""
    words, typed = list(args[:-1]), (args[-1] if args else "")
    state = read_line(words)
    _fill_from_settings(state, env)
    if state.pending is not None:
        return _flag_values(state.pending, typed, state, env)
    if not state.after_dashdash and typed.startswith("--") and "=" in typed:
        name, _, value = typed[2:].partition("=")
        flag = BY_NAME.get(name)
        if flag is None:
            return Answer((), NO_FILES)
        # The value alone, as cobra answers `--flag=<TAB>` (kubectl's scripts and ours add
        # the `--flag=` back in front).
        return _flag_values(flag, value, state, env)
    short = None if state.after_dashdash else _short_with_value(typed)
    if short is not None:
        flag, head, value = short
        answer = _flag_values(flag, value, state, env)
        if head.endswith("="):
            return answer  # -o=j: the value alone, as for --output=j
        return Answer(tuple(head + c for c in answer.candidates), answer.directive)
    if not state.after_dashdash and typed.startswith("-"):
        return _flag_names(typed)
    if state.positionals:
        return Answer((), NO_FILES)  # one query at most
    return _query(typed, state, env)
