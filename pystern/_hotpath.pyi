"""Types of the optional C module (pystern/_hotpath.c); render/native.py is its only caller."""

from collections.abc import Sequence

def render(
    lines: Sequence[bytes],
    head: bytes,
    tail: bytes,
    json: bool,
    include: tuple[bytes, ...] | None,
    include_fold: bool,
    exclude: tuple[bytes, ...] | None,
    exclude_fold: bool,
    /,
) -> bytes | None: ...
def tune_allocator() -> bool: ...
