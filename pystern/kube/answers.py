"""Reading the API server's answers: a non-2xx answer as ``ApiError``, and the headers that matter.

The API server explains a refusal in a ``Status`` body (reason, message, ``retryAfterSeconds``);
an ingress or proxy in front of it answers with its own page, which is named by its HTTP status.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Mapping

from pystern.errors import ApiError, WatchExpired


def api_error(status: int, http_reason: str, body: bytes, retry_after: float | None = None) -> ApiError:
    """Turn a non-2xx answer (ideally a ``Status`` JSON body) into ``ApiError``."""
    reason, message = "", ""
    try:
        doc = json.loads(body) if body else None
    except (ValueError, RecursionError):  # not JSON, or nested past what json reads: an internal error
        doc = None
    if isinstance(doc, dict) and (doc.get("kind") == "Status" or "message" in doc):
        reason = str(doc.get("reason") or "")
        message = str(doc.get("message") or "")
        details = doc.get("details")
        if retry_after is None and isinstance(details, dict):
            seconds = details.get("retryAfterSeconds")
            if isinstance(seconds, int | float) and seconds > 0:
                retry_after = float(seconds)
    elif body and status != 401:
        # Not the API server's Status (an ingress's or proxy's page): the page alone did not
        # say that it was an HTTP error, nor which.
        text = " ".join(body.decode("utf-8", "replace").split())[:300]
        message = f"the server answered {status} {http_reason}: {text}" if text else ""
    if not reason:
        reason = http_reason or ""
    if status == 401 and message in ("", "Unauthorized"):
        message = "You must be logged in to the server (Unauthorized)"
    if not message:
        message = f"the server answered {status} {http_reason}".strip()
    cls = WatchExpired if status == 410 else ApiError
    return cls(status, reason, message, retry_after=retry_after)


def date_ns(value: str) -> int:
    """An HTTP ``Date`` header (whole seconds) -> epoch nanoseconds; 0 when absent or unreadable."""
    try:
        return int(email.utils.parsedate_to_datetime(value).timestamp()) * 1_000_000_000
    except (TypeError, ValueError, IndexError, OverflowError):
        return 0


def retry_after_of(headers: Mapping[str, str]) -> float | None:
    """The ``Retry-After`` header in seconds (the delta form); None if absent or unreadable."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
