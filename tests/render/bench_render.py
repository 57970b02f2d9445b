"""Formatting throughput of ``RenderSink.emit`` (not a test: ``python tests/render/bench_render.py``).

Emits 1M ~100-byte kubelet records in batches of 500 to a BytesIO and prints lines/s.
"""

from __future__ import annotations

import io
import sys
import time

import regex

from pystern.model import Target
from pystern.options import ColorMode, Output, OutputFormat, TimestampFormat
from pystern.render import build_sink

N = 1_000_000
BATCH = 500


def _lines() -> list[bytes]:
    base = (
        b'2024-05-01T12:00:%02d.%09dZ level=info msg="request served" path=/api/v1/items status=200 id=%06d'
    )
    return [base % (i % 60, i, i) for i in range(BATCH)]


def run(name: str, output: Output) -> None:
    target = Target("default", "web-5d8f7c9b4-x2x9q", "app", node_name="node-1", labels={"app": "web"})
    batch = _lines()
    out = io.BytesIO()
    sink = build_sink(output, stdout=out, stderr=io.StringIO(), stdout_isatty=False, env={})
    start = time.perf_counter()
    for _ in range(N // BATCH):
        sink.emit(target, batch)
        if out.tell() > 64 << 20:
            out.seek(0)
            out.truncate()
    sink.flush()
    elapsed = time.perf_counter() - start
    print(f"{name:<34} {N / elapsed / 1e6:6.2f} M lines/s")


def main() -> None:
    never = ColorMode.NEVER
    run("default", Output(color=never))
    run("default, colour on", Output(color=ColorMode.ALWAYS))
    run("default -t", Output(color=never, timestamps=TimestampFormat.DEFAULT, timezone="UTC"))
    run(
        "default -i status=200 -H served",
        Output(color=never, includes=(regex.compile("status=200"),), highlights=(regex.compile("served"),)),
    )
    run(
        "default -i ... -H ... colour on",
        Output(
            color=ColorMode.ALWAYS,
            includes=(regex.compile("status=200"),),
            highlights=(regex.compile("served"),),
        ),
    )
    run("default -e debug", Output(color=never, excludes=(regex.compile("debug"),)))
    run("raw", Output(color=never, format=OutputFormat.RAW))
    run("json", Output(color=never, format=OutputFormat.JSON))
    run("json -t", Output(color=never, format=OutputFormat.JSON, timestamps=TimestampFormat.DEFAULT))
    run("extjson", Output(color=never, format=OutputFormat.EXTJSON))


if __name__ == "__main__":
    sys.exit(main())
