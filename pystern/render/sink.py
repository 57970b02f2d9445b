"""``RenderSink``: the ``ports.Sink`` that turns batches of kubelet records into output bytes.

The hot path (design.md §2): ``emit`` gets a batch of complete lines of one target.  The
target's constant prefix (and JSON tail) is built once and cached.  In the configurations
below that need no ``-t``, highlight or regex, the batch goes first to the C loop
(``native``, where it was built), which renders it in one pass or hands it back; the Python
routes described next define its output and render whatever it hands back.  With no ``-t`` and no
highlight, the fixed-width kubelet timestamps are checked and sliced off for the whole
batch, ``-i``/``-e`` decide for the whole batch (``LineFilter.keep_lines``), and one
``join`` puts the prefix in front of every line (``-o json``: ``jsonbatch.json_lines``, a
few C passes per batch).
With ``-t`` each distinct second is converted once; in a zone at UTC the lines go out as
the kubelet wrote them, otherwise as ``zip`` rows joined once (``stamped``).  ``--sort``
hands over lines of many targets at once (``emit_merged``), rendered the same way with
the prefix as a per-line column.  Anything else takes the per-line path (``perline``).
Sanitising runs once over the rendered chunk, and the chunk goes to the single stdout
``Writer``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import chain, groupby, repeat
from operator import itemgetter
from typing import Any, BinaryIO, NamedTuple, TextIO

from pystern.model import Notice, NoticeKind, Target
from pystern.options import Output, OutputFormat, TimestampFormat
from pystern.render.colors import (
    RESET_COLOR,
    ColorPicker,
    Sgr,
    build_palette,
    color_enabled,
    palette_index,
)
from pystern.render.descriptors import same_file
from pystern.render.jsonbatch import escape_many, json_line_parts
from pystern.render.layout import TargetLayout, build_layout
from pystern.render.linefilter import LineFilter
from pystern.render.native import NativeRenderer, native_renderer
from pystern.render.notices import NoticeRenderer
from pystern.render.perline import PerLineRenderer, compile_template, template_data
from pystern.render.sanitize import Sanitizer, escape_json_controls, escape_text
from pystern.render.stamped import JSON_OPEN, stamped_parts
from pystern.render.timestamps import TimestampFormatter, load_timezone
from pystern.render.writer import Writer

_LAYOUT_CACHE = 4096
_STDIN_TARGET = Target(namespace="", pod="", container="")
_JSON_FORMATS = (OutputFormat.JSON, OutputFormat.EXTJSON, OutputFormat.PPEXTJSON)
_ROW_FORMATS = (OutputFormat.DEFAULT, OutputFormat.RAW, OutputFormat.JSON)
_TIMESTAMP_WIDTH = 31
"""``2006-01-02T15:04:05.000000000Z`` (RFC3339NanoFixed in UTC) and the space after it."""
_TIMESTAMP_PART = itemgetter(slice(None, _TIMESTAMP_WIDTH))
_MESSAGE_PART = itemgetter(slice(_TIMESTAMP_WIDTH, None))
_TIMESTAMP_PUNCTUATION = tuple(
    (offset, bytes((byte,))) for offset, byte in enumerate(b"0000-00-00T00:00:00.000000000Z ") if byte != 0x30
)
"""Offset and byte of every non-digit in the fixed-width shape."""


class _Cached(NamedTuple):
    """What one target's lines share, computed once per target."""

    layout: TargetLayout
    data: Any
    """The template's data (``--template`` only)."""
    json_rest: bytes
    """``layout.json_rest`` encoded: the JSON fast path works on bytes."""
    line_sep: bytes
    """The newline and ``layout.head``: what goes between two messages in the fast path."""
    native_head: bytes
    """What the C route writes before each message: the prefix, or the JSON record's opening."""
    native_tail: bytes
    """What it writes after: the newline, or the JSON record's closing quote, fields and newline."""


