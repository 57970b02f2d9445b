"""Read a half-typed command line the way the completion callback needs it.

Unlike ``pystern.cli.argv`` this never raises: a command line being typed is often
invalid (an unknown flag, a flag still missing its value).  It records what matters for
completion: the cluster flags already given (``--kubeconfig``, ``--context``, ``-n``,
``-A``), whether a query was typed, and which flag, if any, waits for the word under the
cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pystern.config.flags import BY_NAME, BY_SHORT, Flag, Kind, split_slice


@dataclass(slots=True)
class LineState:
    """What the words before the cursor said."""

    kubeconfig: str = ""
    config: str = ""
    """``--config``: the config file whose values fill in cluster flags the line did not give."""
    contexts: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    all_namespaces: bool | None = None
    """``-A`` as given on the line (None: not given)."""
    positionals: list[str] = field(default_factory=list)
    pending: Flag | None = None
    """The flag whose value is the word under the cursor (``-n <TAB>``)."""
    after_dashdash: bool = False

    def note(self, flag: Flag, value: str) -> None:
        """Remember the value of a flag that changes what completion looks up."""
        if flag.name == "kubeconfig":
            self.kubeconfig = value
        elif flag.name == "config":
            self.config = value
        elif flag.name == "context":
            self.contexts.extend(item for item in split_slice(value) if item)
        elif flag.name == "namespace":
            self.namespaces.extend(item for item in split_slice(value) if item)
        elif flag.name == "all-namespaces":
            self.all_namespaces = value.lower() in ("", "1", "t", "true")


def _takes_next_word(flag: Flag) -> bool:
    # pflag: bool flags and flags with a bare value (-t) take a value only after '='.
    return flag.kind is not Kind.BOOL and flag.bare_value is None


def _short(arg: str, state: LineState) -> Flag | None:
    """Walk ``-abc`` / ``-nVALUE``; return the flag left waiting for the next word."""
    letters = arg[1:]
    for i, letter in enumerate(letters):
        flag = BY_SHORT.get(letter)
        if flag is None:
            return None
        tail = letters[i + 1 :]
        if not _takes_next_word(flag):
            if flag.kind is Kind.BOOL:
                state.note(flag, tail[1:] if tail.startswith("=") else "")
                if tail.startswith("="):
                    return None
            continue
        if tail:
            state.note(flag, tail.removeprefix("="))
            return None
        return flag
    return None


def read_line(words: Sequence[str]) -> LineState:
    """Parse the complete words before the cursor (not the word being typed)."""
    state = LineState()
    for arg in words:
        if state.pending is not None:
            state.note(state.pending, arg)
            state.pending = None
        elif state.after_dashdash or arg == "-" or not arg.startswith("-"):
            state.positionals.append(arg)
        elif arg == "--":
            state.after_dashdash = True
        elif arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            flag = BY_NAME.get(name)
            if flag is None:
                continue
            if eq or flag.kind is Kind.BOOL:
                state.note(flag, value)
            elif _takes_next_word(flag):
                state.pending = flag
        else:
            state.pending = _short(arg, state)
    return state
