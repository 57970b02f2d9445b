"""Execution errors as Go reports them: the error, the node it is reported at, and the signals.

Go's executor reports an error at the node it last moved to (``s.at``); the ``*_spot`` functions say
which node that is for errors raised after an operand, command or pipeline was evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pystern.gotemplate.nodes import UNBOUND, Arg, Cmd, Pipe

Vars = list[Any]
Run = Callable[[Vars, Any, list[str]], None]
Eval = Callable[[Vars, Any], Any]


class Break(Exception):
    """``{{break}}``: leaves the innermost ``range``."""


class Continue(Exception):
    """``{{continue}}``: goes on with the next element of the innermost ``range``."""


class ExecFailure(Exception):
    """An execution error with its node: rendered by ``Template`` into Go's message."""

    def __init__(self, pos: int, context: str, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.context = context
        self.message = message
        self.template: str | None = None  # the associated template that was executing, if any


class ElementFieldError(ExecFailure):
    """A field of a ``range`` element that cannot be evaluated: the range names the element's type."""

    def __init__(self, pos: int, context: str, name: str, typ: str, element_of: int) -> None:
        super().__init__(pos, context, f"can't evaluate field {name} in type {typ}")
        self.name = name
        self.element_of = element_of


def failure(pos: int, context: str, message: str) -> ExecFailure:
    """The error to raise for ``message`` at the node at ``pos`` (source text ``context``)."""
    return ExecFailure(pos, context, message)


def last_spot(p: Pipe) -> tuple[int, str]:
    """The node Go's executor last moved to (``s.at``) while evaluating ``p``: where it reports an error
    raised after the evaluation, such as a field of ``(pipeline).Field`` or a value ``range`` rejects."""
    return cmd_spot(p.cmds[-1])


def cmd_spot(cmd: Cmd) -> tuple[int, str]:
    """Where Go's executor stands after evaluating the command ``cmd``."""
    first = cmd.args[0]
    if len(cmd.args) > 1 and first.kind in ("ident", "field", "var", "pipe"):
        return arg_spot(cmd.args[-1])
    return arg_spot(first)


def arg_spot(a: Arg) -> tuple[int, str]:
    """Where Go's executor stands after evaluating operand ``a``."""
    if a.kind == "pipe":
        return last_spot(a.value)  # type: ignore[arg-type]
    return a.pos, a.src


def unbound_variable(p: Pipe) -> str | None:
    """The message for the first declared variable the executor will not find, if any."""
    for slot, name in zip(p.decl, p.names, strict=True):
        if slot == UNBOUND:
            return undefined(name)
    return None


def undefined(name: str) -> str:
    """Go's message for a variable its executor cannot find by name."""
    return f"undefined variable: {name}"


def failing(pos: int, src: str, message: str) -> Eval:
    """An operand that fails when it is evaluated."""

    def fail(vars: Vars, dot: Any) -> Any:
        raise failure(pos, src, message)

    return fail


def failing_after(ev: Eval, pos: int, src: str, message: str) -> Eval:
    """``ev``, then an error: Go evaluates a pipeline before it assigns to its variables."""

    def fail(vars: Vars, dot: Any) -> Any:
        ev(vars, dot)
        raise failure(pos, src, message)

    return fail