def _fixed_width_messages(lines: Sequence[bytes]) -> list[bytes] | None:
    """The messages when every line starts with a 30-byte kubelet timestamp and a space, else None.

    Kubelet timestamps are almost always 30 bytes (9 digits and ``Z``), so the messages are
    the lines from byte 31 on.  The shape is checked for the whole batch with no Python step
    per line: the lines' first 31 bytes are joined, and every punctuation byte of the shape
    is compared at its stride.  (A list comprehension that tested three bytes of each line
    was about 15% slower, and let through lines such as ``2023-01-27T13:20:48 123456789Z x``.)
    Anything else (offsets, short lines, kubelet text) takes the general loop.
    """
    count = len(lines)
    heads = b"".join(map(_TIMESTAMP_PART, lines))
    if len(heads) != count * _TIMESTAMP_WIDTH:
        return None  # a line shorter than a timestamp and its space
    for offset, byte in _TIMESTAMP_PUNCTUATION:
        if heads[offset::_TIMESTAMP_WIDTH] != byte * count:
            return None
    return list(map(_MESSAGE_PART, lines))


class RenderSink:
    """Formats log lines (stdout) and notices (stderr) as configured by ``Output``."""

    def __init__(
        self, output: Output, *, stdout: BinaryIO, stderr: TextIO, stdout_isatty: bool, env: Mapping[str, str]
    ) -> None:
        self.output = output
        self.colored = color_enabled(output.color, stdout_isatty=stdout_isatty, env=env)
        self.palette = build_palette(output.pod_colors, output.container_colors)
        self.picker = ColorPicker(len(self.palette))
        # Notices go through stdout's writer, in order with the lines, wherever both are read
        # together: on a terminal, or one pipe or file (`2>&1 | less`), where a pod's "-" line
        # would otherwise come before its last lines.
        self.writer = Writer(stdout, stderr, order_stderr=stdout_isatty or same_file(stdout, stderr))
        self.timestamps: TimestampFormatter | None = None
        if output.timestamps is not TimestampFormat.NONE:
            self.timestamps = TimestampFormatter(output.timestamps, load_timezone(output.timezone, env))
        self.filter = LineFilter(output.includes, output.excludes, output.highlights, self._warn)
        self.sanitize: Callable[[bytes], bytes] | None = None
        if stdout_isatty and not output.raw_bytes:
            self.sanitize = Sanitizer(keep_sgr=self.colored)
        self.format = output.format
        self.template: Any = None
        if output.template is not None:
            self.template = compile_template(output.template, self.colored)
        # JSON formats escape C0 controls themselves; on a terminal C1 and DEL are escaped too.
        self.sanitize_json: Callable[[bytes], bytes] | None = None
        if self.sanitize is not None and self.template is None and self.format in _JSON_FORMATS:
            self.sanitize_json = escape_json_controls
        # JSON formats are never highlighted (escape codes would make them invalid JSON); a
        # template's output is highlighted as a whole, after rendering (_render_template).
        plain_text = self.template is None and self.format in (OutputFormat.DEFAULT, OutputFormat.RAW)
        self.highlighting = self.colored and self.filter.highlights and plain_text
        self.fast = not (self.filter.filters or self.highlighting or self.timestamps or self.template)
        self.fast_filtered = self.filter.filters and not (
            self.highlighting or self.timestamps or self.template
        )
        self.fast_stamped = (
            self.timestamps is not None
            and not (self.filter.filters or self.highlighting or self.template)
            and self.format in (OutputFormat.DEFAULT, OutputFormat.RAW, OutputFormat.JSON)
        )
        # The C loop (render/native.py) for the fast configurations, where it was built; the
        # Python routes below stay the definition and take every batch it hands back.
        self.native: NativeRenderer | None = None
        if self.fast or self.fast_filtered:
            self.native = native_renderer(self.format, self.filter.plain_words())
        # Plain text is sanitised once rendered; JSON gets its escapes in _write (sanitize_json).
        self._native_sanitize = self.sanitize if self.format is not OutputFormat.JSON else None
        self.notices = NoticeRenderer(
            colored=self.colored,
            show_namespace=output.show_namespace,
            show_context=output.show_context,
            only_log_lines=output.only_log_lines,
        )
        self.per_line = PerLineRenderer(
            self.format,
            self.filter,
            highlighting=self.highlighting,
            timestamps=self.timestamps,
            template=self.template,
            sanitize=self.sanitize,
            colored=self.colored,
            write_err=self._write_err,
        )
        self._layouts: dict[tuple[str, str, str, str], _Cached] = {}

    # -- ports.Sink
    def emit(self, target: Target, lines: Sequence[bytes]) -> None:
        """Render complete kubelet records of one target and buffer them for stdout."""
        if not lines:
            return
        cached = self._layouts.get(target.key)
        if cached is None:
            cached = self._layout(target)
        layout, data = cached.layout, cached.data
        parts: Sequence[bytes] | None = None
        if self.native is not None:
            out = self.native.render(lines, cached.native_head, cached.native_tail)
            if out is not None:
                self._write((self._native_sanitize(out),) if self._native_sanitize is not None else (out,))
                return
        if self.fast:
            msgs = _fixed_width_messages(lines)
            if msgs is not None:
                parts = self._render_messages(cached, msgs)
        elif self.fast_filtered:
            msgs = _fixed_width_messages(lines)
            if msgs is not None:
                kept = self.filter.keep_lines(msgs)
                parts = self._render_messages(cached, kept) if kept else ()
        elif self.fast_stamped:
            parts = stamped_parts(
                self.timestamps, self.format, self.sanitize, lines, layout.head, b'"' + cached.json_rest
            )
        if parts is None:
            parts = (self.per_line.render(layout, data, self.per_line.records(lines, stdin=False)),)
        self._write(parts)

    def emit_merged(self, targets: Sequence[Target], owners: Sequence[int], lines: Sequence[bytes]) -> None:
        """Lines of several targets, in output order (``--sort``); line ``k`` is ``targets[owners[k]]``'s.

        In the fast configurations each record is a row (target prefix, message, end) and
        ``zip`` lays the rows side by side for one ``join``, so lines that alternate between
        targets cost no call per line; otherwise each run of one target's lines goes
        through ``emit``.
        """
        parts = self._merged_parts(targets, owners, lines) if self.format in _ROW_FORMATS else None
        if parts is not None:
            self._write(parts)
            return
        start = 0
        for owner, run in groupby(owners):
            end = start + sum(1 for _ in run)
            self.emit(targets[owner], lines[start:end])
            start = end

    def _merged_parts(
        self, targets: Sequence[Target], owners: Sequence[int], lines: Sequence[bytes]
    ) -> Sequence[bytes] | None:
        """``emit_merged`` for the fast configurations; None: not one of them."""
        if not (self.fast or self.fast_filtered or self.fast_stamped):
            return None
        # Layouts in the order the targets first appear, as emit() per run would make them
        # (a new pod's colour can depend on which pods came before it).
        heads: dict[int, bytes] = {}
        closes: dict[int, bytes] = {}
        for owner in dict.fromkeys(owners):
            target = targets[owner]
            cached = self._layouts.get(target.key) or self._layout(target)
            heads[owner] = cached.layout.head
            closes[owner] = b'"' + cached.json_rest
        if self.fast_stamped:
            return stamped_parts(
                self.timestamps,
                self.format,
                self.sanitize,
                lines,
                map(heads.__getitem__, owners),
                map(closes.__getitem__, owners),
            )
        msgs = _fixed_width_messages(lines)
        if msgs is None:
            return None
        if self.fast_filtered:
            msgs, owners = self.filter.keep_rows(msgs, list(owners))
        if self.format is OutputFormat.JSON:
            rows = zip(repeat(JSON_OPEN), escape_many(msgs), map(closes.__getitem__, owners))
            return (b"".join(chain.from_iterable(rows)),)
        out = b"".join(chain.from_iterable(zip(map(heads.__getitem__, owners), msgs, repeat(b"\n"))))
        return (self.sanitize(out),) if self.sanitize is not None else (out,)

    def render_stdin_line(self, line: bytes) -> None:
        """``--stdin``: one line, no timestamp, empty pod/container with 'reset' colours (stern §3.11)."""
        self.render_stdin_lines([line])

    def render_stdin_lines(self, lines: Sequence[bytes]) -> None:
        """``--stdin`` for a batch of lines (without their newlines): the fast way to feed a chunk."""
        if not lines:
            return
        cached = self._layouts.get(_STDIN_TARGET.key)
        if cached is None:
            cached = self._layout(_STDIN_TARGET, stdin=True)
        layout, data = cached.layout, cached.data
        parts: Sequence[bytes] | None = None
        if self.fast:
            parts = self._render_messages(cached, list(lines))
        if parts is None:
            parts = (self.per_line.render(layout, data, self.per_line.records(lines, stdin=True)),)
        self._write(parts)

    def _write(self, parts: Sequence[bytes]) -> None:
        """Hand rendered parts to the writer (joined only when they must be sanitised as a whole)."""
        if not parts:
            return
        if self.sanitize_json is not None:
            self.writer.write(self.sanitize_json(b"".join(parts)))
        elif len(parts) == 1:
            if parts[0]:
                self.writer.write(parts[0])
        else:
            self.writer.write_parts(parts)

    def notice(self, notice: Notice) -> None:
        """Write a stderr notice (``+``/``-`` lines and friends)."""
        target = notice.target
        colors: tuple[Sgr, Sgr] | None = None
        if target is not None:
            if notice.kind is NoticeKind.STARTED:
                self.picker.acquire(target)
            colors = self._colors(target)
            if notice.kind is NoticeKind.STOPPED:
                self.picker.release(target)
                # Its layout was only a cache: pods come and go for days, so let it go with them.
                self._layouts.pop(target.key, None)
        text = self.notices.render(notice, colors)
        if text:
            self.writer.write_err(text)

    async def drain(self) -> None:
        """Wait while stdout is behind (backpressure); raise ``OutputClosed`` when it is gone."""
        await self.writer.drain()

    def flush(self) -> None:
        """Write out whatever is buffered (blocking)."""
        self.writer.flush()

    async def aclose(self) -> None:
        """Final flush."""
        await self.writer.aclose()

    async def wait_closed(self) -> None:
        """Raise ``OutputClosed`` once stdout has failed or its reader has gone (see ``Writer``)."""
        await self.writer.wait_closed()

    # -- internals
    def _warn(self, text: str) -> None:
        self.writer.write_err(f"pystern: {escape_text(text)}\n")

    def _write_err(self, text: str) -> None:
        # Looked up at each call: the writer can be replaced after construction (tests do).
        self.writer.write_err(text)

    def _colors(self, target: Target) -> tuple[Sgr, Sgr]:
        pair = self.palette[self.picker.pick(target)]
        if self.output.diff_container:
            return pair[0], self.palette[palette_index(target.container, len(self.palette))][1]
        return pair

    def _layout(self, target: Target, *, stdin: bool = False) -> _Cached:
        pod_color, container_color = (RESET_COLOR, RESET_COLOR) if stdin else self._colors(target)
        fmt = OutputFormat.DEFAULT if self.template is not None else self.format
        layout = build_layout(
            fmt,
            target,
            pod_color,
            container_color,
            colored=self.colored,
            show_namespace=self.output.show_namespace,  # empty for --stdin, as stern prints it
            show_context=self.output.show_context and not stdin,
        )
        data = template_data(target, pod_color, container_color, self.colored) if self.template else None
        if len(self._layouts) >= _LAYOUT_CACHE:
            self._layouts.clear()
        json_rest = layout.json_rest.encode()
        native = (JSON_OPEN, b'"' + json_rest) if fmt is OutputFormat.JSON else (layout.head, b"\n")
        cached = _Cached(layout, data, json_rest, b"\n" + layout.head, *native)
        self._layouts[target.key] = cached
        return cached

    def _render_messages(self, cached: _Cached, msgs: list[bytes]) -> Sequence[bytes] | None:
        """The fast path: plain messages (already filtered), no timestamp, no highlight; None: not here.

        The output is parts for one vectored write: the batch is joined once and its two
        ends stay separate (adding them would copy the whole batch again).
        """
        fmt = self.format
        if fmt is OutputFormat.DEFAULT or fmt is OutputFormat.RAW:
            parts = (cached.layout.head, cached.line_sep.join(msgs), b"\n")
            return (self.sanitize(b"".join(parts)),) if self.sanitize is not None else parts
        if fmt is OutputFormat.JSON:
            return json_line_parts(msgs, cached.json_rest)
        return None


def build_sink(
    output: Output, *, stdout: BinaryIO, stderr: TextIO, stdout_isatty: bool, env: Mapping[str, str]
) -> RenderSink:
    """The renderer for one run (the CLI's composition root calls exactly this)."""
    return RenderSink(output, stdout=stdout, stderr=stderr, stdout_isatty=stdout_isatty, env=env)
