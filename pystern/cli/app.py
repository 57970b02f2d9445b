"""The composition root: build the clusters and the sink, run the engine, own the signals.

Only this module knows the process: real stdin/stdout, signals, exit statuses.  The
engine (``pystern.run``), the kube client and the renderer are imported lazily so that
``--help`` and ``--version`` never load aiohttp or kubernetes_asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from pystern.cli.invocation import Invocation, Source
from pystern.errors import PysternError, escape_text
from pystern.options import Config, Connection

if TYPE_CHECKING:
    from pystern.ports import Cluster
    from pystern.render import RenderSink

_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class ProcessIO:
    """The world the CLI runs in (injected so tests can run it in-process)."""

    stdin: BinaryIO
    stdout: BinaryIO
    stderr: TextIO
    stdout_isatty: bool
    stdin_isatty: bool
    env: Mapping[str, str]
    program: str = "pystern"
    """How the user runs pystern, for the help screen: ``kubectl pystern`` as the kubectl plugin."""


async def _read_stdin(stream: BinaryIO, on_chunk: Callable[[bytes], None]) -> None:
    """Feed stdin chunks to ``on_chunk`` until EOF.

    A daemon thread does the blocking reads: an executor thread would keep the process
    alive after Ctrl-C until stdin delivered more data.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | BaseException] = asyncio.Queue(maxsize=16)
    room = threading.Semaphore(16)

    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        fd = -1

    def read(size: int) -> bytes:
        # The file descriptor, not sys.stdin.buffer: a daemon thread blocked inside the buffered
        # reader holds its lock, and interpreter shutdown then aborts ("could not acquire lock").
        if fd >= 0:
            return os.read(fd, size)
        return getattr(stream, "read1", stream.read)(size)

    def reader() -> None:
        while True:
            room.acquire()
            try:
                chunk: bytes | BaseException = read(_CHUNK)
            except (OSError, ValueError) as exc:
                chunk = exc
            try:
                loop.call_soon_threadsafe(queue.put_nowait, chunk)
            except RuntimeError:  # the loop is gone: the run ended
                return
            if not isinstance(chunk, bytes) or not chunk:
                return

    threading.Thread(target=reader, name="pystern-stdin", daemon=True).start()
    while True:
        item = await queue.get()
        room.release()
        if isinstance(item, BaseException):
            raise item
        if not item:
            return
        on_chunk(item)


async def _run_stdin(config: Config, io: ProcessIO) -> int:
    from pystern.render import build_sink

    sink = build_sink(
        config.output, stdout=io.stdout, stderr=io.stderr, stdout_isatty=io.stdout_isatty, env=io.env
    )
    from pystern.tail.lines import LineSplitter

    # The log streams' splitter: a line with no end in sight (a one-line dump) is cut at MAX_LINE
    # instead of being re-copied with every chunk (quadratic time, unbounded memory).
    splitter = LineSplitter()

    def on_chunk(chunk: bytes) -> None:
        lines = splitter.feed(chunk)
        if lines:
            sink.render_stdin_lines(lines)

    async def read_all() -> int:
        await _read_stdin(io.stdin, on_chunk)
        last = splitter.finish()
        if last:
            sink.render_stdin_line(last)
        return 0

    try:
        return await _until_output_closed(sink, read_all())
    finally:
        await sink.aclose()


async def _until_output_closed(sink: RenderSink, work: Coroutine[Any, Any, int]) -> int:
    """Run ``work``, ending it as soon as stdout fails or its reader leaves (``OutputClosed``).

    Otherwise ``… | grep -m1 READY`` would go on until two more lines came (see
    ``Writer.wait_closed``), and a quiet pod or ``tail -f`` on stdin may print none for hours.
    """
    try:
        async with asyncio.TaskGroup() as tg:
            watch = tg.create_task(sink.wait_closed())
            try:
                return await work
            finally:
                watch.cancel()
    except BaseExceptionGroup as group:
        if len(group.exceptions) == 1:
            # The error itself, as before the watch; its cause says why stdout failed.
            (error,) = group.exceptions
            raise error from error.__cause__
        raise


