"""A pflag-compatible command-line parser over the flag table.

stern users type pflag syntax, which click cannot express: ``--init-containers=false``,
a bare ``-t`` meaning ``--timestamps=default``, bool flags that never swallow the next
word, combined short flags (``-Ap``), ``-n=kube-system``, and ``--`` ending the flags.
Values are converted by the flag's own parser as they are read, so errors name the flag.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pystern.config.flags import BY_NAME, BY_SHORT, Flag, Kind, Value, parse_scalar
from pystern.errors import UsageError


@dataclass(slots=True)
class ParsedArgs:
    """What the command line said: flag values (only those given) and positional arguments."""

    values: dict[str, Value] = field(default_factory=dict)
    positionals: list[str] = field(default_factory=list)
    bare: set[str] = field(default_factory=set)
    """Flags given without a value (``-t``), for the ``-t short`` pitfall warning."""
    single_dash: list[str] = field(default_factory=list)
    """Words like ``-node`` that spell a long flag but parsed as short flags (``-n ode``)."""

    def store(self, flag: Flag, text: str) -> None:
        """Add one occurrence: lists accumulate, scalars take the last value."""
        value = parse_scalar(flag, text)
        if flag.is_list:
            before = self.values.get(flag.name, ())
            assert isinstance(before, tuple)
            assert isinstance(value, tuple)
            self.values[flag.name] = before + value
        else:
            self.values[flag.name] = value


_SEE_HELP = "; see pystern --help"


_FOLLOWS = "; pystern follows by default (--no-follow prints what exists and exits)"
_KUBECTL_HABITS = {
    # `kubectl logs` flags that pystern does by default; difflib would offer --no-follow for --follow.
    "follow": _FOLLOWS,
    "all-containers": "; pystern tails every container by default (-c REGEX picks some)",
    "prefix": "; pystern always shows pod and container (-o raw shows neither)",
}


def _unknown(name: str) -> UsageError:
    habit = _KUBECTL_HABITS.get(name)
    if habit is not None:
        return UsageError(f"unknown flag: --{name}{habit}")
    close = difflib.get_close_matches(name, list(BY_NAME), n=1)
    hint = f"; did you mean --{close[0]}?" if close else _SEE_HELP
    return UsageError(f"unknown flag: --{name}{hint}")


def _long(arg: str, rest: Sequence[str], out: ParsedArgs) -> int:
    """Parse ``--name[=value]``; return how many following words were consumed."""
    name, eq, value = arg[2:].partition("=")
    flag = BY_NAME.get(name)
    if flag is None:
        raise _unknown(name)
    if eq:
        out.store(flag, value)
        return 0
    if flag.kind is Kind.BOOL:
        out.values[flag.name] = True
        return 0
    if flag.bare_value is not None:
        out.store(flag, flag.bare_value)
        out.bare.add(flag.name)
        return 0
    if not rest:
        raise UsageError(f"flag needs an argument: --{name}", flag=name)
    out.store(flag, rest[0])
    return 1


def _short(arg: str, rest: Sequence[str], out: ParsedArgs) -> int:
    """Parse ``-abc``, ``-nVALUE``, ``-n=VALUE``, ``-n VALUE``; return words consumed."""
    letters = arg[1:]
    i = 0
    while i < len(letters):
        letter = letters[i]
        flag = BY_SHORT.get(letter)
        if flag is None:
            hint = _FOLLOWS if letter == "f" else _SEE_HELP
            raise UsageError(f"unknown shorthand flag: '{letter}' in {arg}{hint}")
        tail = letters[i + 1 :]
        if tail.startswith("="):
            out.store(flag, tail[1:])
            return 0
        if flag.kind is Kind.BOOL:
            out.values[flag.name] = True
            i += 1
            continue
        if flag.bare_value is not None:
            out.store(flag, flag.bare_value)
            out.bare.add(flag.name)
            i += 1
            continue
        if tail:
            out.store(flag, tail)
            return 0
        if not rest:
            raise UsageError(f"flag needs an argument: '{letter}' in {arg}", flag=flag.name)
        out.store(flag, rest[0])
        return 1
    return 0


def _spells_long_flag(arg: str) -> bool:
    name = arg[1:].partition("=")[0]
    return len(name) >= 2 and name in BY_NAME


def _single_dash_hint(arg: str, exc: UsageError) -> UsageError:
    """``exc`` with a hint when ``arg`` is a long flag written with one dash (``-since 5m``).

    pflag reads ``-since`` as ``-s ince``, so the error names a value the user never typed;
    Go's own flag package (and habit) accepts one dash.  A word that parses as short flags
    (``-node`` = ``-n ode``) is valid pflag, as in stern: it is run, with a warning.
    """
    if not _spells_long_flag(arg):
        return exc
    text = str(exc).removesuffix(_SEE_HELP)
    return UsageError(f"{text}; did you mean -{arg}?", flag=exc.flag)


_KUBECTL_V = re.compile(r"--?v=?([0-9]+)")


def _verbosity_hint(arg: str, rest: Sequence[str], exc: UsageError) -> UsageError:
    """``exc`` with a hint when ``arg`` is kubectl's ``-v=6`` (request logs), which pflag cannot read here.

    stern's ``-v`` is ``--version`` (a bool), so ``-v=6`` is a bad bool and ``--v`` unknown;
    the level a kubectl user wants is ``--verbosity``.
    """
    match = _KUBECTL_V.fullmatch(arg)
    level = match.group(1) if match else None
    if arg == "--v" and rest and rest[0].isascii() and rest[0].isdigit():
        level = rest[0]
    if level is None:
        return exc
    text = str(exc).removesuffix(_SEE_HELP)
    return UsageError(f"{text}; -v is --version, request logs are --verbosity {level}", flag=exc.flag)


def parse_argv(argv: Sequence[str]) -> ParsedArgs:
    """Parse the arguments after the program name; raises ``UsageError``."""
    out = ParsedArgs()
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            out.positionals.extend(argv[i:])
            break
        if arg.startswith("--"):
            try:
                i += _long(arg, argv[i:], out)
            except UsageError as exc:
                raise _verbosity_hint(arg, argv[i:], exc) from None
        elif arg.startswith("-") and arg != "-":
            try:
                i += _short(arg, argv[i:], out)
            except UsageError as exc:
                raise _verbosity_hint(arg, argv[i:], _single_dash_hint(arg, exc)) from None
            if _spells_long_flag(arg):
                out.single_dash.append(arg)
        else:
            out.positionals.append(arg)
    return out
