"""Per-target constant parts of each output format, computed once per target.

stern's formats, colour off (stern.md §2.3, §2.5):

* ``default``: ``[ns ]pod container [ts ]message``
* ``raw``: ``[ts ]message``
* ``json``: ``{"message":…,"timestamp":…,"nodeName":…,"namespace":…,"podName":…,
  "containerName":…,"labels":…,"annotations":…}`` (Go escaping, ``timestamp`` only with ``-t``)
* ``extjson``/``ppextjson``: ``{"pod": …, "container": …, "message": <msg>}``.

Beyond stern: a context column (``ctx`` first, in the pod colour) when several clusters
are tailed (``"context"`` key in the JSON formats); extjson keeps the timestamp and the
namespace whenever it is shown, escapes the names, and is never coloured, so it stays
valid JSON with colour on.
"""

from __future__ import annotations

from dataclasses import dataclass

from pystern.model import Target
from pystern.options import OutputFormat
from pystern.render.colors import Sgr
from pystern.render.jsontext import go_string_map, quote_text


@dataclass(frozen=True, slots=True)
class TargetLayout:
    """What every line of one target shares."""

    head: bytes = b""
    """default/raw: bytes before the timestamp/message."""
    json_rest: str = ""
    """json: everything after the message/timestamp, ``}`` and newline included."""
    ext_head: str = ""
    """extjson/ppextjson: the fields before ``timestamp``/``message``."""
    pod_color: Sgr | None = None
    container_color: Sgr | None = None


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def build_layout(
    fmt: OutputFormat,
    target: Target,
    pod_color: Sgr,
    container_color: Sgr,
    *,
    colored: bool,
    show_namespace: bool,
    show_context: bool,
) -> TargetLayout:
    """The constant parts of ``fmt`` for ``target``."""
    if fmt is OutputFormat.DEFAULT:
        parts = []
        if show_context:
            parts.append(pod_color.wrap(_text(target.context), colored))
        if show_namespace:
            parts.append(pod_color.wrap(_text(target.namespace), colored))
        parts.append(pod_color.wrap(_text(target.pod), colored))
        parts.append(container_color.wrap(_text(target.container), colored))
        head = b" ".join(parts) + b" "
        return TargetLayout(head=head, pod_color=pod_color, container_color=container_color)
    if fmt is OutputFormat.JSON:
        fields = [f',"nodeName":{quote_text(target.node_name)}']
        if show_context:
            fields.append(f',"context":{quote_text(target.context)}')
        fields.append(f',"namespace":{quote_text(target.namespace)}')
        fields.append(f',"podName":{quote_text(target.pod)}')
        fields.append(f',"containerName":{quote_text(target.container)}')
        fields.append(f',"labels":{go_string_map(target.labels)}')
        fields.append(f',"annotations":{go_string_map(target.annotations)}')
        return TargetLayout(json_rest="".join(fields) + "}\n")
    if fmt in (OutputFormat.EXTJSON, OutputFormat.PPEXTJSON):
        pairs = []
        if show_context:
            pairs.append(("context", target.context))
        if show_namespace:
            pairs.append(("namespace", target.namespace))
        pairs.append(("pod", target.pod))
        pairs.append(("container", target.container))
        if fmt is OutputFormat.EXTJSON:
            ext = "".join(f'"{k}": {quote_text(v)}, ' for k, v in pairs)
        else:
            ext = "".join(f'  "{k}": {quote_text(v)},\n' for k, v in pairs)
        return TargetLayout(ext_head=ext)
    return TargetLayout(pod_color=pod_color, container_color=container_color)


def ext_line(layout: TargetLayout, pretty: bool, timestamp: str, message: str) -> str:
    """One extjson/ppextjson record (``message`` is already JSON text)."""
    if pretty:
        ts = f'  "timestamp": {quote_text(timestamp)},\n' if timestamp else ""
        return "{\n" + layout.ext_head + ts + f'  "message": {message}\n' + "}\n"
    ts = f'"timestamp": {quote_text(timestamp)}, ' if timestamp else ""
    return "{" + layout.ext_head + ts + f'"message": {message}' + "}\n"
