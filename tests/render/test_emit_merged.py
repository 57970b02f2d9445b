"""``emit_merged`` (``--sort``'s interleaved rounds) writes what ``emit`` per run of one target writes."""

from __future__ import annotations

import io
from itertools import groupby

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.model import Target
from pystern.options import ColorMode, Output, OutputFormat, TimestampFormat
from pystern.render import RenderSink, build_sink

# Two replicas of one workload share a colour group: the colour of the second depends on the
# first, so the order in which targets are first seen matters.
TARGETS = [
    Target("default", "web-1", "app", node_name="n1", workload="Deployment/web"),
    Target("default", "web-7", "app", node_name="n2", workload="Deployment/web"),  # web-1's FNV colour
    Target("default", "web-7", "proxy", node_name="n2", workload="Deployment/web"),
    Target("jobs", "batch-x", "main", node_name="n1"),
]
STAMP = b"2023-01-27T13:20:48.123456789Z "
MESSAGES = [
    b"hello",
    b'{"level":"error","msg":"a \\"b\\""}',
    b"warn <x> & y",
    b"",
    b"\x1b[31mred\x1b[0m",
    b"\xff",
]

stamped = st.sampled_from(MESSAGES).map(lambda m: STAMP + m)
odd = st.sampled_from([b"unable to retrieve container logs", b"2023-01-27T22:20:48.5+09:00 tokyo"])
owner = st.integers(0, len(TARGETS) - 1)
# Batches of only kubelet-stamped lines (the fast route) and mixed ones (per-run emit).
batches = st.one_of(
    st.lists(st.tuples(owner, stamped), max_size=20),
    st.lists(st.tuples(owner, st.one_of(stamped, odd)), max_size=20),
)
config = st.fixed_dictionaries(
    {
        "format": st.sampled_from(
            [OutputFormat.DEFAULT, OutputFormat.RAW, OutputFormat.JSON, OutputFormat.EXTJSON]
        ),
        "color": st.sampled_from([ColorMode.NEVER, ColorMode.ALWAYS]),
        "timestamps": st.sampled_from([TimestampFormat.NONE, TimestampFormat.DEFAULT]),
        "includes": st.sampled_from([(), (regex.compile("error|warn"),)]),
        "show_namespace": st.booleans(),
    }
)


def _sink(settings_: dict[str, object], tty: bool) -> tuple[RenderSink, io.BytesIO]:
    out = io.BytesIO()
    output = Output(timezone="UTC", **settings_)  # type: ignore[arg-type]
    return build_sink(output, stdout=out, stderr=io.StringIO(), stdout_isatty=tty, env={}), out


@settings(max_examples=300, deadline=None)
@given(config, st.booleans(), batches)
def test_emit_merged_equals_emit_per_run(
    settings_: dict[str, object], tty: bool, rows: list[tuple[int, bytes]]
) -> None:
    owners = [owner for owner, _ in rows]
    lines = [text for _, text in rows]
    merged, merged_out = _sink(settings_, tty)
    merged.emit_merged(TARGETS, owners, lines)
    merged.flush()
    per_run, per_run_out = _sink(settings_, tty)
    start = 0
    for owner, run in groupby(owners):
        end = start + len(list(run))
        per_run.emit(TARGETS[owner], lines[start:end])
        start = end
    per_run.flush()
    assert merged_out.getvalue() == per_run_out.getvalue()


def test_replicas_get_the_colours_they_would_get_one_run_at_a_time() -> None:
    """web-7 shares web-1's first-choice colour: whichever is seen first keeps it."""
    settings_: dict[str, object] = {"color": ColorMode.ALWAYS}
    owners, lines = [0, 1, 0], [STAMP + b"a", STAMP + b"b", STAMP + b"c"]
    merged, merged_out = _sink(settings_, False)
    merged.emit_merged(TARGETS, owners, lines)
    merged.flush()
    per_run, per_run_out = _sink(settings_, False)
    for owner, text in zip(owners, lines, strict=True):
        per_run.emit(TARGETS[owner], [text])
    per_run.flush()
    assert merged_out.getvalue() == per_run_out.getvalue()
    first, second = merged_out.getvalue().splitlines()[:2]
    assert first.split(b"web-1")[0] != second.split(b"web-7")[0]  # two different colours
