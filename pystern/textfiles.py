"""Reading a file the user named (template, config file, kubeconfig, token file), with a size cap.

A path such as ``/dev/zero`` or ``/dev/urandom`` never ends: read whole, it filled memory until
the kernel killed pystern, or ended in an 'internal error: MemoryError()'.  No real file of these
kinds comes near the cap.  Stdlib only.
"""

from __future__ import annotations

import os

FILE_LIMIT = 16 * 1024 * 1024
"""Bytes read at most from one such file."""


class FileTooLarge(ValueError):
    """The file holds more than the cap (or never ends); its text is the reason, for messages."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"it is larger than {limit // (1024 * 1024)} MiB")


def read_limited(path: str | os.PathLike[str], limit: int = FILE_LIMIT) -> bytes:
    """The bytes of ``path``; raises ``OSError`` as ``open`` does, ``FileTooLarge`` past ``limit``."""
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(limit)
    return data
