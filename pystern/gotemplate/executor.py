"""Compile a parsed template into closures and run it with Go's evaluation rules.

Each node becomes ``run(vars, dot, out)``; each operand ``ev(vars, dot)``.  Go's rules kept here: a
missing map key is an invalid value (prints ``<no value>``), a nil interface inside a field chain is an
error, function arguments are type-checked, ``and``/``or`` short-circuit, ``range`` sorts map keys.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from pystern.errors import TemplateExecError
from pystern.gotemplate.builtins import BUILTINS, ArgError, GoFunc, call_named, truth
from pystern.gotemplate.gofmt import sprint_value, type_name
from pystern.gotemplate.methods import METHODS, call_time_method
from pystern.gotemplate.parser import UNBOUND, Arg, Cmd, Node, Pipe, Tree
from pystern.gotemplate.values import MISSING, Color, GoTime, StringMap, Struct

Vars = list[Any]
Run = Callable[[Vars, Any, list[str]], None]
Eval = Callable[[Vars, Any], Any]


MAX_EXEC_DEPTH = 100_000
"""Go's maxExecDepth: how deeply ``{{template}}`` calls may nest."""
# Python's stack is much shorter than Go's: from this depth on, every eighth nested call checks that
# the thread has room left for more levels, and else runs on a new thread (which has its own stack).
_CHECK_FROM = 32
_ROOM = 300  # frames kept free for eight levels and their own calls

