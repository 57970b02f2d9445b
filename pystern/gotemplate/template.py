"""The public face: ``parse(text) -> Template`` and ``Template.execute(data) -> str``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pystern.errors import TemplateExecError, TemplateParseError
from pystern.gotemplate.builtins import BUILTINS
from pystern.gotemplate.executor import Compiler, ExecFailure, new_vars
from pystern.gotemplate.gofmt import quote
from pystern.gotemplate.parser import parse_tree


class Template:
    """A parsed, compiled template; ``execute`` may be called any number of times (thread-safe)."""

    __slots__ = ("_blank", "_run", "name", "text")

    def __init__(self, text: str, funcs: Mapping[str, Callable[..., Any]], name: str) -> None:
        # Go's builtins are always there; a caller's function of the same name wins.
        funcs = {**BUILTINS, **funcs}
        try:
            tree = parse_tree(text, name, funcs)
        except TemplateParseError:
            raise
        except (ValueError, IndexError, AssertionError, RecursionError) as exc:
            # A safety net: a parser bug must still come out as one clear line, not a traceback.
            raise TemplateParseError(f"template: {name}: cannot parse template: {exc}") from None
        self.name = name
        self.text = text
        # What new_vars makes, $ aside, for depth 0 (copied per execution: a call to it costs here).
        self._blank = new_vars(tree.slots, None, 0)
        try:
            self._run = Compiler(tree, funcs).compile()
        except RecursionError as exc:
            # The compiler recurses once per nesting level, like the parser: a tree that the parser
            # just managed can still be too deep for it (Go nests without such a limit).
            raise TemplateParseError(f"template: {name}: cannot parse template: {exc}") from None

    def execute(self, data: Any) -> str:
        """Render with ``data`` as dot and ``$``; raises ``TemplateExecError`` with Go's message."""
        out: list[str] = []
        slots = self._blank.copy()
        slots[0] = data
        try:
            self._run(slots, data, out)
        except ExecFailure as exc:
            raise TemplateExecError(self._message(exc)) from None
        except RecursionError:
            raise TemplateExecError(f"template: {self.name}: exceeded maximum template depth") from None
        except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
            # A safety net for an executor bug or an odd caller-supplied value: one line, no traceback.
            raise TemplateExecError(f"template: {self.name}: {type(exc).__name__}: {exc}") from None
        return "".join(out)

    def _message(self, exc: ExecFailure) -> str:
        before = self.text[: exc.pos]
        line = before.count("\n") + 1
        # Go counts the column in bytes.
        col = len(before[before.rfind("\n") + 1 :].encode("utf-8", "surrogateescape"))
        running = quote(exc.template or self.name)  # Go's %q
        return f"template: {self.name}:{line}:{col}: executing {running} at <{exc.context}>: {exc.message}"


def parse(
    text: str, funcs: Mapping[str, Callable[..., Any]] | None = None, name: str = "template"
) -> Template:
    """Parse a Go template; raises ``TemplateParseError`` (``template: <name>:<line>: <reason>``)."""
    if funcs is None:
        from pystern.gotemplate.sternfuncs import STERN_FUNCS

        funcs = STERN_FUNCS
    return Template(text, funcs, name)
