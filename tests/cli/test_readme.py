"""The README's flag table is generated from the flag table and must not go stale."""

from __future__ import annotations

from pathlib import Path

from pystern.cli import flag_table_markdown
from pystern.cli.readme import END, START, current_block, flag_block, main, updated
from pystern.config.flags import FLAGS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_flag_table_is_current() -> None:
    block = current_block(README.read_text(encoding="utf-8"))
    assert block is not None, (
        f"README.md has no {START} ... {END} block; run `python -m pystern.cli.readme` to add it"
    )
    assert block == flag_block(), "README.md's flag table is stale; run `python -m pystern.cli.readme`"


def test_table_has_every_supported_flag() -> None:
    table = flag_table_markdown()
    for flag in FLAGS:
        assert f"| `--{flag.name}` |" in table, flag.name
    assert "| `--since` | `-s` | duration | `48h0m0s` |" in table
    assert "| `--namespace` | `-n` | slice | `[]` |" in table
    assert "| `--container-state` |  | slice | `[all]` |" in table


def test_update_replaces_only_the_block(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(f"# x\n\nbefore\n{START}\nold\n{END}\nafter\n", encoding="utf-8")
    assert main([str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert text == f"# x\n\nbefore\n{flag_block()}\nafter\n"
    assert updated(text) == text


def test_update_appends_a_section_when_markers_are_missing() -> None:
    assert updated("# x\n") == f"# x\n\n## Flags\n\n{flag_block()}\n"


# Flags of other programs the README quotes: kubectl's, pystern-sandbox's, bench/'s, ruff's, pytest's.
OTHER_PROGRAMS_FLAGS = {
    "all-containers", "follow", "prefix", "previous", "replicas",  # kubectl logs, kubectl scale
    "image", "attach",  # kubectl debug
    "dry-run", "grace-period", "force", "list",  # kubectl delete --dry-run=server|--force, can-i --list
    "host", "port", "scenario", "tls",  # pystern-sandbox (--kubeconfig and --token are pystern's too)
    "quick", "rounds", "realtime", "minutes",  # bench/run.py, bench/soak.py
    "check",  # ruff format --check
    "dist",  # pytest -n 2 --dist loadfile (pytest-xdist)
}  # fmt: skip


def test_every_flag_the_readme_names_exists() -> None:
    # The README once promised a --connect-timeout that pystern never had.
    import re

    named = set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", README.read_text(encoding="utf-8")))
    assert named - {flag.name for flag in FLAGS} - OTHER_PROGRAMS_FLAGS == set()
