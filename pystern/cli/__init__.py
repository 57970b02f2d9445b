"""pystern's command line: ``pystern <query> [flags]`` (also ``kubectl pystern``, ``python -m pystern``).

* ``argv``: the pflag-compatible parser (stern's flag syntax);
* ``invocation``: argv + environment + config file -> ``Invocation`` (pure, see ``parse_config``);
* ``help``: help screen, ``--show-hidden-options``, the README flag table;
* ``app``: the composition root (clusters, sink, engine, signals).

Exit statuses: 0 success; 1 runtime error (or a failed ``--no-follow`` stream); 2 bad
usage (flags, config file, template); 130 Ctrl-C; 143 SIGTERM.  Errors are one line on
stderr, ``pystern: error: <message>``; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO, cast

from pystern import __version__
from pystern.cli.app import ProcessIO, body, real_io, run_with_signals
from pystern.cli.help import flag_table_markdown, print_help, print_hidden
from pystern.cli.invocation import Action, Invocation, Source, parse_config, parse_invocation
from pystern.config.flags import BY_NAME, BY_SHORT, Kind
from pystern.errors import PysternError
from pystern.render.native import tune_allocator

__all__ = [
    "Action",
    "Invocation",
    "ProcessIO",
    "Source",
    "flag_table_markdown",
    "main",
    "parse_config",
    "parse_invocation",
    "run_cli",
]


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _output_closed(exc: BaseException) -> bool:
    # pystern.render is only consulted when it was loaded: a closed stdout can only come from it.
    render = sys.modules.get("pystern.render")
    closed = getattr(render, "OutputClosed", None)
    return isinstance(exc, BrokenPipeError) or (isinstance(closed, type) and isinstance(exc, closed))


def _write_failure(exc: BaseException) -> BaseException | None:
    """The error behind a write to stdout that failed for a reason other than its reader leaving.

    A closed pipe or socket (``| head``) ends the run quietly; a full disk, an I/O error or
    anything else that stopped the writer means lines the user asked for were lost, so it is
    reported (exit 1), as ``cat`` does.
    """
    cause = exc.__cause__ if _output_closed(exc) else None
    if cause is None or isinstance(cause, BrokenPipeError | ConnectionResetError):
        return None
    return cause


def _stdout_error(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
    elif isinstance(exc, MemoryError):
        reason = "out of memory"
    else:
        reason = f"internal error {exc!r}; run with --debug for details"
    return f"cannot write to standard output: {reason}"


def _silence_stdout(io: ProcessIO) -> None:
    """After a closed pipe: point fd 1 at /dev/null so the interpreter's final flush stays quiet."""
    if io.stdout is not getattr(sys.stdout, "buffer", None):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
# An argument or file name that is not UTF-8 reaches Python as lone surrogates (U+DC80..U+DCFF,
# surrogateescape); show the byte itself as Go does (\xff), not Python's \udcff.
_CONTROL.update({0xDC00 + byte: f"\\x{byte:02x}" for byte in range(0x80, 0x100)})


def one_line(text: str) -> str:
    """Error text made safe for a terminal: one line, control characters shown escaped.

    Messages can carry server text (a Status message, a kubeconfig value) that must not be
    able to move the cursor or rewrite the screen.
    """
    return " ".join(text.split("\n")).translate(_CONTROL)


def _takes_the_next_word(arg: str) -> bool:
    """Whether ``arg`` is a flag that takes the following word as its value (``--since 5m``)."""
    if arg.startswith("--") and "=" not in arg:
        flag = BY_NAME.get(arg[2:])
    elif arg.startswith("-") and len(arg) == 2:
        flag = BY_SHORT.get(arg[1])
    else:
        return False
    return flag is not None and flag.kind is not Kind.BOOL and flag.bare_value is None


def _debug_requested(argv: Sequence[str]) -> bool:
    """``--debug`` before the flags are parsed (a parse error is reported with its traceback).

    A ``--debug`` that is another flag's value (``--since --debug``) is not one: it showed a
    traceback for the error about that very value.
    """
    for index, arg in enumerate(argv):
        if arg == "--":
            return False
        if index and _takes_the_next_word(argv[index - 1]):
            continue
        if arg == "--debug" or (
            arg.startswith("--debug=") and arg[8:] in ("1", "t", "T", "true", "TRUE", "True")
        ):
            return True
    return False


