"""argv + environment -> what to do (``Invocation``): a pure function, fast to test.

Order, like stern's: parse the flags; ``--help``, ``--version``, ``--completion`` and
``--show-hidden-options`` answer before anything else is read; then the config file is
merged under the command line, and the result is validated into a ``Config``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pystern.cli.argv import ParsedArgs, parse_argv
from pystern.config.build import build_config
from pystern.config.file import env_name, load_config_file, merge_layers, values_from_env
from pystern.config.flags import BY_NAME, Kind, Value
from pystern.config.values import Values
from pystern.errors import ConfigFileError, UsageError
from pystern.options import Config


class Action(enum.Enum):
    """What the process does."""

    RUN = "run"
    HELP = "help"
    VERSION = "version"
    SHOW_HIDDEN = "show-hidden-options"
    COMPLETION = "completion"


class Source(enum.Enum):
    """Where the log lines come from in a RUN."""

    CLUSTER = "cluster"
    STDIN = "stdin"
    DEMO = "demo"


@dataclass(frozen=True, slots=True)
class Invocation:
    """The parsed command: an action, and for RUN the validated ``Config``."""

    action: Action
    config: Config = field(default_factory=Config)
    source: Source = Source.CLUSTER
    prompt: bool = False
    completion_shell: str = ""
    config_file: Path | None = None
    warnings: tuple[str, ...] = ()
    """One-line warnings for stderr (unknown config keys, argument pitfalls)."""
    notes: tuple[str, ...] = ()
    """Lines for stderr at ``--verbosity 1`` and up."""
    namespace_source: str = "from -n"
    """Where ``-n``/``-A`` was set, for ``--verbosity 1``: ``-n``, ``-A``, the file or a variable."""


def _pitfalls(args: ParsedArgs, query: str) -> list[str]:
    # pflag takes a flag's value only after '=', so `-t short` and `--no-follow false` make the
    # second word the pod query; say so rather than silently tailing pods named "short".
    warnings = []
    if "timestamps" in args.bare and query in ("short", "default"):
        warnings.append(f'"{query}" is taken as the pod query; write --timestamps={query} to set the format')
    bools_given = any(BY_NAME[name].kind is Kind.BOOL for name in args.values)
    if bools_given and query in ("true", "false"):
        warnings.append(f'"{query}" is taken as the pod query; write --<flag>={query} to set a flag')
    # `-node n1` is `-n ode` plus the query n1 in pflag: it runs, tailing nothing in namespace "ode".
    for word in args.single_dash:
        warnings.append(
            f"{word} is read as short flags (pflag needs two dashes for a long flag); did you mean -{word}?"
        )
    return warnings


# Ways a template can write a newline: the character itself (a file's last line, a raw string),
# Go escapes inside a string literal, or println.  Anything else is almost surely a forgotten one.
_NEWLINE_MARKS = ("\n", "\\n", "\\x0a", "\\x0A", "\\u000a", "\\u000A", "\\012", "println")


def _template_pitfall(template: str | None) -> list[str]:
    # stern's #88: a custom template must end its own lines, and forgetting it runs every record
    # into one line with no hint why.
    if template is None or any(mark in template for mark in _NEWLINE_MARKS):
        return []
    return ['the template never writes a newline, so lines will run together; end it with {{"\\n"}}']


def _query(args: ParsedArgs) -> str:
    if len(args.positionals) > 1:
        shown = " ".join(repr(p) for p in args.positionals)
        hint = ""
        if args.single_dash:
            word = args.single_dash[0]
            hint = f" ({word} is read as short flags; did you mean -{word}?)"
        elif (
            args.bare
            or any(p in ("true", "false") for p in args.positionals)
            or any(p in ("short", "default") for p in args.positionals[1:])
        ):
            # `--init-containers false .` puts the value first; a pod query "false" is no likelier.
            hint = " (flag values go after '=', e.g. --timestamps=short, --init-containers=false)"
        raise UsageError(f"expected at most one pod query, got {len(args.positionals)}: {shown}{hint}")
    return args.positionals[0] if args.positionals else ""


DEMO_CONFLICTS = (
    "stdin",
    "context",
    "kubeconfig",
    "server",
    "token",
    "certificate-authority",
    "client-certificate",
    "client-key",
    "insecure-skip-tls-verify",
    "tls-server-name",
    "cluster",
    "user",
    "as",
    "as-group",
    "as-uid",
)
"""Flags that choose another source of lines than the demo's own sandbox cluster, or an identity on it."""


