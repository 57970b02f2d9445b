"""Bytes-level line handling for log streams: splitting chunks, the resume point, skipping repeats.

The kubelet prefixes each record with ``RFC3339NanoFixed`` when ``timestamps=true``.
``ResumePoint`` remembers the last complete record's timestamp and how many records
carried exactly that timestamp; ``LineSkipper`` drops what a resumed stream repeats
(the kubelet truncates ``sinceTime`` to whole seconds, kubernetes-wire B2).
Everything works on whole chunks with bytes operations (design.md section 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pystern import errors
from pystern.timefmt import format_rfc3339_seconds, parse_rfc3339_ns

MAX_LINE = 1024 * 1024
TRUNCATED = b" [line truncated by pystern]"


class ResumeMismatch(errors.ConnectionLost):
    """A resumed stream does not contain the last line printed: it serves another container instance.

    The log endpoint cannot name an instance, so a reconnect that races a restart reads
    the new instance; its lines must not be printed as the old one's.
    """


def timestamp_of(line: bytes) -> bytes:
    """The leading kubelet timestamp of a record, or ``b""`` if it has none (cheap shape check)."""
    sp = line.find(b" ", 0, 40)
    if sp < 20 or line[4:5] != b"-" or line[10:11] not in (b"T", b"t"):
        return b""
    return line[:sp]


_TS_CHARS = frozenset(b"0123456789-:.TtZz+")


def cut_timestamp(data: bytes) -> bool:
    """Whether ``data`` may be a record cut inside its timestamp (not kubelet error text)."""
    head = data[:35]
    return bool(head) and head[:1].isdigit() and all(b in _TS_CHARS for b in head)


@dataclass(slots=True)
class ResumePoint:
    """The last complete timestamped line seen, and how many lines carried that exact timestamp."""

    ts: bytes = b""
    count: int = 0

    def update(self, lines: Sequence[bytes]) -> None:
        """Account for ``lines`` (already emitted, in order)."""
        i = len(lines) - 1
        while i >= 0:
            ts = timestamp_of(lines[i])
            if ts:
                break
            i -= 1
        else:
            return
        same = 1
        j = i - 1
        prefix = ts + b" "
        while j >= 0:
            line = lines[j]
            if line.startswith(prefix):
                same += 1
            elif timestamp_of(line):
                break
            j -= 1
        if j < 0 and ts == self.ts:
            self.count += same
        else:
            self.ts, self.count = ts, same

    def since_time(self) -> str | None:
        """``sinceTime`` for a resumed request (whole seconds, as the kubelet uses it)."""
        if not self.ts:
            return None
        try:
            return format_rfc3339_seconds(parse_rfc3339_ns(self.ts))
        except ValueError:
            return None

    def skipper(self, echo: bytes = b"", *, verify: bool = False) -> LineSkipper | None:
        """A filter that drops the lines a resumed stream repeats (and a repeated error ``echo``).

        With ``verify`` it raises ``ResumeMismatch`` when the stream skips past the last
        line printed without serving it.
        """
        ts_ns = -1
        if self.ts:
            try:
                ts_ns = parse_rfc3339_ns(self.ts)
            except ValueError:
                return None
        elif not echo:
            return None
        return LineSkipper(ts_ns, self.count, echo, verify=verify)


class LineSkipper:
    """Drops, from the start of a resumed stream, every line already printed.

    Exact as long as the kubelet serves a second's lines in the same order each time:
    lines older than the resume timestamp go, then the first ``count`` lines with exactly
    that timestamp; from the first newer line on everything passes.  Lines without a
    timestamp (kubelet error text in a 200 body) cannot be placed: they pass, except an
    ``echo`` of the text that ended the previous stream (the kubelet repeats it to every
    new request until the container restarts).
    """

    __slots__ = ("_echo", "_remaining", "_ts", "_verify", "done")

    def __init__(self, ts_ns: int, count: int, echo: bytes = b"", *, verify: bool = False) -> None:
        self._ts = ts_ns
        self._remaining = count
        self._echo = echo
        self._verify = verify
        self.done = False

    def _untimed(self, lines: list[bytes]) -> list[bytes]:
        return [x for x in lines if not timestamp_of(x) and x != self._echo]

    def filter(self, lines: list[bytes]) -> list[bytes]:
        """The lines of ``lines`` not printed before."""
        if self.done:
            return lines
        for i, line in enumerate(lines):
            ts = timestamp_of(line)
            if not ts:
                continue
            try:
                ns = parse_rfc3339_ns(ts)
            except ValueError:
                continue
            if ns < self._ts:
                continue
            if ns == self._ts and self._remaining > 0:
                self._remaining -= 1
                continue
            if self._verify and self._remaining > 0:
                raise ResumeMismatch("the resumed log stream does not continue this container instance")
            self.done = True
            kept = self._untimed(lines[:i])
            kept.extend(lines[i:])
            return kept
        return self._untimed(lines)


@dataclass(slots=True)
class LineSplitter:
    """Turns raw chunks into complete lines with bytes operations; bounded memory per line."""

    max_line: int = MAX_LINE
    _partial: bytearray = field(default_factory=bytearray)
    _discarding: bool = False

    def feed(self, chunk: bytes) -> list[bytes]:
        """The complete lines ``chunk`` finishes (without ``\\n``); keeps the partial rest."""
        if self._discarding:
            nl = chunk.find(b"\n")
            if nl < 0:
                return []
            chunk = chunk[nl + 1 :]
            self._discarding = False
        carried = len(self._partial)
        if carried and b"\n" not in chunk:
            self._partial += chunk
            return self._cut_partial()
        lines = chunk.split(b"\n")
        if carried:
            # The partial line joins the chunk's first piece in place: splitting the chunk
            # whole saves a copy of it (hundreds of KiB in a flood) that slicing would make.
            lines[0] = bytes(self._partial) + lines[0]
            self._partial.clear()
        rest = lines.pop()
        if rest:
            self._partial += rest
        # No line is longer than the carried partial plus the chunk: for the usual chunk (a TLS
        # read, at most tens of KiB) that bound is enough and the per-line length scan is skipped.
        if carried + len(chunk) > self.max_line and lines and max(map(len, lines)) > self.max_line:
            lines = [x if len(x) <= self.max_line else x[: self.max_line] + TRUNCATED for x in lines]
        if len(self._partial) > self.max_line:
            lines.extend(self._cut_partial())
        return lines

    def _cut_partial(self) -> list[bytes]:
        if len(self._partial) <= self.max_line:
            return []
        line = bytes(self._partial[: self.max_line]) + TRUNCATED
        self._partial.clear()
        self._discarding = True
        return [line]

    def finish(self) -> bytes | None:
        """The partial last line at a final EOF (the container stopped), if any."""
        if self._discarding or not self._partial:
            self.reset()
            return None
        line = bytes(self._partial)
        self._partial.clear()
        return line

    def reset(self) -> None:
        """Forget the partial line (a resumed stream serves it again from its start)."""
        self._partial.clear()
        self._discarding = False
