"""The exception tree.  The CLI maps each class to one stderr line and an exit code.

``UsageError`` (exit 2) is bad input the user can fix on the command line; every
other ``PysternError`` exits 1.  Lower layers translate foreign exceptions (aiohttp,
kubernetes_asyncio, yaml) into these with ``raise ... from`` so that nothing above
``kube/`` needs to know those libraries.
"""

from __future__ import annotations

import re

ECHO_LIMIT = 100
"""Characters of user input an error message quotes before cutting it with :func:`shorten`."""

WORD_LIMIT = 200
"""Longer runs without white space are cut in every error message (see ``PysternError.__str__``)."""

MESSAGE_LIMIT = 1000
"""Characters of a whole error message; longer ones lose their middle (see ``PysternError.__str__``)."""

_LONG_RUN = re.compile(rf"\S{{{WORD_LIMIT + 1},}}")


def shorten(text: object, limit: int = ECHO_LIMIT) -> str:
    """User input as quoted in an error message: at most ``limit`` characters, then ``...``.

    A 5,000-character selector or path must not turn the one error line into a screenful;
    the start is enough to recognise it and the message says what is wrong with it.
    """
    shown = str(text)
    return shown if len(shown) <= limit else shown[:limit] + "..."


def shorten_words(message: str, limit: int = ECHO_LIMIT) -> str:
    """``message`` with every run of more than ``limit`` non-space characters shortened.

    For messages built by a layer that quotes the input without knowing it is user text
    (Go's ``time: invalid duration "..."``, a template parser naming an identifier).
    """
    return re.sub(rf"\S{{{limit + 1},}}", lambda m: shorten(m.group(), limit), message)


def not_utf8(exc: UnicodeDecodeError) -> str:
    """A file's decoding failure in the user's terms: ``is not valid UTF-8 (byte 0xff on line 2)``.

    Python's own text ("'utf-8' codec can't decode byte 0xff in position 8") names a codec
    and a byte offset; a line number is what an editor can jump to.
    """
    line = exc.object.count(b"\n", 0, exc.start) + 1
    return f"is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} on line {line})"


def escape_text(text: str) -> str:
    """Text for stderr with every control character shown in caret notation (tab kept).

    Notices, template errors and ``--verbosity`` diagnostics quote what a server or a container
    sent; ``ESC``, DEL or a C1 control such as U+009B (CSI) in it must not reach the terminal.
    C1 controls are shown as their 7-bit form (U+009B as ``^[[``), like log content.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if (code < 0x20 and ch != "\t") or code == 0x7F:
            out.append("^?" if code == 0x7F else "^" + chr(code + 0x40))
        elif 0x80 <= code < 0xA0:
            out.append("^[" + chr(code - 0x40))
        else:
            out.append(ch)
    return "".join(out)


class PysternError(Exception):
    """Base class of every error pystern reports to the user."""

    exit_code: int = 1

    def __str__(self) -> str:
        # A backstop for messages that quote input without shortening it: one error line stays
        # one line on the screen.  Very long words are cut, then an overlong message loses its
        # middle, keeping the start (what) and the end (why).
        text = super().__str__()
        if len(text) > WORD_LIMIT:
            text = _LONG_RUN.sub(lambda m: shorten(m.group()), text)
        if len(text) <= MESSAGE_LIMIT:
            return text
        half = (MESSAGE_LIMIT - 5) // 2
        return f"{text[:half]} ... {text[-half:]}"


def from_context(exc: PysternError, context: str) -> PysternError:
    """``exc`` with its message prefixed by the kubeconfig context it came from.

    For runs over several ``--context``s: "You must be logged in" alone does not say which
    cluster refused.  The class (and so the exit code and any fields) is kept.
    """
    message = super(PysternError, exc).__str__()
    if f'context "{context}"' in message:
        return exc  # it says so already ('context "x" does not exist in the kubeconfig')
    exc.args = (f'context "{context}": {message}', *exc.args[1:])
    return exc


class UsageError(PysternError):
    """Bad flags, arguments, config-file values or templates (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, *, flag: str | None = None) -> None:
        super().__init__(message)
        self.flag = flag


class ConfigFileError(UsageError):
    """A config file that cannot be read, parsed or has a bad value."""


class TemplateParseError(UsageError):
    """A Go template that does not parse (``unable to parse template: ...``)."""


class TemplateExecError(PysternError):
    """A template failed while rendering one line; reported and skipped."""


class KubeconfigError(PysternError):
    """Missing or broken kubeconfig, unknown context, failing credential plugin."""


class ConnectionFailed(PysternError):
    """The API server could not be reached (refused, DNS, TLS handshake, timeout)."""


class UntrustedCertificate(ConnectionFailed):
    """The server answered with a TLS certificate the kubeconfig does not trust: a configuration
    problem, not an outage (with several contexts it stops the run instead of being retried)."""


class ConnectionLost(PysternError):
    """An established stream broke (reset, truncated chunked body, stalled read)."""


class ApiError(PysternError):
    """A non-2xx answer from the API server, carrying its ``Status`` fields."""

    def __init__(self, status: int, reason: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message or reason or f"HTTP {status}")
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


class WatchExpired(ApiError):
    """A watch's resourceVersion is too old (HTTP 410 / ``Expired``): list again."""


def failure_kind(exc: PysternError) -> str:
    """What a retry notice is about: a server that does not answer, refused credentials (401), a
    refusal (403), or another error.  A streak of failures deserves a new notice when this changes:
    a token that expires while a stream was broken or the server restarting is reported after the
    first error of the streak, and the credentials are what the user must act on."""
    if isinstance(exc, (ConnectionFailed, ConnectionLost)):
        return "unreachable"
    if isinstance(exc, ApiError) and exc.status in (401, 403):
        return str(exc.status)
    return "error"