async def _prompt_selector(config: Config, clusters: Sequence[Cluster], io: ProcessIO) -> Config:
    """``--prompt``: pick an ``app.kubernetes.io/instance`` value (see ``pystern.prompt``)."""
    from pystern.prompt import prompt_selector
    from pystern.render.colors import color_enabled

    color = color_enabled(config.output.color, stdout_isatty=io.stdout_isatty, env=io.env)
    try:
        terminal: int | None = io.stdin.fileno() if io.stdin_isatty else None
    except (OSError, ValueError, AttributeError):
        terminal = None
    return await prompt_selector(
        config,
        clusters,
        interactive=io.stdin_isatty,
        stdout=io.stdout,
        screen=io.stderr,
        terminal=terminal,
        color_stdout=color,
    )


async def _connect_all(
    config: Config, io: ProcessIO, stack: contextlib.AsyncExitStack
) -> tuple[list[Cluster], list[tuple[Cluster, PysternError]]]:
    """One cluster per ``--context``: those that answered, and those that did not (with the error)."""
    from pystern.kube import connect_contexts

    clusters, unreachable = await connect_contexts(config.connection, stderr=io.stderr, environ=io.env)
    for cluster in [*clusters, *(c for c, _ in unreachable)]:
        stack.push_async_callback(cluster.aclose)
    return list(clusters), list(unreachable)


def _where(config: Config, clusters: Sequence[Cluster], source: str) -> str:
    """The namespaces a run looks in, for ``--verbosity 1`` (the connection line gives the context's).

    ``source`` says where ``-n``/``-A`` was set (``Invocation.namespace_source``).
    """
    sel = config.selection
    if sel.all_namespaces:
        return f"all namespaces ({source})"
    namespaces = sel.namespaces or tuple(dict.fromkeys(c.default_namespace for c in clusters))
    names = ", ".join(f'"{ns}"' for ns in namespaces)
    plural = "namespaces" if len(namespaces) > 1 else "namespace"
    return f"{plural} {names} " + (f"({source})" if sel.namespaces else "(the context's)")


def _say(stream: TextIO, line: str) -> None:
    """A diagnostic line; a closed or broken stderr does not stop the run."""
    with contextlib.suppress(OSError, ValueError):
        stream.write(escape_text(line) + "\n")
        stream.flush()


async def _run_clusters(invocation: Invocation, config: Config, io: ProcessIO) -> int:
    async with contextlib.AsyncExitStack() as stack:
        clusters, unreachable = await _connect_all(config, io, stack)
        if config.connection.verbosity >= 1:
            _say(io.stderr, f"pystern: tailing {_where(config, clusters, invocation.namespace_source)}")
        if invocation.prompt and not config.selection.resource:
            config = await _prompt_selector(config, clusters, io)
        from pystern.kube.workloads import resolve_workload
        from pystern.render import build_sink
        from pystern.run import run

        sink = build_sink(
            config.output, stdout=io.stdout, stderr=io.stderr, stdout_isatty=io.stdout_isatty, env=io.env
        )
        stack.push_async_callback(sink.aclose)
        return await _until_output_closed(
            sink, run(config, clusters, sink, resolve_workload=resolve_workload, unreachable=unreachable)
        )
    raise AssertionError("unreachable")  # pragma: no cover


def demo_connection(user: Connection, kubeconfig: str) -> Connection:
    """The demo's connection: its sandbox's ``kubeconfig`` and only the client tuning of ``user``.

    A server, token or context from the config file belongs to the user's real cluster and
    must not be sent anywhere by the demo.
    """
    return Connection(
        kubeconfig=kubeconfig,
        qps=user.qps,
        burst=user.burst,
        request_timeout=user.request_timeout,
        verbosity=user.verbosity,
        disable_compression=user.disable_compression,
    )


