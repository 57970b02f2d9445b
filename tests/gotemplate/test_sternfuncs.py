# ruff: noqa: E501  (tables of literal Go output lines)
"""stern's template functions and every template example from stern's README and cmd_test.go."""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystern.errors import TemplateExecError
from pystern.gotemplate import StringMap, parse
from tests.gotemplate.sample import COLOR, PLAIN, data, render, stern_log

J = '{"ts": 123, "level": "INFO", "msg": "template message", "n": 1e6, "x": 3}'


STERN_FUNCTIONS = [
    ("json-labels", "{{json .Labels}}", '{"app":"nginx","env":"prod"}'),
    ("json-html", '{{json "<&>"}}', '"\\u003c\\u0026\\u003e"'),
    ("json-float", "{{json .M}}", '{"a":1000000,"b":2}'),
    ("parseJSON-floats", "{{with parseJSON .Message}}{{.x}} {{.n}} {{.ts}}{{end}}", "3 1e+06 123"),
    ("tryParseJSON-numbers", "{{with tryParseJSON .Message}}{{.x}} {{.n}}{{end}}", "3 1e6"),
    ("tryParseJSON-trailing", '{{tryParseJSON "{\\"x\\":3.50} junk"}}', "map[x:3.50]"),
    ("tryParseJSON-array-nil", '{{tryParseJSON "[1]"}}|{{if tryParseJSON "x"}}y{{else}}n{{end}}', "map[]|n"),
    ("extractJSONParts", '{{extractJSONParts .Message "level" "x" "nope"}}', "INFO, 3, <nil>"),
    ("tryExtractJSONParts-fallback", '{{tryExtractJSONParts "oops" "a"}}', "oops"),
    ("extjson-valid", '{{extjson "{\\"a\\":1}\\n"}}', '{"a":1}'),
    ("extjson-scalar", '{{extjson "123"}}', "123"),
    ("extjson-quoted", '{{extjson "x<\\"y"}}', '"x\\u003c\\"y"'),
    (
        "prettyJSON-string",
        '{{prettyJSON "{\\"b\\":1,\\"a\\":[1,2]}"}}',
        '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}',
    ),
    ("prettyJSON-not-object", '{{prettyJSON "nope"}}', "nope"),
    ("prettyJSON-string-map", "{{prettyJSON .Labels}}", "map[app:nginx env:prod]"),
    ("prettyJSON-nil-map", '{{prettyJSON (tryParseJSON "x")}}', "null"),
    ("toRFC3339Nano-no-zone", '{{toRFC3339Nano "2024-01-01T05:00:00"}}', "2024-01-01T05:00:00Z"),
    (
        "toRFC3339Nano-offset",
        '{{toRFC3339Nano "2024-01-01T05:00:00.5+09:00"}}',
        "2024-01-01T05:00:00.5+09:00",
    ),
    ("toRFC3339Nano-bad", '{{toRFC3339Nano "junk"}}', "0001-01-01T00:00:00Z"),
    ("toUTC-epoch-fraction", '{{toUTC "1136171056.02"}}', "2006-01-02 03:04:16.02 +0000 UTC"),
    (
        "toUTC-json-number",
        "{{with tryParseJSON .Message}}{{toRFC3339Nano (toUTC .ts)}}{{end}}",
        "1970-01-01T00:02:03Z",
    ),
    ("epoch-truncated", '{{toTimestamp "1136171045.1234567899" "05.000000000"}}', "05.123456789"),
    (
        "toTimestamp-zone",
        '{{toTimestamp "2024-01-01T05:00:00" "Jan 02 2006 15:04 MST" "US/Eastern"}}',
        "Jan 01 2024 00:00 EST",
    ),
    (
        "toTimestamp-utc",
        '{{toTimestamp "2024-01-01T05:00:00" "Jan 02 2006 15:04 MST"}}',
        "Jan 01 2024 05:00 UTC",
    ),
    (
        "toTimestamp-rfc1123z",
        '{{toTimestamp "Mon, 02 Jan 2006 15:04:05 -0700" "Monday January 2 3:04:05PM -07:00" "Asia/Tokyo"}}',
        "Tuesday January 3 7:04:05AM +09:00",
    ),
    (
        "layout-parts",
        '{{toTimestamp "2024-03-05T07:08:09.120Z" "06 1 _2 __2 002 03 pm .000 .999 ,9 Z0700 -07"}}',
        "24 3  5  65 065 07 am .120 .12 ,1 Z +00",
    ),
    ("levelColor-plain", '{{levelColor "WARN"}} {{levelColor "other"}} [{{levelColor 3}}]', "WARN other []"),
    (
        "bunyanLevelColor",
        '{{with parseJSON `{"l":30}`}}{{bunyanLevelColor .l}}{{end}} [{{bunyanLevelColor 3}}]',
        "30 []",
    ),
    ("colorRed-as-is", '{{colorRed "100%"}} {{colorRed "%d%%" 5}}', "100% 5%"),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in STERN_FUNCTIONS], ids=[c[0] for c in STERN_FUNCTIONS]
)
def test_stern_functions(text: str, want: str) -> None:
    assert render(text, data(J)) == want


