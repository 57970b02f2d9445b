"""The C route of the renderer's fast configurations (``pystern._hotpath``), where it was built.

``RenderSink`` asks ``native_renderer`` once; when it gets a ``NativeRenderer`` it offers
each batch to it first.  The C loop checks each line's fixed-width timestamp, cuts it off,
decides ``-i``/``-e`` plain words and escapes ``-o json`` as Go does, with no Python object
per line; it returns None for any batch it does not handle exactly, and the sink's Python
route then renders that batch.  Without the module (it is built optionally, see
pyproject.toml) everything takes the Python route, which gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from pystern.options import OutputFormat
from pystern.render.literals import Words

_hotpath: ModuleType | None
try:
    from pystern import _hotpath
except ImportError:  # built optionally: no compiler where pystern was installed
    _hotpath = None

NATIVE_FORMATS = (OutputFormat.DEFAULT, OutputFormat.RAW, OutputFormat.JSON)
"""The formats the C loop writes (each line: a head, the message, a tail)."""


class NativeRenderer:
    """One run's settings for ``_hotpath.render``: the format and the plain-word filters."""

    __slots__ = ("_exclude", "_exclude_fold", "_include", "_include_fold", "_json", "_render")

    def __init__(self, module: ModuleType, fmt: OutputFormat, include: Words | None, exclude: Words | None):
        self._render = module.render
        self._json = fmt is OutputFormat.JSON
        self._include = include.words if include is not None else None
        self._include_fold = include is not None and include.fold
        self._exclude = exclude.words if exclude is not None else None
        self._exclude_fold = exclude is not None and exclude.fold

    def render(self, lines: Sequence[bytes], head: bytes, tail: bytes) -> bytes | None:
        """``head + message + tail`` for each line that passes the filters; None: use the Python route.

        For JSON, ``head`` opens the record up to the message's quote and ``tail`` closes it.
        """
        out: bytes | None = self._render(
            lines,
            head,
            tail,
            self._json,
            self._include,
            self._include_fold,
            self._exclude,
            self._exclude_fold,
        )
        return out


def tune_allocator() -> bool:
    """Fixed glibc malloc thresholds for this process (see ``_hotpath.c``); False: not done.

    Only the command-line entry point calls this: it changes the whole process's allocator.
    Where the module or glibc is missing nothing changes.
    """
    return _hotpath is not None and _hotpath.tune_allocator()


def native_renderer(
    fmt: OutputFormat, words: tuple[Words | None, Words | None] | None
) -> NativeRenderer | None:
    """The C route for this format and these filters, or None (not built, or not a case it handles).

    ``words`` are the include and exclude words (``LineFilter.plain_words``); None when some
    filter is not plain words, which only the regex route decides.
    """
    if _hotpath is None or fmt not in NATIVE_FORMATS or words is None:
        return None
    include, exclude = words
    return NativeRenderer(_hotpath, fmt, include, exclude)
