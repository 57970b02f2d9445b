"""Nested ``{{template}}`` calls: Go's depth limit, and room for it on Python's much shorter stack."""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from typing import Any

from pystern.gotemplate.failures import Run, Vars
from pystern.gotemplate.nodes import Node

MAX_EXEC_DEPTH = 100_000
"""Go's maxExecDepth: how deeply ``{{template}}`` calls may nest."""
# Python's stack is much shorter than Go's: from this depth on, every eighth nested call checks that
# the thread has room left for more levels, and else runs on a new thread (which has its own stack).
CHECK_FROM = 32
ROOM_FRAMES = 300  # frames kept free for eight levels and their own calls


def calls(nodes: list[Node]) -> set[str]:
    """The names of the templates ``nodes`` call."""
    names: set[str] = set()
    for n in nodes:
        if n.kind == "template":
            names.add(n.text)
        names |= calls(n.body)
        if n.else_body is not None:
            names |= calls(n.else_body)
    return names


def has_cycle(graph: Mapping[str, set[str]]) -> bool:
    """Whether a template can call itself, directly or through others (``graph``: name -> callees)."""
    done: set[str] = set()
    for start in graph:
        seen = {start}
        todo = list(graph[start])
        while todo:
            name = todo.pop()
            if name == start:
                return True
            if name in seen or name in done:
                continue
            seen.add(name)
            todo.extend(graph.get(name, ()))
        done.add(start)
    return False


def new_vars(slots: int, dot: Any, depth: int) -> Vars:
    """The variables of one template execution: ``$`` first, the ``{{template}}`` depth last."""
    inner: Vars = [None] * (slots + 1)
    inner[0] = dot
    inner[-1] = depth
    return inner


def stack_has_room() -> bool:
    """Whether this thread's stack is more than ``ROOM_FRAMES`` frames short of the recursion limit."""
    try:
        sys._getframe(sys.getrecursionlimit() - ROOM_FRAMES)
    except ValueError:
        return True
    return False


def run_on_new_stack(body: Run, vars: Vars, dot: Any, out: list[str]) -> None:
    """``body(vars, dot, out)`` on a thread of its own, which starts with an empty stack."""
    caught: list[BaseException] = []

    def target() -> None:
        try:
            body(vars, dot, out)
        except BaseException as exc:  # handed to the calling thread, which raises it
            caught.append(exc)

    thread = threading.Thread(target=target, name="pystern-template", daemon=True)
    thread.start()
    thread.join()
    if caught:
        # Without the other thread's frames: an error from deep down would carry thousands.
        raise caught[0].with_traceback(None)