COLOURED = [
    ("color", "{{color .PodColor .PodName}}", "\x1b[31mpod1\x1b[0m"),
    ("colorCustom", '{{colorCustom "x" 1 96}}', "\x1b[1;96mx\x1b[22;0m"),
    ("colorGreen", '{{colorGreen "ok"}}', "\x1b[32mok\x1b[0m"),
    (
        "levelColor",
        '{{levelColor "Error"}} {{levelColor "debug"}}',
        "\x1b[31mError\x1b[0m \x1b[35mdebug\x1b[0m",
    ),
    ("bunyan", '{{with tryParseJSON `{"l":50}`}}{{bunyanLevelColor .l}}{{end}}', "\x1b[31m50\x1b[0m"),
    ("bunyan-high", '{{with tryParseJSON `{"l":100}`}}{{bunyanLevelColor .l}}{{end}}', "100"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in COLOURED], ids=[c[0] for c in COLOURED])
def test_colour_on(text: str, want: str) -> None:
    assert render(text, funcs=COLOR) == want


STERN_EXAMPLES = [
    # stern's cmd_test.go TestOptionsGenerateTemplate (NO_COLOR) and README examples.
    (
        "default",
        "{{color .PodColor .PodName}} {{color .ContainerColor .ContainerName}} {{if .Timestamp}}{{.Timestamp}} {{end}}{{.Message}}\n",
        "default message",
        "pod1 container1 default message\n",
    ),
    ("raw", "{{if .Timestamp}}{{.Timestamp}} {{end}}{{.Message}}\n", "raw message", "raw message\n"),
    (
        "extjson",
        '{"pod": "{{color .PodColor .PodName}}", "container": "{{color .ContainerColor .ContainerName}}", "message": {{extjson .Message}}}\n',
        '{"msg":"extjson message"}',
        '{"pod": "pod1", "container": "container1", "message": {"msg":"extjson message"}}\n',
    ),
    (
        "template",
        "Message={{.Message}} NodeName={{.NodeName}} Namespace={{.Namespace}} PodName={{.PodName}} ContainerName={{.ContainerName}}",
        "template message",
        "Message=template message NodeName=node1 Namespace=ns1 PodName=pod1 ContainerName=container1",
    ),
    (
        "test.tpl-plain",
        "{{color .PodColor .PodName}} {{color .ContainerColor .ContainerName}} {{ with $msg := .Message | tryParseJSON }}[{{ colorGreen (toRFC3339Nano (toUTC $msg.ts)) }}] {{ levelColor $msg.level }} {{ $msg.msg }}{{ else }}{{ .Message }}{{ end }}",
        "template message",
        "pod1 container1 template message",
    ),
    (
        "test.tpl-ts-int",
        "{{color .PodColor .PodName}} {{color .ContainerColor .ContainerName}} {{ with $msg := .Message | tryParseJSON }}[{{ colorGreen (toRFC3339Nano (toUTC $msg.ts)) }}] {{ levelColor $msg.level }} {{ $msg.msg }}{{ else }}{{ .Message }}{{ end }}",
        '{"ts": 123, "level": "INFO", "msg": "template message"}',
        "pod1 container1 [1970-01-01T00:02:03Z] INFO template message",
    ),
    (
        "test.tpl-ts-str",
        "{{color .PodColor .PodName}} {{color .ContainerColor .ContainerName}} {{ with $msg := .Message | tryParseJSON }}[{{ colorGreen (toRFC3339Nano (toUTC $msg.ts)) }}] {{ levelColor $msg.level }} {{ $msg.msg }}{{ else }}{{ .Message }}{{ end }}",
        '{"ts": "1970-01-01T01:02:03+01:00", "level": "INFO", "msg": "template message"}',
        "pod1 container1 [1970-01-01T00:02:03Z] INFO template message",
    ),
    (
        "toTimestamp-tz",
        '{{ toTimestamp .Message "Jan 02 2006 15:04 MST" "US/Eastern" }}',
        "2024-01-01T05:00:00",
        "Jan 01 2024 00:00 EST",
    ),
    (
        "toTimestamp-no-tz",
        '{{ toTimestamp .Message "Jan 02 2006 15:04 MST" }}',
        "2024-01-01T05:00:00",
        "Jan 01 2024 05:00 UTC",
    ),
    ("label", "{{.PodName}} [{{.Labels.app}}] {{.Message}}", "m", "pod1 [nginx] m"),
    ("annotation", "{{.PodName}} [{{.Annotations.version}}] {{.Message}}", "m", "pod1 [1.23.4] m"),
    ("labels-json", "{{.PodName}} {{json .Labels}} {{.Message}}", "m", 'pod1 {"app":"nginx","env":"prod"} m'),
    (
        "annotations-json",
        "{{.PodName}} {{json .Annotations}} {{.Message}}",
        "m",
        'pod1 {"version":"1.23.4"} m',
    ),
    ("missing-label", "{{.PodName}} [{{.Labels.missing}}] {{.Message}}", "m", "pod1 [<no value>] m"),
    (
        "missing-annotation",
        "{{.PodName}} [{{.Annotations.missing}}] {{.Message}}",
        "m",
        "pod1 [<no value>] m",
    ),
    (
        "readme-printf",
        '{{printf "%s (%s/%s/%s/%s)\\n" .Message .NodeName .Namespace .PodName .ContainerName}}',
        "m",
        "m (node1/ns1/pod1/container1)\n",
    ),
    (
        "readme-colors",
        '{{.Message}} ({{.Namespace}}/{{color .PodColor .PodName}}/{{color .ContainerColor .ContainerName}}){{"\\n"}}',
        "m",
        "m (ns1/pod1/container1)\n",
    ),
    (
        "readme-parseJSON",
        '{{.PodName}}/{{.ContainerName}} {{with $d := .Message | parseJSON}}[{{$d.level}}] {{$d.message}}{{end}}{{"\\n"}}',
        '{"level":"info","message":"hello"}',
        "pod1/container1 [info] hello\n",
    ),
    (
        "readme-tryParseJSON-json",
        '{{.PodName}}/{{.ContainerName}} {{ with $msg := .Message | tryParseJSON }}[{{ colorGreen (toRFC3339Nano $msg.ts) }}] {{ levelColor $msg.level }} ({{ colorCyan $msg.caller }}) {{ $msg.msg }}{{ else }} {{ .Message }} {{ end }}{{"\\n"}}',
        '{"ts":"2024-01-01T05:00:00Z","level":"info","caller":"main.go:1","msg":"hello"}',
        "pod1/container1 [2024-01-01T05:00:00Z] info (main.go:1) hello\n",
    ),
    (
        "readme-tryParseJSON-raw",
        '{{.PodName}}/{{.ContainerName}} {{ with $msg := .Message | tryParseJSON }}[{{ colorGreen (toRFC3339Nano $msg.ts) }}] {{ levelColor $msg.level }} ({{ colorCyan $msg.caller }}) {{ $msg.msg }}{{ else }} {{ .Message }} {{ end }}{{"\\n"}}',
        "plain line",
        "pod1/container1  plain line \n",
    ),
    (
        "readme-prettyJSON",
        '{{ .Message | prettyJSON }}{{"\\n"}}',
        '{"b":1,"a":"x"}',
        '{\n  "a": "x",\n  "b": 1\n}\n',
    ),
    (
        "readme-prettyJSON-with",
        '{{ with $msg := .Message | tryParseJSON }}{{ prettyJSON $msg }}{{"\\n"}}{{end}}',
        '{"n":1.50}',
        '{\n  "n": 1.50\n}\n',
    ),
]


