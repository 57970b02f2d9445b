"""Fixtures for the CLI tests: an isolated environment (no real config file is read)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pystern.cli import parse_config, parse_invocation
from pystern.cli.invocation import Invocation
from pystern.options import Config


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment whose HOME is an empty temporary directory."""
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home)}


@pytest.fixture
def cfg(env: dict[str, str]) -> Callable[..., Config]:
    """``cfg("-n", "a", ".")`` -> the Config that command line describes."""

    def parse(*argv: str) -> Config:
        return parse_config(list(argv), env)

    return parse


@pytest.fixture
def inv(env: dict[str, str]) -> Callable[..., Invocation]:
    """``inv(...)`` -> the whole Invocation."""

    def parse(*argv: str) -> Invocation:
        return parse_invocation(list(argv), env)

    return parse
