"""Output: formats, colours, timestamps, highlight, sanitising, and the stdout writer.

``build_sink(output, stdout=..., stderr=..., stdout_isatty=..., env=...)`` returns the
``RenderSink`` the engine writes to (``ports.Sink`` plus ``aclose()`` and
``render_stdin_line()``).  ``OutputClosed`` means the reader of stdout went away.
"""

from pystern.render.closing import OutputClosed
from pystern.render.colors import (
    DEFAULT_PALETTE,
    ColorPicker,
    Sgr,
    build_palette,
    color_enabled,
    fnv1_32,
    palette_index,
    parse_color_list,
    parse_sgr,
)
from pystern.render.sink import RenderSink, build_sink
from pystern.render.timestamps import load_timezone

__all__ = [
    "DEFAULT_PALETTE",
    "ColorPicker",
    "OutputClosed",
    "RenderSink",
    "Sgr",
    "build_palette",
    "build_sink",
    "color_enabled",
    "fnv1_32",
    "load_timezone",
    "palette_index",
    "parse_color_list",
    "parse_sgr",
]