async def _run_demo(invocation: Invocation, config: Config, io: ProcessIO) -> int:
    from pystern.sandbox import Sandbox

    async with Sandbox.start(scenario="demo") as sandbox:
        with tempfile.TemporaryDirectory(prefix="pystern-demo-") as tmp:
            path = sandbox.write_kubeconfig(Path(tmp) / "kubeconfig")
            connection = demo_connection(config.connection, str(path))
            output = replace(config.output, show_context=False)
            return await _run_clusters(invocation, replace(config, connection=connection, output=output), io)


def body(invocation: Invocation, io: ProcessIO) -> Callable[[], Awaitable[int]]:
    """The coroutine factory of a RUN invocation."""
    config = invocation.config
    if invocation.source is Source.STDIN:
        return lambda: _run_stdin(config, io)
    if invocation.source is Source.DEMO:
        return lambda: _run_demo(invocation, config, io)
    return lambda: _run_clusters(invocation, config, io)


CLEANUP_LIMIT = 3.0
"""Seconds the clean-up after a signal may take: writing out what is buffered can block for
ever on a reader that stopped reading without closing the pipe (``| less`` left paused)."""


def run_with_signals(make: Callable[[], Awaitable[int]]) -> int:
    """Run the coroutine; Ctrl-C -> 130, SIGTERM -> 143 after cancelling it (streams close).

    A second signal while cleaning up ends the process at once, and so does a clean-up that
    takes longer than ``CLEANUP_LIMIT`` (stdout stuck): the exit status is the same.
    """

    async def guarded() -> int:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        received: list[int] = []

        def on_signal(signum: int) -> None:
            if received:
                os._exit(128 + received[0])
            received.append(signum)
            task.cancel()
            loop.call_later(CLEANUP_LIMIT, os._exit, 128 + signum)

        installed = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, on_signal, int(signum))
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
                pass
        try:
            return await make()
        except asyncio.CancelledError:
            if received:
                return 128 + received[0]
            raise
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)

    main = threading.current_thread() is threading.main_thread()
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)} if main else None
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            try:
                return runner.run(guarded())
            finally:
                # While the loop closes (the Runner's exit), a signal ends the process at once.
                if saved is not None:
                    _exit_on_signals()
    except KeyboardInterrupt:
        return 130
    finally:
        if saved is not None:
            for signum, handler in saved.items():
                if handler is not None:  # None: set outside Python, cannot be put back
                    signal.signal(signum, handler)


def _exit_on_signals() -> None:
    """Make Ctrl-C and SIGTERM end the process at once, quietly.

    Used after the run, while the loop closes: closing waits for executor threads (a DNS
    lookup, say).  A KeyboardInterrupt there closed the loop under such a thread, which then
    printed a traceback, and SIGTERM killed the process by signal instead of exit 143.  The
    run is over and its output written, so, as for a second signal during the clean-up, the
    exit status is all that is left to give.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(OSError, ValueError):
            signal.signal(signum, _exit_now)


def _exit_now(signum: int, frame: object) -> None:
    os._exit(128 + signum)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when the optional ``fast`` extra installed it, else asyncio's.

    Measured with bench/run.py (1000 containers x 5 lines/s): about a quarter less CPU and
    20 MiB less RSS; both loops pass the same test suite.
    """
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def real_io() -> ProcessIO:
    """The process's own streams."""
    return ProcessIO(
        stdin=sys.stdin.buffer,
        stdout=sys.stdout.buffer,
        stderr=sys.stderr,
        stdout_isatty=sys.stdout.isatty(),
        stdin_isatty=sys.stdin.isatty(),
        env=os.environ,
        # kubectl runs a plugin by the path of its executable, kubectl-pystern.
        program="kubectl pystern" if os.path.basename(sys.argv[0]) == "kubectl-pystern" else "pystern",
    )
