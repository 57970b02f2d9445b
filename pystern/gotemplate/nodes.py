"""The parsed form of a template: operands, commands, pipelines, nodes and trees.

Variables are lexically scoped, so the parser binds each ``$name`` to a numbered slot and the executor
keeps one flat list of slots per execution (``$`` is slot 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Arg:
    """One operand: ``kind`` in field/var/dot/nil/const/ident/pipe, plus a field chain."""

    kind: str
    pos: int
    src: str
    value: object = None
    chain: tuple[str, ...] = ()
    const_kind: str = ""  # for constants: string, int, float, rune, bool


@dataclass
class Cmd:
    """A pipeline stage: operands; the first one is the function, field or value."""

    args: list[Arg]
    pos: int
    src: str


@dataclass
class Pipe:
    """``[$a[, $b] (:=|=)] cmd | cmd ...``."""

    cmds: list[Cmd]
    pos: int
    src: str
    decl: list[int] = field(default_factory=list)
    assign: bool = False
    names: tuple[str, ...] = ()
    """The declared or assigned variables' names (``decl`` holds their slots)."""


@dataclass
class Node:
    """A list element: text, action, if, with, range, break, continue."""

    kind: str
    pos: int = 0
    text: str = ""
    pipe: Pipe | None = None
    body: list[Node] = field(default_factory=list)
    else_body: list[Node] | None = None


@dataclass
class Tree:
    """A parsed template: its node list and how many variable slots it uses."""

    nodes: list[Node]
    slots: int
    text: str
    name: str
    defs: dict[str, Tree] = field(default_factory=dict)


UNBOUND = -1
"""The slot of a variable name the parser knows but the executor will not find (see ``parser.pipeline``)."""
