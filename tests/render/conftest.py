"""Helpers for the render tests: a sink over BytesIO/StringIO with an injected isatty."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from pystern.model import Target
from pystern.options import ColorMode, Output
from pystern.render import RenderSink, build_sink

TS = b"2023-01-27T13:20:48.123456789Z"


@dataclass
class Rendered:
    """A sink and the streams it writes to."""

    sink: RenderSink
    out: io.BytesIO
    err: io.StringIO

    def emit(self, target: Target, *messages: bytes, stamp: bytes = TS) -> bytes:
        """Emit kubelet records (``stamp`` + space + message) and return what stdout got."""
        before = len(self.out.getvalue())
        self.sink.emit(target, [stamp + b" " + m for m in messages])
        self.sink.flush()
        return self.out.getvalue()[before:]


Make = Callable[..., Rendered]


@pytest.fixture
def make() -> Make:
    def factory(
        *,
        isatty: bool = False,
        env: Mapping[str, str] | None = None,
        color: ColorMode = ColorMode.NEVER,
        **kw: Any,
    ) -> Rendered:
        out = io.BytesIO()
        err = io.StringIO()
        sink = build_sink(
            Output(color=color, **kw), stdout=out, stderr=err, stdout_isatty=isatty, env=env or {}
        )
        return Rendered(sink, out, err)

    return factory


@pytest.fixture
def pod() -> Target:
    return Target(
        namespace="default",
        pod="nginx-7c5d-2xk9p",
        container="nginx",
        node_name="node-1",
        labels={"app": "nginx", "a/b": "<x>"},
        context="kind-a",
    )
