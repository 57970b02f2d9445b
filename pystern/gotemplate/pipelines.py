"""Compile pipelines, commands and operands into closures ``ev(vars, dot)`` with Go's evaluation rules.

Go's rules kept here: a missing map key is an invalid value (prints ``<no value>``), a nil interface
inside a field chain is an error, function arguments are type-checked, ``and``/``or`` short-circuit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from pystern.errors import TemplateExecError
from pystern.gotemplate.builtins import BUILTINS, call_named
from pystern.gotemplate.failures import (
    Break,
    Continue,
    Eval,
    ExecFailure,
    Vars,
    arg_spot,
    cmd_spot,
    failing,
    failing_after,
    failure,
    last_spot,
    unbound_variable,
    undefined,
)
from pystern.gotemplate.fields import field_of, holds_interfaces
from pystern.gotemplate.methods import METHODS, call_time_method
from pystern.gotemplate.nodes import UNBOUND, Arg, Cmd, Pipe
from pystern.gotemplate.signatures import ArgError, GoFunc, truth
from pystern.gotemplate.values import MISSING, Color, GoTime, StringMap, Struct

# The "no piped value" marker for the first command of a pipeline (Go's missingVal): distinct from
# MISSING, which is a real (invalid) value that a later stage does receive.
_NOFINAL: Any = object()


def _invalid(vars: Vars, dot: Any) -> Any:
    return MISSING


def _constant(value: Any, vars: Vars, dot: Any) -> Any:
    return value


class PipelineCompiler:
    """The pipeline half of the compiler; :class:`~pystern.gotemplate.executor.Compiler` adds the nodes."""

    def __init__(self, funcs: Mapping[str, Any]) -> None:
        self.funcs = funcs
        # Which range's element dot is while compiling (None: not an element), and which variables
        # hold one: Go gives a []interface{} or map[string]interface{} element the type interface {}.
        self.element: int | None = None
        self.element_vars: dict[int, int] = {}

    def pipe(self, p: Pipe) -> Eval:
        unbound = unbound_variable(p)
        if unbound is not None:
            return failing_after(self.pipe(Pipe(p.cmds, p.pos, p.src)), *last_spot(p), unbound)
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
                raise failure(spot[0], spot[1], raise_msg)

            return bad
        if first.kind == "nil":

            def nil_cmd(vars: Vars, dot: Any, final: Any) -> Any:
                raise failure(c.pos, c.src, "nil is not a command")

            return nil_cmd
        ev = self.operand(first)
        has_args = bool(rest)
        is_field = first.kind == "field"

        def run(vars: Vars, dot: Any, final: Any) -> Any:
            if final is not _NOFINAL or has_args:
                if is_field and first.chain:
                    raise failure(c.pos, c.src, f"{first.chain[-1]} is not a method but has arguments")
                raise failure(spot[0], spot[1], f"can't give argument to non-function {first.src}")
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
                    raise failure(pos, src, str(exc)) from None
            if isinstance(recv, Struct) and name in recv:
                raise failure(pos, src, f"{name} has arguments but cannot be invoked as function")
            if isinstance(recv, dict | Mapping) and not isinstance(recv, Struct):
                raise failure(pos, src, f"{name} is not a method but has arguments")
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
                    raise failure(pos, src, f"{src} overflows int")

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
                return failing(*arg_spot(a), undefined(a.src.split(".")[0]))

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
                iface = holds_interfaces(receiver)
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
        if isinstance(fn, GoFunc) and fn.params is not None:
            # An untyped nil given to a reflect.Value parameter is reflect.Zero of reflect.Value: the
            # invalid value (a missing key's), not a nil interface.
            for i, a in enumerate(args):
                kind = fn.params[i] if i < len(fn.params) else fn.variadic
                if a.kind == "nil" and kind == "value":
                    evs[i] = _invalid
                elif a.kind == "const" and kind not in ("any", "value"):
                    # A typed parameter reads the constant's node itself (Go's evalInteger and
                    # evalString), so an int64 overflow is "expected integer", not "overflows int".
                    evs[i] = functools.partial(_constant, a.value)
        pos, src = c.pos, c.src
        if name in ("and", "or"):
            want = name == "or"

            def logic(vars: Vars, dot: Any, final: Any) -> Any:
                # Go >= 1.18: arguments are evaluated only until the result is known.
                if not evs and not piped:
                    raise failure(pos, src, f"wrong number of args for {name}: want at least 1 got 0")
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
                raise failure(at[0], at[1], str(exc)) from None
            except TemplateExecError as exc:
                raise failure(pos, src, str(exc)) from None
            except (Break, Continue):
                raise
            except RecursionError:
                raise failure(pos, src, f"error calling {name}: recursion limit") from None
            except Exception as exc:
                raise failure(pos, src, f"error calling {name}: {exc}") from None

        return run