def _report(exc: BaseException, io: ProcessIO, debug: bool) -> int:
    leaves = _leaves(exc)
    failed = next((cause for leaf in leaves if (cause := _write_failure(leaf)) is not None), None)
    if failed is not None:
        _silence_stdout(io)
        if debug:
            import traceback

            traceback.print_exception(exc, file=io.stderr)
        io.stderr.write(f"pystern: error: {one_line(_stdout_error(failed))}\n")
        return 1
    if any(_output_closed(leaf) for leaf in leaves):
        _silence_stdout(io)
        return 0
    if any(isinstance(leaf, KeyboardInterrupt) for leaf in leaves):
        return 130
    known = next((leaf for leaf in leaves if isinstance(leaf, PysternError)), None)
    if debug:
        import traceback

        traceback.print_exception(exc, file=io.stderr)
    if known is not None:
        message = one_line(str(known)) or type(known).__name__
        io.stderr.write(f"pystern: error: {message}\n")
        return known.exit_code
    io.stderr.write(f"pystern: internal error: {one_line(repr(leaves[0]))}; run with --debug for details\n")
    return 1


def _text_stdout(io: ProcessIO) -> TextIO:
    if io.stdout is getattr(sys.stdout, "buffer", None):
        return sys.stdout
    return cast(TextIO, _BinaryText(io.stdout))


class _BinaryText:
    """A minimal text face over a binary stream (tests pass BytesIO as stdout)."""

    def __init__(self, raw: object) -> None:
        self._raw = raw

    def write(self, text: str) -> int:
        self._raw.write(text.encode())  # type: ignore[attr-defined]
        return len(text)

    def flush(self) -> None:
        self._raw.flush()  # type: ignore[attr-defined]

    def isatty(self) -> bool:
        return False


def _inform(invocation: Invocation, io: ProcessIO) -> None:
    """Print the help, version, hidden options or completion script the invocation asks for."""
    if invocation.action is Action.HELP:
        out = _text_stdout(io)
        print_help(out, color=io.stdout_isatty, program=io.program)
        out.flush()
    elif invocation.action is Action.VERSION:
        io.stdout.write(f"version: {__version__}\n".encode())
        io.stdout.flush()
    elif invocation.action is Action.SHOW_HIDDEN:
        out = _text_stdout(io)
        print_hidden(out)
        out.flush()
    elif invocation.action is Action.COMPLETION:
        from pystern.completion import completion_script

        io.stdout.write(completion_script(invocation.completion_shell).encode())
        io.stdout.flush()


def run_cli(argv: Sequence[str], io: ProcessIO | None = None) -> int:
    """Run one command line; returns the exit status (never raises, except SystemExit from tests)."""
    io = io or real_io()
    debug = _debug_requested(argv)
    try:
        invocation = parse_invocation(argv, io.env)
        for warning in invocation.warnings:
            io.stderr.write(f"pystern: warning: {one_line(warning)}\n")
        if invocation.action is not Action.RUN:
            try:
                _inform(invocation, io)
            except BrokenPipeError:
                _silence_stdout(io)
            except OSError as exc:
                _silence_stdout(io)
                io.stderr.write(f"pystern: error: {one_line(_stdout_error(exc))}\n")
                return 1
            return 0
        config = invocation.config
        debug = config.debug
        if config.connection.verbosity >= 1:
            for note in invocation.notes:
                io.stderr.write(f"pystern: {note}\n")
        return run_with_signals(body(invocation, io))
    except Exception as exc:  # one line per error; the traceback only with --debug
        return _report(exc, io, debug)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | BaseExceptionGroup):
            return _report(exc, io, debug)
        raise


def _closed_standard_fds() -> list[int]:
    """Point closed descriptors 0-2 at /dev/null and give ``sys`` streams for them; returns them.

    Run with ``2>&-`` (or ``>&-``, ``<&-``), the first socket would take the free descriptor:
    uvloop aborts when it closes a socket on fd 0-2 (libuv asserts ``fd > STDERR_FILENO``), a
    socket on fd 1 would get the log lines, and Python has set ``sys.stderr`` to None.
    """
    closed = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.append(fd)
    for fd in closed:
        null = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    if 0 in closed:
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 (kept open for the process)
    if 1 in closed:
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    if 2 in closed:
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
    return closed


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console-script entry point (``pystern`` and ``kubectl-pystern``)."""
    closed = _closed_standard_fds()
    if 1 in closed:
        # Every line would be lost: say so at once, as `cat >&-` does, rather than tail for nothing.
        sys.stderr.write(f"pystern: error: {_stdout_error(OSError(errno.EBADF, os.strerror(errno.EBADF)))}\n")
        sys.exit(1)
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["__complete"]:
        # The shell completion callback: answered before flag parsing (pystern.completion).
        from pystern.completion import complete_main

        sys.exit(complete_main(args[1:]))
    io = real_io()
    tune_allocator()  # the whole process's malloc: so here, not in run_cli (tests, the Python API)
    code = run_cli(args, io)
    try:
        sys.stdout.flush()
    except (BrokenPipeError, OSError, ValueError):
        _silence_stdout(io)
    sys.exit(code)
