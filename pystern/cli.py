"""Command-line entry point (placeholder until the CLI lands)."""

from __future__ import annotations

import sys

from pystern import __version__


def main() -> None:
    """Run pystern."""
    if "--version" in sys.argv[1:] or "-v" in sys.argv[1:]:
        print(f"version: {__version__}")
        return
    print("pystern: the tailing engine is not built yet; try pystern-sandbox", file=sys.stderr)
    sys.exit(1)