def _demo_wanted(merged: dict[str, Value], origin: Mapping[str, str]) -> bool:
    """Whether to run the demo; refuses a cluster choice given beside ``--demo`` on the command line."""
    if not merged.get("demo"):
        return False
    chosen = [name for name in DEMO_CONFLICTS if origin.get(name) == "command line"]
    if origin.get("demo") != "command line":
        # A standing `demo: true` (config file, $PYSTERN_DEMO) yields to a source chosen on the
        # command line, as a lower layer's setting does everywhere else.
        return not chosen
    if chosen:
        raise UsageError(
            f"--{chosen[0]} cannot be used with --demo (the demo tails its own sandbox cluster)",
            flag=chosen[0],
        )
    # The same settings from the config file or environment are standing defaults the demo does
    # not use (see cli.app._run_demo), so a user's setup never breaks the demo.
    return True


def _namespace_source(origin: Mapping[str, str], all_namespaces: bool) -> str:
    """Where the namespaces (or ``-A``) came from, in the words ``--verbosity 1`` uses."""
    name = "all-namespaces" if all_namespaces else "namespace"
    came_from = origin.get(name)
    if came_from == "file":
        return "from the config file"
    if came_from == "env":
        return f"from ${env_name(BY_NAME[name])}"
    return "-A" if all_namespaces else "from -n"


def _file_error(exc: UsageError, key: str, path: Path) -> ConfigFileError:
    return ConfigFileError(f'invalid value for "{key}" in config file {path}: {exc}', flag=key)


def parse_invocation(argv: Sequence[str], env: Mapping[str, str]) -> Invocation:
    """Parse the command line (without the program name); raises ``UsageError`` (exit 2)."""
    args = parse_argv(argv)
    given = args.values
    if given.get("help"):
        return Invocation(Action.HELP)
    if given.get("version"):
        return Invocation(Action.VERSION)
    if given.get("completion"):  # as in stern, an empty --completion= asks for nothing
        shell = str(given["completion"])
        if shell not in BY_NAME["completion"].choices:
            raise UsageError(f'unsupported shell type: "{shell}" (use bash, zsh or fish)', flag="completion")
        return Invocation(Action.COMPLETION, completion_shell=shell)
    if given.get("show-hidden-options"):
        return Invocation(Action.SHOW_HIDDEN)
    query = _query(args)

    explicit = given.get("config", "")
    assert isinstance(explicit, str)
    file = load_config_file(explicit, env)
    from_env = values_from_env(env)
    merged, origin = merge_layers(((file.values, "file"), (from_env, "env"), (given, "command line")))
    demo = _demo_wanted(merged, origin)
    if not demo:
        merged.pop("demo", None)  # a standing demo that yielded must not stand in for a pod query either
    if demo and not any(origin.get(name) == "command line" for name in ("namespace", "all-namespaces")):
        # The demo cluster has several namespaces; show them all unless told otherwise on the command
        # line (a config file's `namespace:` names one of the user's cluster, which the demo lacks).
        merged.pop("namespace", None)
        merged["all-namespaces"] = True
    try:
        config = build_config(Values(merged), query)
    except ConfigFileError:
        raise
    except UsageError as exc:
        came_from = origin.get(exc.flag or "")
        if came_from == "file" and file.path is not None and exc.flag:
            raise _file_error(exc, exc.flag, file.path) from None
        if came_from == "env" and exc.flag:
            key = env_name(BY_NAME[exc.flag])
            raise UsageError(f"invalid value for ${key}: {exc}", flag=exc.flag) from None
        if args.single_dash:
            # `pystern -demo` is `-d -e mo` with no query: the real mistake is the single dash.
            word = args.single_dash[0]
            raise UsageError(
                f"{exc} ({word} is read as short flags; did you mean -{word}?)", flag=exc.flag
            ) from None
        raise
    notes = []
    if file.from_stern and file.path is not None:
        why = "$STERNCONFIG; " if env.get("STERNCONFIG") else ""
        notes.append(f"reading stern's config file {file.path} ({why}no pystern config file exists)")
    elif file.path is not None:
        notes.append(f"reading config file {file.path}")
    # --demo wins over a `stdin` from the config file or environment (one on the command line is refused).
    source = Source.DEMO if demo else Source.STDIN if merged.get("stdin") else Source.CLUSTER
    return Invocation(
        Action.RUN,
        config=config,
        source=source,
        prompt=bool(merged.get("prompt")),
        config_file=file.path,
        warnings=(*file.warnings, *_pitfalls(args, query), *_template_pitfall(config.output.template)),
        notes=tuple(notes),
        namespace_source=_namespace_source(origin, config.selection.all_namespaces),
    )


def parse_config(argv: Sequence[str], env: Mapping[str, str]) -> Config:
    """The ``Config`` a command line (plus config file) describes; raises ``UsageError``."""
    invocation = parse_invocation(argv, env)
    if invocation.action is not Action.RUN:
        raise UsageError(f"{invocation.action.value} does not describe a run")
    return invocation.config
