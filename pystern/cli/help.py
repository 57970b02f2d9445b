"""The help screen, ``--show-hidden-options`` and the README flag table, all from the flag table.

rich draws the help (grouped panels, colour only on a terminal); it is imported only
when help is asked for, so a normal start stays fast.
"""

from __future__ import annotations

from typing import TextIO

from pystern.config.flags import FLAGS, Flag, Group, Kind

USAGE = "{program} [QUERY] [flags]"
DESCRIPTION = (
    "Tail the logs of many Kubernetes pods and containers at once. "
    "QUERY is a regular expression matched anywhere in pod names ('.' = every pod), or "
    "<kind>/<name> for a pod, deployment, replicaset, statefulset, daemonset, job, cronjob, "
    "service or replicationcontroller (e.g. deploy/web)."
)
EXAMPLES = (
    ("pystern .", "every pod in the current namespace"),
    ("pystern web -n shop --since 15m", "pods named *web* in namespace shop, last 15 minutes"),
    ("pystern deploy/web -c app -t", "container app of deployment web, with timestamps"),
    ("pystern -l app=api -A --tail 20", "by label, in all namespaces, 20 lines each"),
    ("pystern . --no-follow -o raw | grep ERROR", "print what exists, no prefix, and exit"),
    ("pystern --demo", "try it on a built-in simulated cluster"),
)
HIDDEN_HINT = 'Use "{program} --show-hidden-options" for a list of hidden command-line options.'


def flag_names(flag: Flag) -> str:
    """``-n, --namespace NS`` style."""
    short = f"-{flag.short}, " if flag.short else "    "
    value = ""
    if flag.kind is not Kind.BOOL:
        value = f"[={flag.metavar or 'VALUE'}]" if flag.bare_value else f" {flag.metavar or 'VALUE'}"
    return f"{short}--{flag.name}{value}"


def _default_note(flag: Flag) -> str:
    default = flag.shown_default()
    return "" if default in ("", "[]", "false", "0") else f" [default: {default}]"


def _describe(flag: Flag) -> str:
    return flag.help + _default_note(flag)


def _table(flags: list[Flag]) -> object:
    from rich.table import Table
    from rich.text import Text

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for flag in flags:
        # Text, not markup: "[default: 48h0m0s]" and "{{...}}" must print as written.
        description = Text(flag.help)
        description.append(_default_note(flag), style="dim")
        table.add_row(Text(flag_names(flag)), description)
    return table


def print_help(out: TextIO, *, color: bool, program: str = "pystern") -> None:
    """Write the help screen to ``out``; ``program`` is how the user runs pystern (``kubectl pystern``)."""
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    class _HelpConsole(Console):
        def on_broken_pipe(self) -> None:
            # rich's own handler exits with status 1; the CLI treats a reader that left
            # (`pystern --help | head -1`) as it does for log lines: quietly, status 0.
            self.quiet = True
            raise BrokenPipeError

    console = _HelpConsole(file=out, force_terminal=color, no_color=not color, highlight=False)
    console.print(Text("Usage: " + USAGE.format(program=program), style="bold"))
    console.print()
    console.print(Text(DESCRIPTION))
    console.print()
    examples = _examples_table()
    console.print(Panel(examples, title="Examples", title_align="left", border_style="dim"))  # type: ignore[arg-type]
    for group in Group:
        flags = [flag for flag in FLAGS if flag.group is group and not flag.hidden]
        if flags:
            console.print(Panel(_table(flags), title=group.value, title_align="left", border_style="dim"))  # type: ignore[arg-type]
    console.print(Text(HIDDEN_HINT.format(program=program)))


def _examples_table() -> object:
    from rich.table import Table
    from rich.text import Text

    table = Table.grid(padding=(0, 2))
    table.add_column(style="green", no_wrap=True)
    table.add_column(style="dim")
    for command, what in EXAMPLES:
        table.add_row(Text(command), Text(what))
    return table


def print_hidden(out: TextIO) -> None:
    """``--show-hidden-options``: the kube flags left out of the help screen."""
    # A-Z, as stern (pflag) lists them: with fifteen flags, table order is hard to scan.
    hidden = sorted((flag for flag in FLAGS if flag.hidden), key=lambda flag: flag.name)
    width = max(len(flag_names(flag)) for flag in hidden) + 2
    out.write("The following options can also be used in pystern:\n")
    for flag in hidden:
        out.write(f"  {flag_names(flag).ljust(width)}{_describe(flag)}\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def flag_table_markdown() -> str:
    """The README's flag table: visible flags A-Z, then the hidden kube flags."""
    rows = ["| flag | short | type | default | meaning |", "|---|---|---|---|---|"]
    for flag in sorted(FLAGS, key=lambda f: (f.hidden, f.name)):
        default = flag.shown_default()
        rows.append(
            "| "
            + " | ".join(
                (
                    f"`--{flag.name}`",
                    f"`-{flag.short}`" if flag.short else "",
                    flag.kind.value,
                    f"`{_cell(default)}`" if default else "",
                    _cell(flag.help) + (" (hidden)" if flag.hidden else ""),
                )
            )
            + " |"
        )
    return "\n".join(rows) + "\n"
