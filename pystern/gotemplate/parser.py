"""Parser for Go ``text/template``: tokens -> a small node tree (``nodes``) with variables resolved to
slots, reporting errors with Go's wording."""

from __future__ import annotations

from collections.abc import Container

from pystern.errors import TemplateParseError
from pystern.gotemplate.gofmt import quote
from pystern.gotemplate.lexer import Token, lex
from pystern.gotemplate.literals import parse_char, parse_number, parse_string
from pystern.gotemplate.nodes import UNBOUND, Arg, Cmd, Node, Pipe, Tree


class _Parser:
    def __init__(self, text: str, name: str, funcs: Container[str]) -> None:
        self.text = text
        self.name = name
        self.funcs = funcs
        self.toks = lex(text, name)
        self.i = 0
        self.scopes: list[dict[str, int]] = [{"$": 0}]
        self.slots = 1
        self.range_depth = 0
        self.defs: dict[str, Tree] = {}
        self.name_pos = 0

    # -- token helpers ---------------------------------------------------------------------------
    def fail(self, msg: str, tok: Token | None = None) -> TemplateParseError:
        tok = tok or self.toks[min(self.i, len(self.toks) - 1)]
        return TemplateParseError(f"template: {self.name}:{tok.line}: {msg}")

    def peek(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind == "error":
            raise TemplateParseError(tok.val)
        return tok

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def peek_ns(self) -> Token:
        while self.peek().kind == "space":
            self.i += 1
        return self.toks[self.i]

    def next_ns(self) -> Token:
        tok = self.peek_ns()
        self.i += 1
        return tok

    # -- variables -------------------------------------------------------------------------------
    def declare(self, name: str) -> int:
        slot = self.slots
        self.slots += 1
        self.scopes[-1][name] = slot
        return slot

    def lookup(self, tok: Token) -> int:
        for scope in reversed(self.scopes):
            if tok.val in scope:
                return scope[tok.val]
        raise self.fail(f"undefined variable {_q(tok.val)}", tok)

    # -- lists and control structures ------------------------------------------------------------
    def parse(self) -> Tree:
        nodes, stop = self.item_list(top=True)
        assert stop == "eof"
        main = Tree(nodes, self.slots, self.text, self.name, self.defs)
        # Go adds the top-level tree last, under the template's own name: a {{define}} of that name
        # replaces a body that is only blank text, and clashes with any other.
        self.add(main, self.toks[-1])
        kept = self.defs[self.name]
        return kept if kept is main else Tree(kept.nodes, kept.slots, self.text, self.name, self.defs)

    def add(self, tree: Tree, tok: Token) -> None:
        """Go's ``Tree.add``: an empty (blank) definition never replaces another, two others clash."""
        old = self.defs.get(tree.name)
        if old is None or _is_empty(old.nodes):
            self.defs[tree.name] = tree
        elif not _is_empty(tree.nodes):
            raise self.fail(f"template: multiple definition of template {_q(tree.name)}", tok)

    def item_list(self, top: bool = False) -> tuple[list[Node], str]:
        """Parse until ``{{end}}``/``{{else}}`` (returned as the stop word) or EOF at top level."""
        nodes: list[Node] = []
        while True:
            tok = self.next()
            if tok.kind == "eof":
                if top:
                    return nodes, "eof"
                raise self.fail("unexpected EOF", tok)
            if tok.kind == "text":
                nodes.append(Node("text", tok.pos, tok.val))
                continue
            # tok is "{{"
            word = self.peek_ns()
            if top and word.kind == "keyword" and word.val == "define":
                self.i += 1
                self.definition(word)
                continue
            if word.kind == "keyword" and word.val in ("end", "else"):
                if top:
                    raise self.fail(f"unexpected {{{{{word.val}}}}}", word)
                self.i += 1
                if word.val == "end":
                    self.expect_close("end")
                return nodes, word.val
            nodes.append(self.action(tok))

    def expect_close(self, context: str) -> None:
        tok = self.next_ns()
        if tok.kind != "}}":
            raise self.fail(f"unexpected {_desc(tok)} in {context}", tok)

    def action(self, open_tok: Token) -> Node:
        word = self.peek_ns()
        if word.kind == "keyword":
            if word.val in ("if", "with", "range"):
                self.i += 1
                return self.control(word.val, word)
            if word.val in ("break", "continue"):
                self.i += 1
                if self.range_depth == 0:
                    raise self.fail(f"{{{{{word.val}}}}} outside {{{{range}}}}", word)
                self.expect_close(f"{{{{{word.val}}}}}")
                return Node(word.val, word.pos)
            if word.val in ("template", "block"):
                self.i += 1
                return self.template_call(word)
            if word.val == "define":
                raise self.fail("unexpected <define> in command", word)
        pipe = self.pipeline("command", open_tok.pos + 2)
        return Node("action", open_tok.pos, pipe=pipe)

    def control(self, kind: str, word: Token) -> Node:
        self.scopes.append({})
        pipe = self.pipeline(kind, word.pos)
        if kind == "range":
            self.range_depth += 1
        self.scopes.append({})
        body, stop = self.item_list()
        self.scopes.pop()
        if kind == "range":
            self.range_depth -= 1
        else_body: list[Node] | None = None
        if stop == "else":
            nxt = self.peek_ns()
            if nxt.kind == "keyword" and nxt.val == kind and kind in ("if", "with"):
                # {{else if ...}} / {{else with ...}}: a nested control that consumes our {{end}}.
                self.i += 1
                else_body = [self.control(nxt.val, nxt)]
            elif nxt.kind == "keyword" and nxt.val in ("if", "with"):
                # Go chains only if/else if and with/else with: any other pair leaves the keyword
                # where an item list must start.
                raise self.fail(f"unexpected <{nxt.val}> in input", nxt)
            else:
                self.expect_close("else")
                self.scopes.append({})
                else_body, stop = self.item_list()
                self.scopes.pop()
                if stop != "end":
                    raise self.fail("expected end; found {{else}}")
        self.scopes.pop()
        return Node(kind, word.pos, pipe=pipe, body=body, else_body=else_body)

    # -- associated templates ------------------------------------------------------------------
    def template_name(self, word: Token) -> str:
        tok = self.next_ns()
        if tok.kind not in ("string", "rawstring"):
            raise self.fail(f"unexpected {_desc(tok)} in {word.val} clause", tok)
        self.name_pos = tok.pos
        return parse_string(tok.val)

    def definition(self, word: Token) -> None:
        """``{{define "name"}} body {{end}}``: parsed with its own variables ($ = its dot)."""
        name = self.template_name(word)
        self.expect_close("define clause")
        tree = self.sub_tree(name, "define clause")
        self.add(tree, self.toks[self.i - 1])

    def sub_tree(self, name: str, context: str) -> Tree:
        saved = (self.scopes, self.slots, self.range_depth)
        self.scopes, self.slots, self.range_depth = [{"$": 0}], 1, 0
        body, stop = self.item_list()
        if stop != "end":
            raise self.fail(f"unexpected {{{{else}}}} in {context}")
        tree = Tree(body, self.slots, self.text, name)
        self.scopes, self.slots, self.range_depth = saved
        return tree

    def template_call(self, word: Token) -> Node:
        """``{{template "name" [pipeline]}}`` and ``{{block "name" pipeline}} default {{end}}``."""
        name = self.template_name(word)
        pos = self.name_pos
        pipe: Pipe | None = None
        if self.peek_ns().kind != "}}":
            pipe = self.pipeline(f"{word.val} clause", word.pos)
        else:
            self.i += 1
        if word.val == "block":
            if pipe is None:
                raise self.fail("missing value for block clause", word)
            tree = self.sub_tree(name, "block clause")
            self.add(tree, self.toks[self.i - 1])
        return Node("template", pos, name, pipe=pipe)

    # -- pipelines -------------------------------------------------------------------------------
    def pipeline(self, context: str, pos: int, end: str = "}}") -> Pipe:
        start = self.peek_ns()
        decl: list[Token] = []
        assign = False
        save = self.i
        if start.kind == "variable":
            self.i += 1
            nxt = self.peek_ns()
            if nxt.kind in (":=", "="):
                decl, assign = [start], nxt.kind == "="
                self.i += 1
            elif nxt.kind == "," and context != "range":
                raise self.fail(f"too many declarations in {context}", nxt)
            elif nxt.kind == ",":
                self.i += 1
                second = self.next_ns()
                op = self.next_ns()
                if second.kind == "variable" and op.kind == ",":
                    raise self.fail("too many declarations in range", op)
                if second.kind != "variable" or op.kind not in (":=", "="):
                    raise self.fail("range can only initialize variables", second)
                decl, assign = [start, second], op.kind == "="
            else:
                self.i = save
        # Go's parser knows a declared (or assigned) name from here on, before its pipeline; the executor
        # looks names up when it runs and binds a new variable only after the pipeline.  So a name that
        # is not otherwise defined parses, and using it fails when it runs: ``{{$x := $x}}``.
        for v in decl:
            if not any(v.val in scope for scope in self.scopes):
                self.scopes[-1][v.val] = UNBOUND
        cmds: list[Cmd] = []
        while True:
            tok = self.peek_ns()
            if tok.kind == end:
                self.i += 1
                break
            if tok.kind in ("}}", ")", "eof"):
                if end == ")" and tok.kind != ")":
                    raise self.fail("unclosed left paren", tok)
                raise self.fail(f"unexpected {_desc(tok)} in {context}", tok)
            if tok.kind not in _COMMAND_START and not (tok.kind == "keyword" and tok.val == "nil"):
                raise self.fail(f"unexpected {_desc(tok)} in {context}", tok)
            cmds.append(self.command())
            sep = self.peek_ns()
            if sep.kind == "|":
                self.i += 1
                if self.peek_ns().kind in (end, "}}", ")"):
                    raise self.fail("missing command", sep)
        if not cmds:
            raise self.fail(f"missing value for {context}")
        for stage, cmd in enumerate(cmds[1:], start=2):
            if cmd.args[0].kind in ("const", "nil", "dot"):
                raise self.fail(f"non executable command in pipeline stage {stage}")
        # Go prints a pipeline from its nodes (PipeNode.String): single spaces, whatever the layout.
        src = " | ".join(c.src for c in cmds)
        if decl:
            src = ", ".join(v.val for v in decl) + (" = " if assign else " := ") + src
        slots = [self.lookup(v) if assign else self.declare(v.val) for v in decl]
        return Pipe(cmds, pos, src, slots, assign, tuple(v.val for v in decl))

    def command(self) -> Cmd:
        args: list[Arg] = []
        start = self.peek_ns().pos
        while True:
            tok = self.peek()
            if tok.kind == "space":
                self.i += 1
                continue
            if tok.kind in ("}}", "|", ")", "eof"):
                break
            args.append(self.operand())
            nxt = self.peek()
            if nxt.kind not in ("space", "}}", "|", ")", "eof"):
                raise self.fail(f"unexpected {_desc(nxt)} in operand", nxt)
        if not args:
            raise self.fail("empty command")
        # Go prints a command as its operands joined by single spaces.
        return Cmd(args, start, " ".join(a.src for a in args))

    def operand(self) -> Arg:
        arg = self.term()
        chain: list[str] = []
        chain_pos = self.peek().pos
        while self.peek().kind == "field":
            chain.append(self.next().val[1:])
        if chain:
            if arg.kind in ("const", "nil", "ident") or (arg.kind == "dot"):
                if arg.kind == "dot":
                    raise self.fail('unexpected . after term "."')
                raise self.fail(f"unexpected . after term {_q(arg.src)}")
            arg.chain = arg.chain + tuple(chain)
            end = self.toks[self.i].pos
            if arg.kind == "pipe":
                arg.src += "".join("." + name for name in chain)
            else:
                arg.src = self.text[arg.pos : end]
            if arg.kind in ("field", "var"):
                # Go's parser re-creates the node at its chain, so ``.a.b`` is positioned at ``.b``.
                arg.pos = chain_pos
        return arg

    def term(self) -> Arg:
        tok = self.next()
        k = tok.kind
        if k == "ident":
            if tok.val not in self.funcs:
                raise self.fail(f"function {_q(tok.val)} not defined", tok)
            return Arg("ident", tok.pos, tok.val, tok.val)
        if k == "dot":
            return Arg("dot", tok.pos, ".")
        if k == "keyword" and tok.val == "nil":
            return Arg("nil", tok.pos, "nil")
        if k == "variable":
            return Arg("var", tok.pos, tok.val, self.lookup(tok))
        if k == "field":
            return Arg("field", tok.pos, tok.val, chain=(tok.val[1:],))
        if k == "bool":
            return Arg("const", tok.pos, tok.val, tok.val == "true", const_kind="bool")
        if k in ("string", "rawstring"):
            try:
                value = parse_string(tok.val)
            except ValueError as exc:
                raise self.fail(str(exc), tok) from None
            return Arg("const", tok.pos, tok.val, value, const_kind="string")
        if k == "char":
            try:
                return Arg("const", tok.pos, tok.val, parse_char(tok.val), const_kind="rune")
            except ValueError as exc:
                raise self.fail(str(exc), tok) from None
        if k == "number":
            try:
                number, kind = parse_number(tok.val)
            except ValueError as exc:
                raise self.fail(str(exc), tok) from None
            return Arg("const", tok.pos, tok.val, number, const_kind=kind)
        if k == "(":
            pipe = self.pipeline("parenthesized pipeline", tok.pos, end=")")
            return Arg("pipe", tok.pos, f"({pipe.src})", pipe)
        raise self.fail(f"unexpected {_desc(tok)} in operand", tok)


# Items that can begin a command (Go's pipeline loop rejects any other as "unexpected X in <context>").
_COMMAND_START = frozenset(
    ("bool", "char", "dot", "field", "ident", "number", "rawstring", "string", "variable", "(")
)


def _is_empty(nodes: list[Node]) -> bool:
    """Go's ``IsEmptyTree``: nothing but blank text (comments leave no node here)."""
    return all(n.kind == "text" and not n.text.strip() for n in nodes)


def _q(text: str) -> str:
    return quote(text)  # Go's %q


def _desc(tok: Token) -> str:
    """Go's ``item.String``: keywords in angle brackets, other items quoted, cut after 10 characters."""
    if tok.kind == "eof":
        return "EOF"
    if tok.kind in ("keyword", "dot"):
        return f"<{tok.val}>"
    if len(tok.val.encode("utf-8", "surrogateescape")) > 10:
        return quote(tok.val[:10]) + "..."
    return quote(tok.val)


def parse_tree(text: str, name: str, funcs: Container[str]) -> Tree:
    """Parse ``text``; ``funcs`` is what identifiers may name.  Raises ``TemplateParseError``."""
    return _Parser(text, name, funcs).parse()
