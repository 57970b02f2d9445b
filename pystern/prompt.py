"""``-p/--prompt``: choose an ``app.kubernetes.io/instance`` value, then tail with that selector.

Like stern, every pod of the selected namespaces is listed (no label selector), the
distinct values of the label are sorted and offered; the choice becomes the label
selector (replacing ``-l``; a resource query, handled by the caller, still wins).
The menu is written to stderr so that stdout carries only ``Selector: ...`` and the
log lines; the answer is read from an injectable text stream (tests) or the terminal's
file descriptor, in a daemon thread: Ctrl-C at the menu ends the run at once (an executor
thread blocked reading the terminal would hold the process until the clean-up limit).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, BinaryIO, TextIO, cast

from pystern.errors import PysternError, UsageError
from pystern.options import ColorMode, Config

if TYPE_CHECKING:
    from pystern.ports import Cluster

LABEL = "app.kubernetes.io/instance"


async def instance_values(config: Config, clusters: Sequence[Cluster]) -> list[str]:
    """The sorted distinct ``app.kubernetes.io/instance`` values of the selected namespaces' pods."""
    sel = config.selection

    def namespaces(cluster: Cluster) -> Sequence[str | None]:
        if sel.all_namespaces:
            return [None]
        return list(sel.namespaces) or [cluster.default_namespace]

    # Each cluster and namespace is listed concurrently; the results are merged afterwards
    # (stern writes them into one shared map from several goroutines without a lock).
    lists = await asyncio.gather(
        *(
            cluster.list_pods(namespace, "", sel.field_selector)
            for cluster in clusters
            for namespace in namespaces(cluster)
        )
    )
    # An empty value is no instance (stern skips it too): it would select the unlabelled pods.
    return sorted({pod.labels[LABEL] for listed in lists for pod in listed.pods if pod.labels.get(LABEL)})


class _Answers:
    """An answer stream whose end raises ``EOFError``.

    rich reads an injected stream with ``readline()``, which returns "" at its end; rich
    would take that as an invalid answer and ask again forever.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def readline(self) -> str:
        line = self._stream.readline()
        if not line:
            raise EOFError
        return line.removesuffix("\n")  # as input() returns it, so Enter alone is ""


class _Terminal:
    """Lines typed on the terminal, read from its file descriptor.

    The descriptor, not ``sys.stdin``: a daemon thread left blocked inside the buffered reader
    would hold its lock, and interpreter shutdown then aborts ("could not acquire lock").
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def readline(self) -> str:
        """The next line with its newline, as a text stream gives it ("" at the end)."""
        data = b""
        while not data.endswith(b"\n"):
            chunk = os.read(self._fd, 4096)  # a terminal in canonical mode gives one line a read
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace")


async def _in_daemon_thread(work: Callable[[], str]) -> str:
    """``work()`` in a daemon thread: cancelling the await leaves it behind without waiting for it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(value: str, error: Exception | None) -> None:
        if future.done():  # cancelled: nobody waits for the answer any more
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def run() -> None:
        error: Exception | None = None
        value = ""
        try:
            value = work()
        except Exception as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: the run ended (Ctrl-C at the menu)
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=run, name="pystern-prompt", daemon=True).start()
    return await future


def choose(values: Sequence[str], *, answers: TextIO | None, screen: TextIO, color: bool = True) -> str:
    """Show a numbered menu on ``screen`` and read the choice from ``answers`` (None: the terminal).

    rich re-asks until a listed number is given (Enter alone: the first); the end of input is
    an error (exit 1).
    ``color=False`` (``--color=never``) draws it without escape codes; otherwise rich decides
    from the terminal, ``NO_COLOR`` and ``TERM``.
    """
    from rich.console import Console
    from rich.prompt import IntPrompt

    console = Console(file=screen) if color else Console(file=screen, color_system=None)
    console.print(f'Select "{LABEL}" label value:', highlight=False)
    for number, value in enumerate(values, 1):
        console.print(f"  {number:>3}  {value}", highlight=False, markup=False)
    choices = [str(n) for n in range(1, len(values) + 1)]
    try:
        stream = cast(TextIO, _Answers(answers)) if answers is not None else None
        # Enter alone takes the first value, as in stern's select, whose cursor starts there.
        index = IntPrompt.ask("Number", console=console, choices=choices, default=1, stream=stream)
    except EOFError:
        raise PysternError("--prompt: no value chosen (end of input)") from None
    return values[index - 1]


async def prompt_selector(
    config: Config,
    clusters: Sequence[Cluster],
    *,
    interactive: bool,
    stdout: BinaryIO,
    screen: TextIO,
    answers: TextIO | None = None,
    terminal: int | None = None,
    color_stdout: bool = False,
) -> Config:
    """Run the ``--prompt`` dialogue; returns ``config`` with the chosen label selector.

    ``interactive`` says whether stdin is a terminal (or ``answers`` stands in for one);
    ``terminal`` is that terminal's file descriptor, read when no ``answers`` are given;
    ``color_stdout`` whether stdout gets colour (the selector is then blue, as in stern).
    Raises ``PysternError`` (exit 1, a fact about the cluster, as stern's error) for "No
    matching labels" and ``UsageError`` for a non-interactive stdin, checked in that order
    (the listing tells the user more than the missing terminal).
    """
    values = await instance_values(config, clusters)
    if not values:
        raise PysternError("No matching labels")
    if not interactive:
        raise UsageError("--prompt needs a terminal on stdin", flag="prompt")
    color = config.output.color is not ColorMode.NEVER
    if answers is None and terminal is not None:
        answers = cast(TextIO, _Terminal(terminal))
    try:
        chosen = await _in_daemon_thread(lambda: choose(values, answers=answers, screen=screen, color=color))
    except asyncio.CancelledError:
        screen.write("\n")  # Ctrl-C: end the menu's line (the terminal echoed ^C on it)
        screen.flush()
        raise
    selector = f"{LABEL}={chosen}"
    shown = f"\x1b[34m{selector}\x1b[0m" if color_stdout else selector
    stdout.write(f"Selector: {shown}\n".encode())
    stdout.flush()
    return replace(config, selection=replace(config.selection, label_selector=selector))