# The "no piped value" marker for the first command of a pipeline (Go's missingVal): distinct from
# MISSING, which is a real (invalid) value that a later stage does receive.
_NOFINAL: Any = object()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class ExecFailure(Exception):
    """An execution error with its node: rendered by ``Template`` into Go's message."""

    def __init__(self, pos: int, context: str, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.context = context
        self.message = message
        self.template: str | None = None  # the associated template that was executing, if any


class _ElementFieldError(ExecFailure):
    """A field of a ``range`` element that cannot be evaluated: the range names the element's type."""

    def __init__(self, pos: int, context: str, name: str, typ: str, element_of: int) -> None:
        super().__init__(pos, context, f"can't evaluate field {name} in type {typ}")
        self.name = name
        self.element_of = element_of


def _fail(pos: int, context: str, message: str) -> ExecFailure:
    return ExecFailure(pos, context, message)


def print_text(value: Any) -> str:
    """How an action prints its value (``<no value>`` for an invalid value / nil interface)."""
    if type(value) is str:
        return value
    if value is MISSING or value is None:
        return "<no value>"
    return sprint_value(value)


def _holds_interfaces(value: Any) -> bool:
    """A ``map[string]interface{}``: what its elements' static Go type is (``interface {}``)."""
    return isinstance(value, dict) and not isinstance(value, StringMap | Struct)


def field_of(
    receiver: Any,
    name: str,
    pos: int,
    src: str,
    has_args: bool,
    iface: bool = False,
    element_of: int | None = None,
) -> Any:
    """``receiver.name`` with Go's map/struct rules.

    ``iface``: the receiver came out of a ``map[string]interface{}``, so Go names its static type,
    ``interface {}``, when the field cannot be evaluated.  ``element_of``: the receiver is the element
    of that ``range`` (by id), which knows whether its elements are interfaces.
    """
    if receiver is MISSING:
        return MISSING
    if isinstance(receiver, dict | Mapping):
        if has_args:
            raise _fail(pos, src, f"{name} is not a method but has arguments")
        try:
            return receiver[name]
        except KeyError:
            if isinstance(receiver, Struct):
                raise _fail(pos, src, f"can't evaluate field {name} in type {receiver.go_type}") from None
            return MISSING
    if isinstance(receiver, GoTime) and name in METHODS:
        try:
            return call_time_method(receiver, name, [])
        except ArgError as exc:
            raise _fail(pos, src, str(exc)) from None
    if receiver is None:
        raise _fail(pos, src, f"nil pointer evaluating interface {{}}.{name}")
    typ = "interface {}" if iface else type_name(receiver)
    if element_of is not None:
        raise _ElementFieldError(pos, src, name, typ, element_of)
    raise _fail(pos, src, f"can't evaluate field {name} in type {typ}")


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


class Compiler:
    """Turns a :class:`Tree` into one ``Run`` closure."""

    def __init__(self, tree: Tree, funcs: Mapping[str, Any]) -> None:
        self.tree = tree
        self.funcs = funcs
        self.templates: dict[str, tuple[Run, int]] = {}  # name -> (body, size of its variables)
        # Which range's element dot is while compiling (None: not an element), and which variables
        # hold one: Go gives a []interface{} or map[string]interface{} element the type interface {}.
        self.element: int | None = None
        self.element_vars: dict[int, int] = {}
        self.ranges = 0
        self.recursive = False

    def compile(self) -> Run:
        # Only templates that call themselves (through others or not) can nest deeply: without such a
        # cycle, calls skip the depth bookkeeping.
        self.recursive = _has_cycle({name: _calls(sub.nodes) for name, sub in self.tree.defs.items()})
        for name, sub in self.tree.defs.items():
            self.templates[name] = (self.block(sub.nodes), sub.slots + 1)
        return self.block(self.tree.nodes)

    def template_call(self, n: Node) -> Run:
        name = n.text
        arg = self.pipe(n.pipe) if n.pipe is not None else None
        templates = self.templates
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        context = "{{template " + quoted + (" " + n.pipe.src if n.pipe is not None else "") + "}}"

        if not self.recursive:

            def run_once(vars: Vars, dot: Any, out: list[str]) -> None:
                found = templates.get(name)
                if found is None:
                    raise _fail(n.pos, context, f"template {quoted} not defined")
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
                raise _fail(n.pos, context, f"template {quoted} not defined")
            depth = vars[-1]
            new_stack = False
            if depth >= _CHECK_FROM:  # rare: only recursion gets here
                if depth == MAX_EXEC_DEPTH:
                    raise _fail(n.pos, context, f"exceeded maximum template depth ({MAX_EXEC_DEPTH})")
                new_stack = not (depth & 7 or _stack_has_room())
            value = arg(vars, dot) if arg is not None else None
            body, size = found
            inner: Vars = [None] * size  # what new_vars makes (inlined: a call costs here)
            inner[0] = value
            inner[-1] = depth + 1
            try:
                if new_stack:
                    _run_on_new_stack(body, inner, value, out)
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
            exc = _Break if n.kind == "break" else _Continue

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
        unbound = _unbound(pipe)
        if unbound is not None:
            source = _failing_after(source, *last_spot(pipe), unbound)
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
                    raise _fail(pos, src, message)
                items = ((i, i) for i in range(value))
            elif value is None or value is MISSING:
                items = ()
            else:
                raise _fail(pos, src, f"range can't iterate over {sprint_value(value)}")
            iface = isinstance(value, list | tuple) or _holds_interfaces(value)
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
                except _Continue:
                    continue
                except _Break:
                    break
                except _ElementFieldError as exc:
                    if exc.element_of != rid or not iface:
                        raise
                    message = f"can't evaluate field {exc.name} in type interface {{}}"
                    raise _fail(exc.pos, exc.context, message) from None
            if empty and other is not None:
                other(vars, dot, out)

        return run

    # -- pipelines and commands ------------------------------------------------------------------
    def pipe(self, p: Pipe) -> Eval:
        unbound = _unbound(p)
        if unbound is not None:
            return _failing_after(self.pipe(Pipe(p.cmds, p.pos, p.src)), *last_spot(p), unbound)
        cmds = [self.command(c, p.cmds[i - 1] if i else None) for i, c in enumerate(p.cmds)]
        decl = p.decl
        if len(cmds) == 1 and not decl:
            first = cmds[0]

            def single(vars: Vars, dot: Any) -> Any:
                value = first(vars, dot, _NOFINAL)
                return MISSING if value is None else value

            return single

        def run(vars: Vars, dot: Any) -> Any:
            value = _NOFINAL
            for c in cmds:
                value = c(vars, dot, value)
                # Go digs a nil interface out to an invalid value between stages.
                if value is None:
                    value = MISSING
            for slot in decl:
                vars[slot] = value
            return value

        return run

    def command(self, c: Cmd, before: Cmd | None) -> Callable[[Vars, Any, Any], Any]:
        """One pipeline stage; ``before`` is the previous stage (its value is this one's last argument)."""
        first = c.args[0]
        rest = c.args[1:]
        piped = before is not None
        # Go reports "can't give argument" at the operand itself, but a parenthesised one moves
        # nothing: the error stands where the executor last was (the pipeline, or the previous stage).
        if first.kind != "pipe":
            spot = first.pos, first.src
        else:
            spot = (c.pos, c.src) if before is None else cmd_spot(before)
        if first.kind == "ident":
            return self.call(first.value, rest, c, piped)  # type: ignore[arg-type]
        if (rest or piped) and first.kind in ("field", "var", "pipe") and first.chain:
            return self.method_call(first, rest, c, piped)
        if rest and first.kind != "field":
            raise_msg = f"can't give argument to non-function {first.src}"

            def bad(vars: Vars, dot: Any, final: Any) -> Any:
                raise _fail(spot[0], spot[1], raise_msg)

            return bad
        if first.kind == "nil":

            def nil_cmd(vars: Vars, dot: Any, final: Any) -> Any:
                raise _fail(c.pos, c.src, "nil is not a command")

            return nil_cmd
        ev = self.operand(first)
        has_args = bool(rest)
        is_field = first.kind == "field"

        def run(vars: Vars, dot: Any, final: Any) -> Any:
            if final is not _NOFINAL or has_args:
                if is_field and first.chain:
                    raise _fail(c.pos, c.src, f"{first.chain[-1]} is not a method but has arguments")
                raise _fail(spot[0], spot[1], f"can't give argument to non-function {first.src}")
            return ev(vars, dot)

        return run

    def method_call(
        self, first: Arg, rest: list[Arg], c: Cmd, piped: bool
    ) -> Callable[[Vars, Any, Any], Any]:
        """``.a.b.Method arg...`` (or ``$x.Method``): only time values have methods; maps refuse args."""
        name = first.chain[-1]
        receiver = self.operand(Arg(first.kind, first.pos, first.src, first.value, first.chain[:-1]))
        element_of = None if len(first.chain) > 1 else self.element_of(first)
        evs = [self.operand(a) for a in rest]
        pos, src = arg_spot(first)

        def run(vars: Vars, dot: Any, final: Any) -> Any:
            recv = receiver(vars, dot)
            if isinstance(recv, GoTime) and name in METHODS:
                args = [e(vars, dot) for e in evs]
                if piped:
                    args.append(final)
                try:
                    return call_time_method(recv, name, args)
                except ArgError as exc:
                    raise _fail(pos, src, str(exc)) from None
            if isinstance(recv, Struct) and name in recv:
                raise _fail(pos, src, f"{name} has arguments but cannot be invoked as function")
            if isinstance(recv, dict | Mapping) and not isinstance(recv, Struct):
                raise _fail(pos, src, f"{name} is not a method but has arguments")
            return field_of(recv, name, pos, src, False, False, element_of)

        return run

    def operand(self, a: Arg) -> Eval:
        base: Eval
        if a.kind == "const":
            value = a.value
            if a.const_kind == "int" and value >= 2**63:  # type: ignore[operator]
                # A uint64-only constant: Go's untyped constants become int, and this one does not fit.
                pos, src = a.pos, a.src

                def overflow(vars: Vars, dot: Any) -> Any:
                    raise _fail(pos, src, f"{src} overflows int")

                return overflow

            def base(vars: Vars, dot: Any) -> Any:
                return value

            return base
        if a.kind == "nil":
            return lambda vars, dot: None
        if a.kind == "dot":
            return lambda vars, dot: dot
        chain = a.chain
        if a.kind == "var":
            slot: int = a.value  # type: ignore[assignment]
            if slot == UNBOUND:
                return _failing(*arg_spot(a), _undefined(a.src.split(".")[0]))

            def base(vars: Vars, dot: Any) -> Any:
                return vars[slot]

        elif a.kind == "pipe":
            inner = self.pipe(a.value)  # type: ignore[arg-type]

            def base(vars: Vars, dot: Any) -> Any:
                return inner(vars, dot)

        else:

            def base(vars: Vars, dot: Any) -> Any:
                return dot

        if not chain:
            return base
        pos, src = arg_spot(a)
        element_of = self.element_of(a)
        if len(chain) == 1 and a.kind == "field":
            key = chain[0]

            def field1(vars: Vars, dot: Any) -> Any:
                kind = type(dot)
                if kind is dict:
                    return dot.get(key, MISSING)
                if kind is Struct or kind is StringMap:
                    try:
                        return dot[key]
                    except KeyError:
                        pass
                return field_of(dot, key, pos, src, False, False, element_of)

            return field1

        def chained(vars: Vars, dot: Any) -> Any:
            value = base(vars, dot)
            iface = False
            first = element_of
            for name in chain:
                receiver = value
                value = field_of(receiver, name, pos, src, False, iface, first)
                iface = _holds_interfaces(receiver)
                first = None
            return value

        return chained

    def element_of(self, a: Arg) -> int | None:
        """The range whose element operand ``a`` starts from (dot, or a range's element variable)."""
        if a.kind == "field":
            return self.element
        if a.kind == "var":
            slot: int = a.value  # type: ignore[assignment]
            return self.element_vars.get(slot)
        return None

    def call(self, name: str, args: list[Arg], c: Cmd, piped: bool) -> Callable[[Vars, Any, Any], Any]:
        fn = self.funcs[name]
        evs = [self.operand(a) for a in args]
        pos, src = c.pos, c.src
        if name in ("and", "or"):
            want = name == "or"

            def logic(vars: Vars, dot: Any, final: Any) -> Any:
                # Go >= 1.18: arguments are evaluated only until the result is known.
                if not evs and not piped:
                    raise _fail(pos, src, f"wrong number of args for {name}: want at least 1 got 0")
                value: Any = None
                for e in evs:
                    value = e(vars, dot)
                    if truth(value) == want:
                        return value
                if piped:
                    value = final
                return value

            return logic
        gofn = fn if isinstance(fn, GoFunc) else GoFunc(fn, None)
        if fn is BUILTINS["call"]:
            callee = args[0].src if args else None
            gofn = GoFunc(functools.partial(call_named, callee), gofn.params, gofn.variadic)
        consts = [a if a.kind in ("const", "nil") else None for a in args]
        # Where Go reports an argument error: the identifier for a count, else the operand itself.
        spots = [(a.pos, a.src) for a in args]
        ident_spot = (c.args[0].pos, name)

        invoke = gofn.invoke
        direct = gofn.fn
        # Precomputed per-position checks for the usual case (right arity, ordinary values): those
        # calls skip the generic converter.  Anything unusual takes the checked path.
        n = len(args) + piped
        params = gofn.params
        fast = params is not None and (
            n == len(params)
            if gofn.variadic is None
            else n >= len(params) and gofn.variadic in ("any", "string")
        )
        kinds = [] if params is None else [params[i] if i < len(params) else gofn.variadic for i in range(n)]
        str_idx = tuple(i for i, k in enumerate(kinds) if k == "string")
        any_idx = tuple(i for i, k in enumerate(kinds) if k == "any")
        color_idx = tuple(i for i, k in enumerate(kinds) if k == "color")
        fast = fast and all(k in ("string", "any", "value", "color") for k in kinds)

        def run(vars: Vars, dot: Any, final: Any) -> Any:
            values = [e(vars, dot) for e in evs]
            if piped:
                values.append(final)
            try:
                if fast:
                    for i in str_idx:
                        if type(values[i]) is not str:
                            return invoke(name, values, consts)
                    for i in color_idx:
                        if type(values[i]) is not Color:
                            return invoke(name, values, consts)
                    for i in any_idx:
                        if values[i] is MISSING:
                            values[i] = None
                    return direct(*values)
                return invoke(name, values, consts)
            except ExecFailure:
                raise
            except ArgError as exc:
                # An index past the operands is the piped final value: Go blames the last operand.
                at = (
                    ident_spot
                    if exc.index is None
                    else [*spots, spots[-1] if spots else ident_spot][exc.index]
                )
                raise _fail(at[0], at[1], str(exc)) from None
            except TemplateExecError as exc:
                raise _fail(pos, src, str(exc)) from None
            except (_Break, _Continue):
                raise
            except RecursionError:
                raise _fail(pos, src, f"error calling {name}: recursion limit") from None
            except Exception as exc:
                raise _fail(pos, src, f"error calling {name}: {exc}") from None

        return run


def _calls(nodes: list[Node]) -> set[str]:
    """The names of the templates ``nodes`` call."""
    names: set[str] = set()
    for n in nodes:
        if n.kind == "template":
            names.add(n.text)
        names |= _calls(n.body)
        if n.else_body is not None:
            names |= _calls(n.else_body)
    return names


def _has_cycle(calls: Mapping[str, set[str]]) -> bool:
    """Whether a template can call itself, directly or through others."""
    done: set[str] = set()
    for start in calls:
        seen = {start}
        todo = list(calls[start])
        while todo:
            name = todo.pop()
            if name == start:
                return True
            if name in seen or name in done:
                continue
            seen.add(name)
            todo.extend(calls.get(name, ()))
        done.add(start)
    return False


def new_vars(slots: int, dot: Any, depth: int) -> Vars:
    """The variables of one template execution: ``$`` first, the ``{{template}}`` depth last."""
    inner: Vars = [None] * (slots + 1)
    inner[0] = dot
    inner[-1] = depth
    return inner


def _stack_has_room() -> bool:
    try:
        sys._getframe(sys.getrecursionlimit() - _ROOM)
    except ValueError:
        return True
    return False


def _run_on_new_stack(body: Run, vars: Vars, dot: Any, out: list[str]) -> None:
    """``body(vars, dot, out)`` on a thread of its own, which starts with an empty stack."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            body(vars, dot, out)
        except BaseException as exc:  # handed to the calling thread, which raises it
            failure.append(exc)

    thread = threading.Thread(target=target, name="pystern-template", daemon=True)
    thread.start()
    thread.join()
    if failure:
        # Without the other thread's frames: an error from deep down would carry thousands.
        raise failure[0].with_traceback(None)


def _unbound(p: Pipe) -> str | None:
    """The message for the first declared variable the executor will not find, if any."""
    for slot, name in zip(p.decl, p.names, strict=True):
        if slot == UNBOUND:
            return _undefined(name)
    return None


def _undefined(name: str) -> str:
    return f"undefined variable: {name}"


def _failing(pos: int, src: str, message: str) -> Eval:
    def fail(vars: Vars, dot: Any) -> Any:
        raise _fail(pos, src, message)

    return fail


def _failing_after(ev: Eval, pos: int, src: str, message: str) -> Eval:
    """``ev``, then an error: Go evaluates a pipeline before it assigns to its variables."""

    def fail(vars: Vars, dot: Any) -> Any:
        ev(vars, dot)
        raise _fail(pos, src, message)

    return fail


def _key(k: Any) -> Any:
    return (0, k, "") if isinstance(k, int | float) and not isinstance(k, bool) else (1, 0, str(k))
