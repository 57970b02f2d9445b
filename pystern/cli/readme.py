"""``python -m pystern.cli.readme [README.md]``: rewrite the README's flag table from the flag table.

The table sits between ``<!-- flags:start -->`` and ``<!-- flags:end -->``; when the
markers are missing, a "Flags" section holding them is appended.  A test fails when the
README's table differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pystern.cli.help import flag_table_markdown

START = "<!-- flags:start -->"
END = "<!-- flags:end -->"


def flag_block() -> str:
    """The generated block, markers included."""
    return f"{START}\n{flag_table_markdown()}{END}"


def current_block(text: str) -> str | None:
    """The README's block, markers included, or None when the markers are missing."""
    start = text.find(START)
    end = text.find(END, start + 1)
    if start < 0 or end < 0:
        return None
    return text[start : end + len(END)]


def updated(text: str) -> str:
    """``text`` with its flag block regenerated (or a Flags section appended)."""
    block = current_block(text)
    if block is None:
        return text.rstrip("\n") + "\n\n## Flags\n\n" + flag_block() + "\n"
    return text.replace(block, flag_block())


def main(argv: list[str] | None = None) -> int:
    """Rewrite the README in place; print whether it changed."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "README.md")
    text = path.read_text(encoding="utf-8")
    new = updated(text)
    if new == text:
        print(f"{path}: flag table is up to date")
        return 0
    path.write_text(new, encoding="utf-8")
    print(f"{path}: flag table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