@pytest.mark.parametrize(
    ("text", "message", "want"), [c[1:] for c in STERN_EXAMPLES], ids=[c[0] for c in STERN_EXAMPLES]
)
def test_stern_examples(text: str, message: str, want: str) -> None:
    assert render(text, data(message)) == want


def test_output_json_like_stern() -> None:
    # stern's cmd_test.go "output=json": {{json .}} on the Log struct (json tags, field order).
    got = parse("{{json .}}\n", PLAIN, "log").execute(stern_log("json message"))
    assert got == (
        '{"message":"json message","nodeName":"node1","namespace":"ns1","podName":"pod1",'
        '"containerName":"container1","labels":{"app":"nginx","env":"prod"},"annotations":{"version":"1.23.4"}}\n'
    )


def test_output_json_timestamp_and_empty_maps() -> None:
    log = stern_log("<m>", Timestamp="T", Labels=StringMap(), Annotations=StringMap(b="2", a="1"))
    assert parse("{{json .}}", PLAIN, "log").execute(log) == (
        '{"message":"\\u003cm\\u003e","timestamp":"T","nodeName":"node1","namespace":"ns1","podName":"pod1",'
        '"containerName":"container1","labels":null,"annotations":{"a":"1","b":"2"}}'
    )
    assert parse("{{json .Labels}} {{printf `%T`  .}}", PLAIN, "log").execute(log) == "null stern.Log"


