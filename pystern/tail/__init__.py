"""One container's log stream: ``lines`` (bytes-level splitting and resume) and ``stream`` (``Tail``,
with its ``watchdog``, its ``retries`` and its ``instances`` checks; ``policy`` holds its settings).

Re-exports the names the rest of the engine and the tests use.
"""

from pystern.tail.lines import (
    MAX_LINE,
    TRUNCATED,
    LineSkipper,
    LineSplitter,
    ResumeMismatch,
    ResumePoint,
    timestamp_of,
)
from pystern.tail.policy import NO_FOLLOW_RETRIES, History, RetryPolicy, StatusSource
from pystern.tail.stream import Tail

__all__ = [
    "MAX_LINE",
    "NO_FOLLOW_RETRIES",
    "TRUNCATED",
    "History",
    "LineSkipper",
    "LineSplitter",
    "ResumeMismatch",
    "ResumePoint",
    "RetryPolicy",
    "StatusSource",
    "Tail",
    "timestamp_of",
]
