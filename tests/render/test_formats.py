"""Exact bytes of every output format, colour off and on (stern.md §2.3, §2.5, §2.6, §3.11)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import regex

from pystern.model import Target
from pystern.options import ColorMode, OutputFormat, TimestampFormat
from tests.render.conftest import TS, Make

P = b"\x1b[95mnginx-7c5d-2xk9p\x1b[0m"  # FNV-1("nginx-7c5d-2xk9p") % 6 == 2: HiMagenta / Magenta
C = b"\x1b[35mnginx\x1b[0m"


def test_default_colour_off(make: Make, pod: Target) -> None:
    r = make()
    assert (
        r.emit(pod, b"hello world", b"second")
        == b"nginx-7c5d-2xk9p nginx hello world\nnginx-7c5d-2xk9p nginx second\n"
    )


def test_default_colour_on(make: Make, pod: Target) -> None:
    r = make(color=ColorMode.ALWAYS)
    assert r.emit(pod, b"hello") == P + b" " + C + b" hello\n"


def test_default_with_namespace_and_short_timestamps(make: Make, pod: Target) -> None:
    r = make(show_namespace=True, timestamps=TimestampFormat.SHORT, timezone="UTC")
    assert r.emit(pod, b"msg") == b"default nginx-7c5d-2xk9p nginx 01-27 13:20:48 msg\n"


def test_default_namespace_coloured_like_pod(make: Make, pod: Target) -> None:
    r = make(show_namespace=True, color=ColorMode.ALWAYS)
    assert r.emit(pod, b"m") == b"\x1b[95mdefault\x1b[0m " + P + b" " + C + b" m\n"


def test_context_column_before_namespace(make: Make, pod: Target) -> None:
    r = make(show_namespace=True, show_context=True)
    assert r.emit(pod, b"m") == b"kind-a default nginx-7c5d-2xk9p nginx m\n"
    r = make(show_context=True, color=ColorMode.ALWAYS)
    assert r.emit(pod, b"m") == b"\x1b[95mkind-a\x1b[0m " + P + b" " + C + b" m\n"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", b"2023-01-27T13:20:48.123456789Z"),
        ("Asia/Tokyo", b"2023-01-27T22:20:48.123456789+09:00"),
        ("America/New_York", b"2023-01-27T08:20:48.123456789-05:00"),
        ("Europe/London", b"2023-01-27T13:20:48.123456789Z"),  # Go's Z07:00: Z for any zero offset
    ],
)
def test_default_timestamps_in_zones(make: Make, pod: Target, zone: str, expected: bytes) -> None:
    r = make(timestamps=TimestampFormat.DEFAULT, timezone=zone)
    assert r.emit(pod, b"m") == b"nginx-7c5d-2xk9p nginx " + expected + b" m\n"


def test_timestamps_other_shapes_and_summer_time(make: Make, pod: Target) -> None:
    r = make(format=OutputFormat.RAW, timestamps=TimestampFormat.DEFAULT, timezone="Europe/Berlin")
    assert r.emit(pod, b"m", stamp=b"2023-07-01T10:00:00.5Z") == b"2023-07-01T12:00:00.500000000+02:00 m\n"
    assert r.emit(pod, b"m", stamp=b"2023-07-01T10:00:00.000000001+01:00") == (
        b"2023-07-01T11:00:00.000000001+02:00 m\n"
    )
    short = make(format=OutputFormat.RAW, timestamps=TimestampFormat.SHORT, timezone="Asia/Tokyo")
    assert short.emit(pod, b"m", stamp=b"2023-12-31T23:59:59.999999999Z") == b"01-01 08:59:59 m\n"


def test_local_zone_follows_tz_env(make: Make, pod: Target) -> None:
    r = make(
        format=OutputFormat.RAW,
        timestamps=TimestampFormat.SHORT,
        timezone="Local",
        env={"TZ": "Asia/Kolkata"},
    )
    assert r.emit(pod, b"m") == b"01-27 18:50:48 m\n"


def test_missing_timestamp(make: Make, pod: Target) -> None:
    r = make()
    r.sink.emit(pod, [b"unable to retrieve container logs", b"nospace"])
    r.sink.flush()
    assert r.out.getvalue() == (
        b"nginx-7c5d-2xk9p nginx [missing timestamp] unable to retrieve container logs\n"
        b"nginx-7c5d-2xk9p nginx [missing timestamp] nospace\n"
    )


def test_unparsable_timestamp_with_t(make: Make, pod: Target) -> None:
    r = make(format=OutputFormat.RAW, timestamps=TimestampFormat.DEFAULT, timezone="UTC")
    r.sink.emit(pod, [b"2023-13-45T99:00:00.000000000Z hello", TS + b" ok"])
    r.sink.flush()
    assert r.out.getvalue() == (
        b"[missing timestamp] 2023-13-45T99:00:00.000000000Z hello\n2023-01-27T13:20:48.123456789Z ok\n"
    )


def test_raw(make: Make, pod: Target) -> None:
    r = make(format=OutputFormat.RAW, color=ColorMode.ALWAYS)
    assert r.emit(pod, b"just the message", b"") == b"just the message\n\n"


def test_json_exact(make: Make, pod: Target) -> None:
    r = make(format=OutputFormat.JSON)
    assert r.emit(pod, b'say "<hi>" & \\ bye') == (
        b'{"message":"say \\"\\u003chi\\u003e\\" \\u0026 \\\\ bye","nodeName":"node-1","namespace":"default",'
        b'"podName":"nginx-7c5d-2xk9p","containerName":"nginx","labels":{"a/b":"\\u003cx\\u003e","app":"nginx"},'
        b'"annotations":null}\n'
    )


def test_json_timestamp_and_context(make: Make, pod: Target) -> None:
    r = make(format=OutputFormat.JSON, timestamps=TimestampFormat.DEFAULT, timezone="UTC", show_context=True)
    line = r.emit(pod, b"x")
    assert line.startswith(
        b'{"message":"x","timestamp":"2023-01-27T13:20:48.123456789Z","nodeName":"node-1",'
    )
    assert b'"context":"kind-a","namespace":"default"' in line
    assert list(json.loads(line)) == [
        "message", "timestamp", "nodeName", "context", "namespace", "podName", "containerName", "labels",
        "annotations",
    ]  # fmt: skip


def test_json_go_escapes(make: Make) -> None:
    r = make(format=OutputFormat.JSON, color=ColorMode.ALWAYS)
    bare = Target("ns", "p", "c")
    line = r.emit(bare, b"\x00\x08\x0c\t\r\x1b\x7f\xe2\x80\xa8\xe2\x80\xa9\xff\xe2\x82 \xef\xbf\xbd")
    assert line == (
        b'{"message":"\\u0000\\b\\f\\t\\r\\u001b\x7f\\u2028\\u2029\\ufffd\\ufffd\\ufffd \xef\xbf\xbd",'
        b'"nodeName":"","namespace":"ns","podName":"p","containerName":"c","labels":null,"annotations":null}\n'
    )


def test_json_missing_timestamp_has_no_timestamp_key(make: Make, pod: Target) -> None:
    r = make(format=OutputFormat.JSON, timestamps=TimestampFormat.DEFAULT)
    r.sink.emit(pod, [b"kubelet text"])
    r.sink.flush()
    doc = json.loads(r.out.getvalue())
    assert doc["message"] == "[missing timestamp] kubelet text"
    assert "timestamp" not in doc


def test_extjson(make: Make, pod: Target) -> None:
    r = make(format=OutputFormat.EXTJSON)
    out = r.emit(pod, b'{"level":"info","n":1}', b"plain <text>", b"123", b"true", b"[1, 2]", b"NaN")
    assert out == (
        b'{"pod": "nginx-7c5d-2xk9p", "container": "nginx", "message": {"level":"info","n":1}}\n'
        b'{"pod": "nginx-7c5d-2xk9p", "container": "nginx", "message": "plain \\u003ctext\\u003e"}\n'
        b'{"pod": "nginx-7c5d-2xk9p", "container": "nginx", "message": 123}\n'
        b'{"pod": "nginx-7c5d-2xk9p", "container": "nginx", "message": true}\n'
        b'{"pod": "nginx-7c5d-2xk9p", "container": "nginx", "message": [1, 2]}\n'
        b'{"pod": "nginx-7c5d-2xk9p", "container": "nginx", "message": "NaN"}\n'
    )


def test_extjson_stays_json_with_colour_namespace_and_timestamp(make: Make) -> None:
    r = make(
        format=OutputFormat.EXTJSON, color=ColorMode.ALWAYS, show_namespace=True,
        timestamps=TimestampFormat.DEFAULT, timezone="UTC", highlights=(__import__("regex").compile("pod"),),
    )  # fmt: skip
    odd = Target('n"s', "p\\od", "c")
    out = r.emit(odd, b"a pod")
    assert out == (
        b'{"namespace": "n\\"s", "pod": "p\\\\od", "container": "c", '
        b'"timestamp": "2023-01-27T13:20:48.123456789Z", "message": "a pod"}\n'
    )
    assert json.loads(out)["message"] == "a pod"


def test_ppextjson(make: Make, pod: Target) -> None:
    r = make(format=OutputFormat.PPEXTJSON)
    assert r.emit(pod, b'{"a": {"b": 1}}', b"text") == (
        b'{\n  "pod": "nginx-7c5d-2xk9p",\n  "container": "nginx",\n  "message": {"a": {"b": 1}}\n}\n'
        b'{\n  "pod": "nginx-7c5d-2xk9p",\n  "container": "nginx",\n  "message": "text"\n}\n'
    )


def test_ppextjson_with_namespace_and_timestamp(make: Make, pod: Target) -> None:
    r = make(
        format=OutputFormat.PPEXTJSON, show_namespace=True, timestamps=TimestampFormat.SHORT, timezone="UTC"
    )
    assert r.emit(pod, b"1") == (
        b'{\n  "namespace": "default",\n  "pod": "nginx-7c5d-2xk9p",\n  "container": "nginx",\n'
        b'  "timestamp": "01-27 13:20:48",\n  "message": 1\n}\n'
    )


def test_stdin_mode_colour_off_and_on(make: Make) -> None:
    r = make(timestamps=TimestampFormat.DEFAULT)
    r.sink.render_stdin_line(TS + b" not parsed")
    r.sink.flush()
    assert r.out.getvalue() == b"  " + TS + b" not parsed\n"
    r = make(color=ColorMode.ALWAYS)
    r.sink.render_stdin_line(b"line")
    r.sink.flush()
    assert r.out.getvalue() == b"\x1b[0m\x1b[0m \x1b[0m\x1b[0m line\n"


def test_stdin_mode_with_the_namespace_column_prints_it_empty_as_stern(make: Make) -> None:
    # stern adds the namespace to its format with -A (or several -n), also for --stdin, where it is
    # empty: three leading spaces, and extjson has "namespace": "".
    r = make(show_namespace=True)
    r.sink.render_stdin_line(b"line")
    r.sink.flush()
    assert r.out.getvalue() == b"   line\n"
    r = make(show_namespace=True, format=OutputFormat.EXTJSON)
    r.sink.render_stdin_line(b"line")
    r.sink.flush()
    assert json.loads(r.out.getvalue())["namespace"] == ""


def test_stdin_mode_filters_and_raw(make: Make) -> None:
    import regex

    r = make(format=OutputFormat.RAW, includes=(regex.compile("keep"),))
    for line in (b"keep me", b"drop me", b"keep too"):
        r.sink.render_stdin_line(line)
    r.sink.flush()
    assert r.out.getvalue() == b"keep me\nkeep too\n"


def test_template_output_and_errors(make: Make, pod: Target) -> None:
    pytest.importorskip("pystern.gotemplate.template")
    tpl = '{{.PodName}}/{{.ContainerName}} {{index .Labels "app"}} {{.Timestamp}} {{.Message}}'
    r = make(template=tpl + '{{"\\n"}}')
    assert r.emit(pod, b"hi") == b"nginx-7c5d-2xk9p/nginx nginx  hi\n"
    bad = make(template="{{.Nope}}\n")
    assert bad.emit(pod, b"a", b"b") == b""
    assert bad.err.getvalue().count("expanding template failed: ") == 2


def test_template_context_field(make: Make, pod: Target) -> None:
    pytest.importorskip("pystern.gotemplate.template")
    r = make(template='{{.Context}}/{{.PodName}} {{.Message}}{{"\\n"}}')
    assert r.emit(pod, b"hi") == b"kind-a/nginx-7c5d-2xk9p hi\n"
    # Not part of stern's struct: {{json .}} stays stern's object.
    r = make(template='{{json .}}{{"\\n"}}')
    assert b"context" not in r.emit(pod, b"hi")


def test_template_colours_and_timestamp(make: Make, pod: Target) -> None:
    pytest.importorskip("pystern.gotemplate.template")
    tpl = (
        "{{color .PodColor .PodName}} {{color .ContainerColor .ContainerName}} {{.Timestamp}} {{.Message}}"
        '{{"\\n"}}'
    )
    r = make(template=tpl, color=ColorMode.ALWAYS, timestamps=TimestampFormat.SHORT, timezone="UTC")
    assert r.emit(pod, b"m") == P + b" " + C + b" 01-27 13:20:48 m\n"
    r = make(template=tpl)
    assert r.emit(pod, b"m") == b"nginx-7c5d-2xk9p nginx  m\n"


def test_invalid_utf8_passes_through_plain_formats(make: Make, pod: Target) -> None:
    r = make(format=OutputFormat.RAW)
    assert r.emit(pod, b"bad \xff\xfe bytes") == b"bad \xff\xfe bytes\n"


def test_stdin_batch_equals_single_lines(make: Make) -> None:
    lines = [b"one", TS + b" two", b"", b"\xff"]
    for fmt in OutputFormat:
        single, batch = make(format=fmt), make(format=fmt)
        for line in lines:
            single.sink.render_stdin_line(line)
        batch.sink.render_stdin_lines(lines)
        single.sink.flush()
        batch.sink.flush()
        assert single.out.getvalue() == batch.out.getvalue(), fmt
        assert single.out.getvalue().count(b"\n") == len(lines) * (5 if fmt is OutputFormat.PPEXTJSON else 1)


PATH_CASES: dict[str, dict[str, Any]] = {
    "plain": {},
    "-t": {"timestamps": TimestampFormat.DEFAULT, "timezone": "Asia/Tokyo"},
    "-t short": {"timestamps": TimestampFormat.SHORT, "timezone": "UTC"},
    "-i": {"includes": (regex.compile("keep"),)},
    "-e": {"excludes": (regex.compile("drop"),)},
    "-H colour": {"highlights": (regex.compile("keep"),), "color": ColorMode.ALWAYS},
}


def _batch_and_general(
    make: Make, pod: Target, fmt: OutputFormat, case: str, lines: list[bytes]
) -> tuple[bytes, bytes]:
    """``lines`` as one batch, and (the reference) followed by a line that forces the general loop."""
    odd = b"2023-01-27T13:21:00.5+00:00 keep odd"  # not 30 bytes: forces the general loop
    batch = make(format=fmt, **PATH_CASES[case])
    batch.sink.emit(pod, lines)
    batch.sink.flush()
    general = make(format=fmt, **PATH_CASES[case])
    general.sink.emit(pod, [*lines, odd])
    general.sink.flush()
    return batch.out.getvalue(), general.out.getvalue()


@pytest.mark.parametrize("fmt", list(OutputFormat))
@pytest.mark.parametrize("case", list(PATH_CASES))
def test_fast_paths_match_the_general_path(make: Make, pod: Target, fmt: OutputFormat, case: str) -> None:
    regular = [TS + b" keep <1>", TS + b" drop 2", b"2023-01-27T13:20:59.000000001Z keep \xff 3"]
    fast, general = _batch_and_general(make, pod, fmt, case, regular)
    assert fast
    assert general.startswith(fast)
    assert len(general) > len(fast)


@pytest.mark.parametrize("fmt", [OutputFormat.DEFAULT, OutputFormat.RAW, OutputFormat.JSON])
@pytest.mark.parametrize("case", ["plain", "-i"])
def test_a_line_shaped_almost_like_a_timestamp_is_not_cut_by_the_fast_path(
    make: Make, pod: Target, fmt: OutputFormat, case: str
) -> None:
    # A "-", a "T" and a space where a kubelet timestamp has them, but a space at 19 too: it
    # is no timestamp, so the general path keeps the line whole, and the fast one must too.
    lines = [TS + b" keep 1", b"2023-01-27T13:20:48 123456789Z keep me whole"]
    batch, general = _batch_and_general(make, pod, fmt, case, lines)
    assert b"13:20:48 123456789Z keep me whole" in batch
    assert general.startswith(batch)
