"""The per-line path of ``RenderSink``: one kubelet record at a time.

``RenderSink.emit`` renders a batch here whenever its batch paths do not cover it: a
highlight, a ``--template``, ``-o extjson``/``ppextjson``, ``-t`` together with a filter, or
a record of another shape (an offset timestamp, a short line, the kubelet's own text).
``records`` splits each record at its first space with byte operations, filters and
highlights it and formats its timestamp; ``render`` turns the records into the output
format's bytes (Go templates included), sanitised once over the rendered chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pystern.errors import PysternError
from pystern.model import Target
from pystern.options import OutputFormat
from pystern.render.colors import Sgr
from pystern.render.jsonbatch import escape_many, json_lines
from pystern.render.jsontext import is_json, quote
from pystern.render.layout import TargetLayout, ext_line
from pystern.render.linefilter import LineFilter
from pystern.render.sanitize import escape_text
from pystern.render.timestamps import TimestampFormatter

MISSING = b"[missing timestamp] "

Record = tuple[bytes, bytes]
"""(formatted timestamp or b"", message bytes ready for the format)."""


class PerLineRenderer:
    """Splits, filters, stamps and formats records one by one, as ``RenderSink`` is configured."""

    def __init__(
        self,
        fmt: OutputFormat,
        flt: LineFilter,
        *,
        highlighting: bool,
        timestamps: TimestampFormatter | None,
        template: Any,
        sanitize: Callable[[bytes], bytes] | None,
        colored: bool,
        write_err: Callable[[str], None],
    ) -> None:
        self.format = fmt
        self.filter = flt
        self.highlighting = highlighting
        self.timestamps = timestamps
        self.template = template
        self.sanitize = sanitize
        self.colored = colored
        self.write_err = write_err
        """Where a failed template expansion is reported (the sink's stderr, in order with stdout)."""

    def records(self, lines: Sequence[bytes], *, stdin: bool) -> list[Record]:
        """Split, filter, highlight and format timestamps; missing-timestamp lines pass unfiltered."""
        flt = self.filter
        keep = flt.keep if flt.filters else None
        highlight = flt.highlight if self.highlighting else None
        stamps = None if stdin else self.timestamps
        seconds = stamps.seconds if stamps is not None else {}
        short = stamps is not None and stamps.short
        records: list[Record] = []
        append = records.append
        for line in lines:
            if stdin:
                sp = -1
                msg = line
            else:
                # The kubelet timestamp's shape (as tail.timestamp_of checks it), inlined: this runs per line.
                sp = line.find(b" ", 0, 40)
                if sp < 20 or line[4] != 0x2D or line[10] not in (0x54, 0x74):
                    append((b"", MISSING + line))
                    continue
                msg = line[sp + 1 :]
            if keep is not None or highlight is not None:
                text = msg.decode("utf-8", "surrogateescape")
                if keep is not None and not keep(text):
                    continue
                if highlight is not None:
                    msg = highlight(text).encode("utf-8", "surrogateescape")
            if stamps is None:
                append((b"", msg))
                continue
            head = seconds.get(line[:19]) if sp == 30 and line[29] == 0x5A else None
            frac = line[20:29]
            if head is not None and line[19] == 0x2E and frac.isdigit():
                append((head[0] if short else head[0] + b"." + frac + head[1], msg))
                continue
            ts = stamps.format(line[:sp])
            append((b"", MISSING + line) if ts is None else (ts, msg))
        return records

    def render(self, layout: TargetLayout, data: Any, records: list[Record]) -> bytes:
        """The records of one target in the output format (``data``: the template's, or None)."""
        if not records:
            return b""
        if self.template is not None:
            return self._render_template(data, records)
        fmt = self.format
        if fmt is OutputFormat.DEFAULT or fmt is OutputFormat.RAW:
            head = layout.head
            out = b"".join(
                [head + ts + b" " + msg + b"\n" if ts else head + msg + b"\n" for ts, msg in records]
            )
            return self.sanitize(out) if self.sanitize is not None else out
        if fmt is OutputFormat.JSON:
            rest = layout.json_rest.encode()
            msgs = [msg for _, msg in records]
            if not any(ts for ts, _ in records):
                return json_lines(msgs, rest)
            return b"".join(
                [
                    b'{"message":"' + part + b'","timestamp":"' + ts + b'"' + rest
                    if ts
                    else b'{"message":"' + part + b'"' + rest
                    for part, (ts, _) in zip(escape_many(msgs), records, strict=True)
                ]
            )
        pretty = fmt is OutputFormat.PPEXTJSON
        raw_ok = self.sanitize is None
        return "".join(
            [
                ext_line(
                    layout,
                    pretty,
                    ts.decode(),
                    msg.decode() if is_json(msg) and (raw_ok or b"\r" not in msg) else quote(msg),
                )
                for ts, msg in records
            ]
        ).encode()

    def _render_template(self, data: dict[str, Any], records: list[Record]) -> bytes:
        out: list[bytes] = []
        highlight = self.colored and self.filter.highlights
        for ts, msg in records:
            data["Message"] = msg.decode("utf-8", "surrogateescape")
            data["Timestamp"] = ts.decode()
            try:
                text: str = self.template.execute(data)
            except PysternError as exc:
                self.write_err(f"expanding template failed: {escape_text(str(exc))}\n")
                continue
            if highlight and not msg.startswith(MISSING):
                text = self.filter.highlight(text)
            out.append(text.encode("utf-8", "surrogateescape"))
        joined = b"".join(out)
        return self.sanitize(joined) if self.sanitize is not None and joined else joined


def compile_template(text: str, colored: bool) -> Any:
    """``--template``'s text parsed with stern's function table (colours on or off)."""
    from pystern.gotemplate import parse, stern_funcs

    return parse(text, funcs=stern_funcs(color=colored), name="log")


def template_data(target: Target, pod_color: Sgr, container_color: Sgr, colored: bool) -> dict[str, Any]:
    """The template's data for one target (stern's ``Log`` struct); ``render`` fills in each line."""
    from pystern.gotemplate.values import Color, StringMap, Struct

    return Struct(
        "stern.Log",
        {
            "Message": "",
            "Timestamp": "",
            "NodeName": target.node_name,
            "Namespace": target.namespace,
            "PodName": target.pod,
            "ContainerName": target.container,
            # pystern's own field (not in stern's struct, so not in ``{{json .}}``): the context
            # column of ``--context a,b``, empty with one cluster.
            "Context": target.context,
            "Labels": StringMap(target.labels),
            "Annotations": StringMap(target.annotations),
            "PodColor": Color(pod_color.attrs, enabled=colored),
            "ContainerColor": Color(container_color.attrs, enabled=colored),
        },
    )
