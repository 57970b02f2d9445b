"""Compile a parsed template into closures and run it with Go's evaluation rules.

Each node becomes ``run(vars, dot, out)``; each operand ``ev(vars, dot)`` (``pipelines``).  Go's rules
kept here: ``if``/``with`` truth, ``range`` over lists, maps (sorted keys) and integers with ``break``
and ``continue``, and ``{{template}}`` calls with their own variables, nested up to Go's depth limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pystern.gotemplate.failures import (
    Break,
    Continue,
    ElementFieldError,
    ExecFailure,
    Run,
    Vars,
    failing_after,
    failure,
    last_spot,
    unbound_variable,
)
from pystern.gotemplate.fields import holds_interfaces, print_text
from pystern.gotemplate.gofmt import quote, sprint_value
from pystern.gotemplate.nodes import Node, Pipe, Tree
from pystern.gotemplate.pipelines import PipelineCompiler
from pystern.gotemplate.recursion import (
    CHECK_FROM,
    MAX_EXEC_DEPTH,
    calls,
    has_cycle,
    new_vars,
    run_on_new_stack,
    stack_has_room,
)
from pystern.gotemplate.signatures import truth
from pystern.gotemplate.values import MISSING, Struct

__all__ = ["Compiler", "ExecFailure", "new_vars"]


class Compiler(PipelineCompiler):
    """Turns a :class:`Tree` into one ``Run`` closure."""

    def __init__(self, tree: Tree, funcs: Mapping[str, Any]) -> None:
        super().__init__(funcs)
        self.tree = tree
        self.templates: dict[str, tuple[Run, int]] = {}  # name -> (body, size of its variables)
        self.ranges = 0
        self.recursive = False

    def compile(self) -> Run:
        # Only templates that call themselves (through others or not) can nest deeply: without such a
        # cycle, calls skip the depth bookkeeping.
        self.recursive = has_cycle({name: calls(sub.nodes) for name, sub in self.tree.defs.items()})
        for name, sub in self.tree.defs.items():
            self.templates[name] = (self.block(sub.nodes), sub.slots + 1)
        return self.block(self.tree.nodes)

    def template_call(self, n: Node) -> Run:
        name = n.text
        arg = self.pipe(n.pipe) if n.pipe is not None else None
        templates = self.templates
        quoted = quote(name)  # Go's %q
        context = "{{template " + quoted + (" " + n.pipe.src if n.pipe is not None else "") + "}}"

        if not self.recursive:

            def run_once(vars: Vars, dot: Any, out: list[str]) -> None:
                found = templates.get(name)
                if found is None:
                    raise failure(n.pos, context, f"template {quoted} not defined")
                value = arg(vars, dot) if arg is not None else None
                body, size = found
                inner: Vars = [None] * size
                inner[0] = value
                try:
                    body(inner, value, out)
                except ExecFailure as exc:
                    if exc.template is None:
                        exc.template = name
                    raise

            return run_once

        def run(vars: Vars, dot: Any, out: list[str]) -> None:
            # Looked up at run time (a template may call itself or one defined later), and before the
            # depth check and the argument, as Go does.
            found = templates.get(name)
            if found is None:
                raise failure(n.pos, context, f"template {quoted} not defined")
            depth = vars[-1]
            new_stack = False
            if depth >= CHECK_FROM:  # rare: only recursion gets here
                if depth == MAX_EXEC_DEPTH:
                    raise failure(n.pos, context, f"exceeded maximum template depth ({MAX_EXEC_DEPTH})")
                new_stack = not (depth & 7 or stack_has_room())
            value = arg(vars, dot) if arg is not None else None
            body, size = found
            inner: Vars = [None] * size  # what new_vars makes (inlined: a call costs here)
            inner[0] = value
            inner[-1] = depth + 1
            try:
                if new_stack:
                    run_on_new_stack(body, inner, value, out)
                else:
                    body(inner, value, out)
            except ExecFailure as exc:
                if exc.template is None:
                    exc.template = name
                raise

        return run

    def block(self, nodes: list[Node]) -> Run:
        runs = [self.node(n) for n in nodes]
        if len(runs) == 1:
            return runs[0]

        def run(vars: Vars, dot: Any, out: list[str]) -> None:
            for r in runs:
                r(vars, dot, out)

        return run

    def node(self, n: Node) -> Run:
        if n.kind == "text":
            text = n.text

            def run_text(vars: Vars, dot: Any, out: list[str]) -> None:
                out.append(text)

            return run_text
        if n.kind == "action":
            assert n.pipe is not None
            ev = self.pipe(n.pipe)
            if n.pipe.decl:

                def run_decl(vars: Vars, dot: Any, out: list[str]) -> None:
                    ev(vars, dot)

                return run_decl

            def run_action(vars: Vars, dot: Any, out: list[str]) -> None:
                value = ev(vars, dot)
                out.append(value if type(value) is str else print_text(value))

            return run_action
        if n.kind in ("break", "continue"):
            exc = Break if n.kind == "break" else Continue

            def run_jump(vars: Vars, dot: Any, out: list[str]) -> None:
                raise exc

            return run_jump
        if n.kind in ("if", "with"):
            return self.conditional(n)
        if n.kind == "template":
            return self.template_call(n)
        return self.range(n)

    def conditional(self, n: Node) -> Run:
        assert n.pipe is not None
        cond = self.pipe(n.pipe)
        other = self.block(n.else_body) if n.else_body is not None else None
        is_with = n.kind == "with"
        outer = self.element
        if is_with:  # Go's pipeline digs the value out of its interface: dot is no element inside
            self.element = None
        body = self.block(n.body)
        self.element = outer

        def run(vars: Vars, dot: Any, out: list[str]) -> None:
            value = cond(vars, dot)
            if truth(value):
                body(vars, value if is_with else dot, out)
            elif other is not None:
                other(vars, dot, out)

        return run

    def range(self, n: Node) -> Run:
        assert n.pipe is not None
        pipe = n.pipe
        decl = pipe.decl
        # The range pipeline's own value is evaluated without its declarations (but Go assigns them
        # once to the whole value first, which fails for a name it cannot find).
        source = self.pipe(Pipe(pipe.cmds, pipe.pos, pipe.src))
        unbound = unbound_variable(pipe)
        if unbound is not None:
            source = failing_after(source, *last_spot(pipe), unbound)
        other = self.block(n.else_body) if n.else_body is not None else None
        self.ranges += 1
        rid = self.ranges
        outer, self.element = self.element, rid
        if decl:
            self.element_vars[decl[-1]] = rid
        body = self.block(n.body)
        self.element = outer
        pos, src = last_spot(pipe)

        def run(vars: Vars, dot: Any, out: list[str]) -> None:
            value = source(vars, dot)
            if isinstance(value, Mapping) and not isinstance(value, Struct):
                items: Any = sorted(value.items(), key=lambda kv: _key(kv[0]))
            elif isinstance(value, list | tuple):
                items = enumerate(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                if len(decl) > 1:
                    message = f"can't use {sprint_value(value)} to iterate over more than one variable"
                    raise failure(pos, src, message)
                items = ((i, i) for i in range(value))
            elif value is None or value is MISSING:
                items = ()
            else:
                raise failure(pos, src, f"range can't iterate over {sprint_value(value)}")
            empty = True
            for key, elem in items:
                empty = False
                if len(decl) == 1:
                    vars[decl[0]] = elem
                elif len(decl) == 2:
                    vars[decl[0]] = key
                    vars[decl[1]] = elem
                try:
                    body(vars, elem, out)
                except Continue:
                    continue
                except Break:
                    break
                except ElementFieldError as exc:
                    # Only []interface{} and map[string]interface{} elements are interfaces.
                    iface = isinstance(value, list | tuple) or holds_interfaces(value)
                    if exc.element_of != rid or not iface:
                        raise
                    message = f"can't evaluate field {exc.name} in type interface {{}}"
                    raise failure(exc.pos, exc.context, message) from None
            if empty and other is not None:
                other(vars, dot, out)

        return run


def _key(k: Any) -> Any:
    return (0, k, "") if isinstance(k, int | float) and not isinstance(k, bool) else (1, 0, str(k))
