"""The ``-t`` batch path of ``RenderSink``: whole batches with timestamps, no Python step per line.

For default/raw/json with ``-t`` and no filter or highlight.  Each distinct second of a batch
is converted once (``batch_seconds``).  A second whose zone offset is zero prints exactly as
the kubelet wrote it; otherwise each record becomes a row of pieces (prefix, local second,
fraction, zone, message...) that ``zip``/``repeat``/``chain`` walk in C for one ``join``
(``stamped_parts``).  A batch with a line of another shape returns None: the sink then takes
the per-line path, which decides those lines one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import chain, repeat

from pystern.options import OutputFormat
from pystern.render.jsonbatch import escape_many
from pystern.render.timestamps import TimestampFormatter

JSON_OPEN = b'{"message":"'
"""What a JSON line starts with, up to its escaped message."""
_JSON_STAMP = b'","timestamp":"'


def batch_seconds(
    stamps: TimestampFormatter | None, lines: Sequence[bytes]
) -> tuple[list[bytes], dict[bytes, tuple[bytes, bytes]]] | None:
    """Each line's whole second, and each distinct second formatted; None: use the per-line path.

    For a batch whose lines all start with a 30-byte kubelet timestamp: the keys
    (``YYYY-MM-DDTHH:MM:SS``, one per line) and, per distinct key, the formatter's
    (local text, zone suffix), converted once per second.  None when a line has another
    shape or a second is not a time: the per-line path decides those lines one by one.
    """
    assert stamps is not None
    try:
        keys = [
            line[:19]
            for line in lines
            if line[30] == 0x20 and line[29] == 0x5A and line[19] == 0x2E and line[10] == 0x54
        ]
    except IndexError:
        return None
    if len(keys) != len(lines):
        return None
    seconds = stamps.seconds
    formatted = {}
    for key in set(keys):
        pair = seconds.get(key)
        if pair is None:
            pair = stamps.cache_second(key)
            if pair is None:
                return None
        formatted[key] = pair
    return keys, formatted


def stamp_columns(
    stamps: TimestampFormatter | None,
    lines: Sequence[bytes],
    keys: list[bytes],
    formatted: dict[bytes, tuple[bytes, bytes]],
) -> list[Iterable[bytes]]:
    """Each line's ``-t`` timestamp as columns that ``zip`` lays side by side (see ``stamped_parts``)."""
    assert stamps is not None
    local = {key: pair[0] for key, pair in formatted.items()}
    if stamps.short:
        return [map(local.__getitem__, keys)]
    suffix = {key: pair[1] for key, pair in formatted.items()}
    return [map(local.__getitem__, keys), [line[19:29] for line in lines], map(suffix.__getitem__, keys)]


def stamped_parts(
    stamps: TimestampFormatter | None,
    fmt: OutputFormat,
    sanitize: Callable[[bytes], bytes] | None,
    lines: Sequence[bytes],
    head: bytes | Iterable[bytes],
    close: bytes | Iterable[bytes],
) -> Sequence[bytes] | None:
    """default/raw/json with ``-t`` and no filter or highlight: parts to write, or None.

    ``head`` (default/raw) and ``close`` (json: the closing quote and the target's fields)
    are one value for a batch of one target, or one per line (``emit_merged``).

    A second whose zone offset is zero (UTC, or a local zone at UTC) prints in the default
    layout exactly as the kubelet wrote it: a batch of one target and only such seconds
    goes out as whole lines in one join.  Otherwise every record is a row of pieces
    (prefix, local second, fraction, zone, message...), and ``zip``/``repeat``/``chain``
    walk the rows in C for one ``join``: no Python step and no concatenation per line.
    """
    checked = batch_seconds(stamps, lines)
    if checked is None:
        return None
    keys, formatted = checked
    assert stamps is not None
    unchanged = not stamps.short and all(pair == (key, b"Z") for key, pair in formatted.items())
    json = fmt is OutputFormat.JSON
    # The repeat() columns are endless: the rows end with the lines (hence strict=False).
    if unchanged and not json:
        if isinstance(head, bytes):
            parts: Sequence[bytes] = (head, (b"\n" + head).join(lines), b"\n")
        else:
            parts = (b"".join(chain.from_iterable(zip(head, lines, repeat(b"\n"), strict=False))),)
        return (sanitize(b"".join(parts)),) if sanitize is not None else parts
    stamp = [[line[:30] for line in lines]] if unchanged else stamp_columns(stamps, lines, keys, formatted)
    if json:  # (a terminal gets JSON's own control escapes in the sink's _write, not the text sanitiser)
        escaped = escape_many([line[31:] for line in lines])
        closes = repeat(close) if isinstance(close, bytes) else close
        columns = [repeat(JSON_OPEN), escaped, repeat(_JSON_STAMP), *stamp, closes]
        return (b"".join(chain.from_iterable(zip(*columns, strict=False))),)
    heads = repeat(head) if isinstance(head, bytes) else head
    columns = [heads, *stamp, [line[30:] for line in lines], repeat(b"\n")]
    out = b"".join(chain.from_iterable(zip(*columns, strict=False)))
    return (sanitize(out),) if sanitize is not None else (out,)