def test_readme_colorcustom_row() -> None:
    # stern's README shows {{color "Hi" 3 96}}; the working form is colorCustom (italic + hi-cyan).
    assert render('{{colorCustom "Hi" 3 96}}', funcs=COLOR) == "\x1b[3;96mHi\x1b[23;0m"
    with pytest.raises(TemplateExecError, match="wrong number of args for color: want 2 got 3"):
        render('{{color "Hi" 3 96}}', funcs=COLOR)


json_values = st.recursive(
    st.none() | st.booleans() | st.text() | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(), json_values, max_size=5))
def test_parse_json_round_trip(value: dict[str, Any]) -> None:
    from pystern.gotemplate.jsondec import decode_object
    from pystern.gotemplate.jsonenc import go_json_dumps

    assert decode_object(go_json_dumps(value)) == value
    text = go_json_dumps(value)
    assert render("{{json (parseJSON .Message)}}", data(text)) == text


def test_local_zone_from_a_tz_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # `TZ=:/path/to/zonefile` (often `:/etc/localtime`) names a file, as Go's time.Local reads it.
    from pystern.gotemplate.timelayout import local_zone

    source = next(
        (Path(root) / "Asia/Tokyo" for root in zoneinfo.TZPATH if (Path(root) / "Asia/Tokyo").is_file()), None
    )
    if source is None:
        pytest.skip("no system zoneinfo")
    (tmp_path / "zone").write_bytes(source.read_bytes())
    monkeypatch.setenv("TZ", f":{tmp_path / 'zone'}")
    local_zone.cache_clear()
    try:
        assert (
            render('{{toTimestamp "2024-01-01T05:00:00Z" "15:04 -07:00" "Local"}}', data()) == "14:00 +09:00"
        )
    finally:
        local_zone.cache_clear()
