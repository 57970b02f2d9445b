"""``-t`` on whole batches (lines printed as written when their zone offset is zero) = the per-line path."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.model import Target
from pystern.options import ColorMode, Output, OutputFormat, TimestampFormat
from pystern.render import RenderSink, build_sink

TARGET = Target(namespace="default", pod="web-1", container="app", node_name="node-1")

# Instants around both of Europe/Berlin's 2023 clock changes (01:00 UTC), and an ordinary one:
# a batch can straddle a change, so some of its seconds have a zero offset and others not.
BASES = [
    dt.datetime(2023, 3, 26, 0, 59, 58, tzinfo=dt.UTC),
    dt.datetime(2023, 10, 29, 0, 59, 58, tzinfo=dt.UTC),
    dt.datetime(2023, 1, 27, 13, 20, 48, tzinfo=dt.UTC),
]
ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "America/New_York"]
MESSAGES = [
    b"hello",
    b"",
    b"Z ",
    b'{"level":"info","msg":"a Z b"}',
    b"\x1b[31mred\x1b[0m",
    b"caf\xc3\xa9",
    b"\xff",
    b"del \x7f",  # C1 and DEL: a terminal gets them escaped, differently in JSON and in text
    b"csi \xc2\x9b2J",
]


@st.composite
def records(draw: st.DrawFn) -> bytes:
    """One kubelet record: mostly the usual 30-byte UTC timestamp, sometimes another shape."""
    moment = draw(st.sampled_from(BASES)) + dt.timedelta(seconds=draw(st.integers(0, 4)))
    seconds = moment.strftime("%Y-%m-%dT%H:%M:%S").encode()
    fraction = b"%09d" % draw(st.integers(0, 999_999_999))
    shape = draw(st.sampled_from(["kubelet"] * 6 + ["short fraction", "offset", "bad month", "no timestamp"]))
    stamp = {
        "kubelet": seconds + b"." + fraction + b"Z",
        "short fraction": seconds + b".5Z",
        "offset": seconds + b"." + fraction + b"+01:00",
        "bad month": b"2023-13" + seconds[7:] + b"." + fraction + b"Z",
        "no timestamp": b"unable to retrieve container logs for",
    }[shape]
    return stamp + b" " + draw(st.sampled_from(MESSAGES))


class _Sink:
    """A sink writing to memory; ``batch_paths=False`` leaves only the per-line path (the reference)."""

    def __init__(self, fmt: OutputFormat, kind: TimestampFormat, zone: str, *, tty: bool, batch_paths: bool):
        self.out = io.BytesIO()
        output = Output(format=fmt, color=ColorMode.NEVER, timestamps=kind, timezone=zone)
        self.sink: RenderSink = build_sink(
            output, stdout=self.out, stderr=io.StringIO(), stdout_isatty=tty, env={}
        )
        self.sink.fast_stamped = self.sink.fast_stamped and batch_paths

    def render(self, batches: list[list[bytes]]) -> bytes:
        for batch in batches:
            self.sink.emit(TARGET, batch)
        self.sink.flush()
        return self.out.getvalue()


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([OutputFormat.DEFAULT, OutputFormat.RAW, OutputFormat.JSON]),
    st.sampled_from([TimestampFormat.DEFAULT, TimestampFormat.SHORT]),
    st.sampled_from(ZONES),
    st.booleans(),
    st.lists(st.lists(records(), min_size=1, max_size=6), min_size=1, max_size=3),
)
def test_batches_render_like_the_per_line_path(
    fmt: OutputFormat, kind: TimestampFormat, zone: str, tty: bool, batches: list[list[bytes]]
) -> None:
    fast = _Sink(fmt, kind, zone, tty=tty, batch_paths=True)
    assert fast.sink.fast_stamped  # the path under test is the one taken
    reference = _Sink(fmt, kind, zone, tty=tty, batch_paths=False)
    assert fast.render(batches) == reference.render(batches)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", b"2023-01-27T13:20:48.123456789Z one\n2023-01-27T13:20:49.000000001Z two\n"),
        ("Europe/London", b"2023-01-27T13:20:48.123456789Z one\n2023-01-27T13:20:49.000000001Z two\n"),
        ("Asia/Tokyo", b"2023-01-27T22:20:48.123456789+09:00 one\n2023-01-27T22:20:49.000000001+09:00 two\n"),
    ],
)
def test_a_batch_in_a_zone(zone: str, expected: bytes) -> None:
    lines = [b"2023-01-27T13:20:48.123456789Z one", b"2023-01-27T13:20:49.000000001Z two"]
    sink = _Sink(OutputFormat.RAW, TimestampFormat.DEFAULT, zone, tty=False, batch_paths=True)
    assert sink.render([lines]) == expected
