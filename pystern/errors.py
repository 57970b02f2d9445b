"""The exception tree.  The CLI maps each class to one stderr line and an exit code.

``UsageError`` (exit 2) is bad input the user can fix on the command line; every
other ``PysternError`` exits 1.  Lower layers translate foreign exceptions (aiohttp,
kubernetes_asyncio, yaml) into these with ``raise ... from`` so that nothing above
``kube/`` needs to know those libraries.
"""

from __future__ import annotations


class PysternError(Exception):
    """Base class of every error pystern reports to the user."""

    exit_code: int = 1


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
