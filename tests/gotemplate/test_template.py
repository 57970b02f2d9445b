# ruff: noqa: E501  (tables of literal Go output lines)
"""Table-driven tests of the Go template language, stern's functions, errors and stern's examples."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystern.errors import TemplateExecError, TemplateParseError
from pystern.gotemplate import Color, StringMap, Struct, parse, stern_funcs
from pystern.gotemplate.gofmt import quote, sprintf
from pystern.gotemplate.literals import parse_string

PLAIN = stern_funcs(color=False)
COLOR = stern_funcs(color=True)


def data(message: str = "hi") -> dict[str, Any]:
    return {
        "Message": message,
        "Timestamp": "",
        "NodeName": "node1",
        "Namespace": "ns1",
        "PodName": "pod1",
        "ContainerName": "container1",
        "Labels": StringMap(app="nginx", env="prod"),
        "Annotations": StringMap(version="1.23.4"),
        "PodColor": Color((31,)),
        "ContainerColor": Color((34,)),
        "L": [1, "a", 2.5],
        "M": {"b": 2, "a": 1.0e6},
        "n": None,
        "f": 3.14,
        "fn": lambda a, b: a + b,
    }


def render(text: str, d: dict[str, Any] | None = None, funcs: Any = PLAIN) -> str:
    return parse(text, funcs, "log").execute(data() if d is None else d)


LANGUAGE = [
    ("text", "plain text", "plain text"),
    ("field", "{{.Message}}", "hi"),
    ("label", "{{.Labels.app}}", "nginx"),
    ("missing-label-field", "{{.Labels.missing}}", "<no value>"),
    ("missing-label-index", '{{index .Labels "missing"}}', ""),
    ("missing-interface-index", '{{index .M "zz"}}', "<no value>"),
    ("missing-interface-field", "{{.M.zz}}", "<no value>"),
    ("nil-value", "{{.n}}", "<no value>"),
    ("nil-printf", '{{printf "%v" .n}}', "<nil>"),
    ("range-map-sorted", "{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}", "a=1e+06;b=2;"),
    (
        "range-continue",
        "{{range $i, $v := .L}}{{if eq $i 1}}{{continue}}{{end}}{{$i}}:{{$v}} {{end}}",
        "0:1 2:2.5 ",
    ),
    ("range-break", "{{range .L}}{{.}}{{break}}{{end}}", "1"),
    ("range-else", "{{range .n}}x{{else}}empty{{end}}", "empty"),
    ("range-int", "{{range 3}}{{.}}{{end}}", "012"),
    ("if-else-if", "{{if .n}}a{{else if .f}}b{{else}}c{{end}}", "b"),
    ("with", "{{with .Labels}}{{.app}}{{end}}", "nginx"),
    ("with-else", "{{with .n}}x{{else}}none{{end}}", "none"),
    ("with-decl", '{{with $x := "v"}}{{$x}}{{.}}{{end}}', "vv"),
    ("variable-assign", "{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"),
    ("root-variable", "{{range .L}}{{$.Message}}{{end}}", "hihihi"),
    ("trim", '{{- "a" -}}   {{/* c */}}  b {{- /* d */ -}}  c', "a  bc"),
    ("comment", "x{{/* a\ncomment */}}y", "xy"),
    ("pipeline-final-arg", '{{.Message | printf "%s!"}}', "hi!"),
    ("pipeline-order", '{{"x" | printf "%s-%s" "y"}}', "y-x"),
    ("paren", '{{(index .L 0) | printf "%03d"}}', "001"),
    ("paren-field", "{{(.M).a}}", "1e+06"),
    (
        "literals",
        "{{1e6}} {{3.0}} {{0x1F}} {{1_000}} {{0o17}} {{017}} {{'a'}} {{-3}}",
        "1e+06 3 31 1000 15 15 97 -3",
    ),
    ("string-escapes", r'{{"a\tb\u00e9\x41\101"}}', "a\tbéAA"),
    ("raw-string", "{{`a\\n`}}", "a\\n"),
    ("bools-nil", "{{true}} {{false}}", "true false"),
    ("map-print", "{{.M}} {{.L}}", "map[a:1e+06 b:2] [1 a 2.5]"),
    ("and-or-not", '{{and 1 0 2}} {{or 0 "" "x"}} {{not 0}} {{and 1 2}}', "0 x true 2"),
    ("and-short-circuit", "{{and .n (index .n 1)}}", "<no value>"),
    ("or-short-circuit", "{{or 1 (index .n 1)}}", "1"),
    ("eq-multi", "{{eq 1 2 3 1}} {{eq 1 2}}", "true false"),
    (
        "comparisons",
        '{{ne "a" "b"}} {{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 2.5 2.5}}',
        "true true true false true",
    ),
    ("eq-missing", '{{eq .nope "x"}}', "false"),
    ("len", '{{len "héllo"}} {{len .L}} {{len .M}}', "6 3 2"),
    ("index", '{{index .L 1}} {{index "abc" 0}} {{index .Labels "app"}}', "a 97 nginx"),
    ("slice", '{{slice "hello" 1 3}} {{slice .L 1}} {{slice "ab"}}', "el [a 2.5] ab"),
    ("html", "{{html \"<a href='x'>&\"}}", "&lt;a href=&#39;x&#39;&gt;&amp;"),
    ("js", '{{js "a\'b\\"<>="}}', "a\\'b\\\"\\u003C\\u003E\\u003D"),
    ("urlquery", '{{urlquery "a b&c"}}', "a+b%26c"),
    ("call", "{{call .fn 1 2}}", "3"),
    ("print-spacing", '{{print 1 2 "a" 3 "b" "c"}}', "1 2a3bc"),
    ("println", '{{println 1 "a"}}', "1 a\n"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in LANGUAGE], ids=[c[0] for c in LANGUAGE])
def test_language(text: str, want: str) -> None:
    assert render(text) == want


PRINTF = [
    ("verbs", "%d %s %v %q %t %%", (42, "s", [1, "a"], "q\n", True), '42 s [1 a] "q\\n" true %'),
    (
        "float",
        "%5.2f|%e|%g|%v|%.3g",
        (3.14159, 1e6, 1e21, 1234567.0, 1234.5),
        " 3.14|1.000000e+06|1e+21|1.234567e+06|1.23e+03",
    ),
    ("width-flags", "|%-5s|%05d|%+d|% d|%5s|", ("ab", 42, 3, 4, "x"), "|ab   |00042|+3| 4|    x|"),
    ("star", "%*d|%-*d|%.*f", (4, 7, 3, 1, 2, 3.14159), "   7|1  |3.14"),
    (
        "bases",
        "%x %X %o %b %#x %#o %c %U",
        (255, 255, 8, 5, 255, 8, 65, 0x1F600),
        "ff FF 10 101 0xff 010 A U+1F600",
    ),
    ("string-hex", "%x % x %X", ("hi", "hi", "hi"), "6869 68 69 6869"),
    ("precision-string", "%.2s|%.0d", ("héllo", 0), "hé|"),
    (
        "type",
        "%T %T %T %T %T",
        ({"a": 1}, [1], 1.5, None, StringMap()),
        "map[string]interface {} []interface {} float64 <nil> map[string]string",
    ),
    ("bad-verb", "%d %s", ("hi", 1), "%!d(string=hi) %!s(int=1)"),
    ("missing", "%s %d", ("a",), "a %!d(MISSING)"),
    ("extra", "%s", ("a", 1, "b"), "a%!(EXTRA int=1, string=b)"),
    ("noverb", "%", (), "%!(NOVERB)"),
    ("quote-char", "%q %q", (97, 0x263A), "'a' '☺'"),
    ("quote-ascii", "%+q", ("☺\x01",), '"\\u263a\\x01"'),
    ("nil", "%v %s %d", (None, None, None), "<nil> %!s(<nil>) %!d(<nil>)"),
    ("map-verb-inside", "%s", ({"a": 1},), "map[a:%!s(int=1)]"),
    ("zero-pad-text", "%08s|%05t|%06s", ("ab", True, "héllo"), "000000ab|0true|0héllo"),
    (
        "zero-pad-numbers",
        "%#08x|%08.3f|%-08d|%+05d|%05d|%8.3d",
        (255, -3.14159, 5, 3, -42, 7),
        "0x000000ff|-003.142|5       |+0003|-0042|     007",
    ),
    ("inf-never-zero-padded", "%06.2f|%v", (float("inf"), float("-inf")), "  +Inf|-Inf"),
    ("explicit-index", "%[2]d %[1]d|%[3]d", (1, 2), "2 1|%!d(BADINDEX)"),
]


@pytest.mark.parametrize(("fmt", "args", "want"), [c[1:] for c in PRINTF], ids=[c[0] for c in PRINTF])
def test_printf(fmt: str, args: tuple[Any, ...], want: str) -> None:
    assert sprintf(fmt, *args) == want


@given(st.text())
def test_quote_round_trip(s: str) -> None:
    assert parse_string(quote(s)) == s
    assert parse_string(sprintf("%q", s)) == s


@given(st.integers(-(2**63), 2**63 - 1), st.integers(0, 20))
def test_printf_ints_like_python(n: int, width: int) -> None:
    assert sprintf("%*d", width, n) == f"{n:{width}d}"
    assert sprintf("%x", n) == (f"-{-n:x}" if n < 0 else f"{n:x}")


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


PARSE_ERRORS = [
    ("unknown-function", "{{invalid", 'template: log:1: function "invalid" not defined'),
    ("unclosed-action", "{{.Foo", "template: log:1: unclosed action"),
    ("unexpected-end", "{{end}}", "template: log:1: unexpected {{end}}"),
    ("unexpected-eof", "a\n{{if .X}}", "template: log:2: unexpected EOF"),
    ("undefined-variable", "{{$x}}", 'template: log:1: undefined variable "$x"'),
    ("empty-action", "{{}}", "template: log:1: missing value for command"),
    ("unclosed-paren", "{{(1}}", "template: log:1: unclosed left paren"),
    ("unterminated-string", '{{"abc}}', "template: log:1: unterminated quoted string"),
    ("else-at-top", "{{else}}", "template: log:1: unexpected {{else}}"),
    ("break-outside-range", "{{break}}", "template: log:1: {{break}} outside {{range}}"),
    ("non-executable", "{{1 | 2}}", "template: log:1: non executable command in pipeline stage 2"),
    ("missing-command", "{{.a |}}", "template: log:1: missing command"),
    ("bad-number", "{{3x}}", 'template: log:1: bad number syntax: "3x"'),
    ("unclosed-comment", "{{/* x", "template: log:1: unclosed comment"),
    ("variable-scope", "{{if 1}}{{$x := 1}}{{end}}{{$x}}", 'template: log:1: undefined variable "$x"'),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in PARSE_ERRORS], ids=[c[0] for c in PARSE_ERRORS])
def test_parse_errors(text: str, want: str) -> None:
    with pytest.raises(TemplateParseError) as info:
        parse(text, PLAIN, "log")
    assert str(info.value) == want


EXEC_ERRORS = [
    (
        "field-of-string",
        "{{.Message.x}}",
        'template: log:1:2: executing "log" at <.Message.x>: can\'t evaluate field x in type string',
    ),
    (
        "field-of-nil",
        "{{.n.x}}",
        'template: log:1:2: executing "log" at <.n.x>: nil pointer evaluating interface {}.x',
    ),
    (
        "eq-types",
        '{{eq 1 "a"}}',
        'template: log:1:2: executing "log" at <eq 1 "a">: error calling eq: incompatible types for comparison',
    ),
    (
        "lt-bool",
        "{{lt true false}}",
        'template: log:1:2: executing "log" at <lt true false>: error calling lt: invalid type for comparison',
    ),
    (
        "index-range",
        "x\n {{index .L 9}}",
        'template: log:2:3: executing "log" at <index .L 9>: error calling index: index out of range: 9',
    ),
    (
        "parseJSON-invalid",
        '{{parseJSON "{bad"}}',
        'template: log:1:2: executing "log" at <parseJSON "{bad">: error calling parseJSON: invalid character \'b\' looking for beginning of object key string',
    ),
    (
        "parseJSON-empty",
        "{{.Message | parseJSON}}",
        "template: log:1:13: executing \"log\" at <parseJSON>: error calling parseJSON: invalid character 'h' looking for beginning of value",
    ),
    (
        "toTimestamp-bad-date",
        '{{toTimestamp "x" "2006"}}',
        'template: log:1:2: executing "log" at <toTimestamp "x" "2006">: error calling toTimestamp: unable to parse date: x',
    ),
    (
        "toTimestamp-bad-zone",
        '{{toTimestamp "1" "2006" "Mars/X"}}',
        'template: log:1:2: executing "log" at <toTimestamp "1" "2006" "Mars/X">: error calling toTimestamp: unknown time zone Mars/X',
    ),
    (
        "arg-type",
        "{{tryParseJSON .L}}",
        'template: log:1:15: executing "log" at <.L>: wrong type for value; expected string; got []interface {}',
    ),
    (
        "arg-count",
        "{{printf}}",
        'template: log:1:2: executing "log" at <printf>: wrong number of args for printf: want at least 1 got 0',
    ),
    (
        "field-with-args",
        "{{.Message 1}}",
        'template: log:1:2: executing "log" at <.Message>: Message is not a method but has arguments',
    ),
    (
        "call-non-function",
        "{{call .Message}}",
        'template: log:1:2: executing "log" at <call .Message>: error calling call: non-function of type string',
    ),
    (
        "len-int",
        "{{len 3}}",
        'template: log:1:2: executing "log" at <len 3>: error calling len: len of type int',
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in EXEC_ERRORS], ids=[c[0] for c in EXEC_ERRORS])
def test_exec_errors(text: str, want: str) -> None:
    with pytest.raises(TemplateExecError) as info:
        render(text)
    assert str(info.value) == want


def test_struct_missing_field_is_an_error() -> None:
    with pytest.raises(TemplateExecError, match=r"can't evaluate field Foo in type stern\.Log"):
        parse("{{.Foo}}", PLAIN, "log").execute(Struct("stern.Log", Message="m"))


def test_call_refuses_classes() -> None:
    with pytest.raises(TemplateExecError, match="non-function"):
        render("{{call .c 1}}", {"c": int})


def test_default_funcs_and_name() -> None:
    with pytest.raises(TemplateParseError, match=r"^template: template:1: "):
        parse("{{nope}}")
    assert parse("{{colorRed `x`}}").execute({}) == "\x1b[31mx\x1b[0m"


ASSOCIATED = [
    (
        "define-template",
        '{{define "T1"}}ONE{{end}}{{define "T2"}}TWO {{template "T1"}}{{end}}{{template "T2"}}',
        "TWO ONE",
    ),
    ("template-dot", '{{define "x"}}[{{.}}|{{$}}]{{end}}{{template "x" .Message}}', "[hi|hi]"),
    ("template-no-dot", '{{define "x"}}{{.}}{{end}}{{template "x"}}', "<no value>"),
    ("block", '{{block "b" .Message}}<{{.}}>{{end}}', "<hi>"),
    (
        "recursion",
        '{{define "r"}}{{if gt . 0}}{{.}}{{template "r" (len (slice "aaaa" 1 .))}}{{end}}{{end}}{{template "r" 3}}',
        "321",
    ),
    (
        "variables-are-per-template",
        '{{$x := 1}}{{define "v"}}{{$x := 2}}{{$x}}{{end}}{{template "v"}}{{$x}}',
        "21",
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in ASSOCIATED], ids=[c[0] for c in ASSOCIATED])
def test_associated_templates(text: str, want: str) -> None:
    assert render(text) == want


def test_error_inside_defined_template_names_it() -> None:
    with pytest.raises(TemplateExecError) as info:
        render('{{define "e"}}{{.a.b}}{{end}}{{template "e" 3}}')
    assert (
        str(info.value) == 'template: log:1:16: executing "e" at <.a.b>: can\'t evaluate field a in type int'
    )


def test_undefined_template() -> None:
    with pytest.raises(TemplateExecError) as info:
        render('{{template "nope" .x}}')
    assert (
        str(info.value)
        == 'template: log:1:11: executing "log" at <{{template "nope" .x}}>: template "nope" not defined'
    )


def test_define_only_at_top_level() -> None:
    with pytest.raises(TemplateParseError, match="unexpected <define> in command"):
        parse('{{if 1}}{{define "x"}}{{end}}{{end}}', PLAIN, "log")


def test_multiline_positions() -> None:
    with pytest.raises(TemplateExecError, match=r"^template: log:3:6: executing"):
        render("a\nb\néé{{.Message.x}}")
    with pytest.raises(TemplateParseError, match=r"^template: log:3: function \"nope\" not defined"):
        parse("{{/* a\nb */}}\n{{nope}}", PLAIN, "log")


MORE = [
    ("json-nil-map", '{{json (tryParseJSON "x")}} {{json (parseJSON "null")}}', "null null"),
    ("json-lone-surrogate-escape", '{{with parseJSON `{"a":"\\ud800x"}`}}{{.a}}{{end}}', "\ufffdx"),
    ("else-with", "{{if 0}}a{{else with .f}}w{{.}}{{else}}c{{end}}", "w3.14"),
    ("json-number-eq-string", '{{with tryParseJSON `{"l":30}`}}{{eq .l "30"}}{{end}}', "true"),
    ("float-hex", '{{printf "%x %X" 3.0 0.1}}', "0x1.8p+01 0X1.999999999999AP-04"),
    ("toUTC-zero", '{{toUTC "junk"}}', "0001-01-01 00:00:00 +0000 UTC"),
    (
        "toRFC3339Nano-float-is-zero",
        '{{with parseJSON `{"ts":123}`}}{{toRFC3339Nano .ts}}{{end}}',
        "0001-01-01T00:00:00Z",
    ),
    ("color-struct-print", "{{.PodColor}}", "&{[31] <nil>}"),
    ("missing-through-chain", "{{.nope.deeper}}", "<no value>"),
    ("piped-missing-is-an-argument", '{{.nope | printf "%v"}} {{.nope | and 1}}', "<nil> <no value>"),
    ("builtins-always-there", '{{printf "%d" 1}}', "1"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in MORE], ids=[c[0] for c in MORE])
def test_more(text: str, want: str) -> None:
    assert render(text) == want


MORE_ERRORS = [
    (
        "json-overflow",
        '{{parseJSON `{"a":1e400}`}}',
        "json: cannot unmarshal number 1e400 into Go value of type float64",
    ),
    ("dash-in-field", "{{.Labels.app-name}}", 'bad number syntax: "-n"'),
    (
        "toTimestamp-float",
        '{{with parseJSON `{"ts":1.5}`}}{{toTimestamp .ts "2006"}}{{end}}',
        "unable to cast 1.5 of type float64 to time.Time",
    ),
    (
        "colorCustom-int-variable",
        '{{$a := index .L 0}}{{colorCustom "x" $a}}',
        "wrong type for value; expected color.Attribute; got int",
    ),
    ("recursion", '{{define "r"}}{{template "r"}}{{end}}{{template "r"}}', "depth"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in MORE_ERRORS], ids=[c[0] for c in MORE_ERRORS])
def test_more_errors(text: str, want: str) -> None:
    with pytest.raises((TemplateExecError, TemplateParseError)) as info:
        render(text)
    assert want in str(info.value)


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


def stern_log(message: str, **extra: Any) -> Struct:
    fields = {
        "Message": message,
        "Timestamp": "",
        "NodeName": "node1",
        "Namespace": "ns1",
        "PodName": "pod1",
        "ContainerName": "container1",
        "Labels": StringMap(app="nginx", env="prod"),
        "Annotations": StringMap(version="1.23.4"),
        "PodColor": Color((31,)),
        "ContainerColor": Color((34,)),
    }
    fields.update(extra)
    return Struct("stern.Log", fields)


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


JSON_ERRORS = [
    ("not-json", "hi", "invalid character 'h' looking for beginning of value"),
    ("empty", "", "unexpected end of JSON input"),
    ("trailing-comma", '{"a":1,}', "invalid character '}' looking for beginning of object key string"),
    ("missing-colon", '{"a" 1}', "invalid character '1' after object key"),
    ("missing-comma", '{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
    ("array-element", '{"a":[1 2]}', "invalid character '2' after array element"),
    ("trailing-data", '{"a":1}x', "invalid character 'x' after top-level value"),
    ("control-char", '{"a":"\x01"}', "invalid character '\\x01' in string literal"),
    ("bad-escape", '{"a":"\\q"}', "invalid character 'q' in string escape code"),
    ("bad-literal", '{"a":tru}', "invalid character '}' in literal true (expecting 'e')"),
    ("nan", '{"a":NaN}', "invalid character 'N' looking for beginning of value"),
    ("minus-infinity", '{"a":-Infinity}', "invalid character 'I' in numeric literal"),
    ("array", "[1]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
]


@pytest.mark.parametrize(("message", "want"), [c[1:] for c in JSON_ERRORS], ids=[c[0] for c in JSON_ERRORS])
def test_parse_json_errors(message: str, want: str) -> None:
    with pytest.raises(TemplateExecError) as info:
        render("{{parseJSON .Message}}", data(message))
    assert str(info.value).endswith("error calling parseJSON: " + want)


def test_readme_colorcustom_row() -> None:
    # stern's README shows {{color "Hi" 3 96}}; the working form is colorCustom (italic + hi-cyan).
    assert render('{{colorCustom "Hi" 3 96}}', funcs=COLOR) == "\x1b[3;96mHi\x1b[23;0m"
    with pytest.raises(TemplateExecError, match="wrong number of args for color: want 2 got 3"):
        render('{{color "Hi" 3 96}}', funcs=COLOR)


TIME_METHODS = [
    ("format", '{{ (toUTC .Message).Format "15:04:05.000 Mon" }}', "06:08:09.500 Tue"),
    ("format-piped", '{{ $t := toUTC .Message }}{{ "2006" | $t.Format }}', "2024"),
    ("unix", "{{ (toUTC .Message).Unix }} {{ (toUTC .Message).UnixMilli }}", "1709618889 1709618889500"),
    (
        "fields",
        "{{ $t := toUTC .Message }}{{ $t.Year }} {{ $t.Day }} {{ $t.Hour }} {{ $t.YearDay }} {{ $t.Nanosecond }}",
        "2024 5 6 65 500000000",
    ),
    (
        "stringers",
        '{{ $t := toUTC .Message }}{{ $t.Month }} {{ printf "%d %v %T" $t.Month $t.Weekday $t.Weekday }}',
        "March 3 Tuesday time.Weekday",
    ),
    (
        "zero-and-compare",
        '{{ (toUTC "junk").IsZero }} {{ (toUTC .Message).Before (toUTC "2030-01-01") }}',
        "true true",
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in TIME_METHODS], ids=[c[0] for c in TIME_METHODS])
def test_time_methods(text: str, want: str) -> None:
    assert render(text, data("2024-03-05T07:08:09.5+01:00")) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("{{ (toUTC .Message).Format }}", "wrong number of args for Format: want 1 got 0"),
        ("{{ (toUTC .Message).Nope }}", "can't evaluate field Nope in type time.Time"),
        ('{{ .Message.Format "x" }}', "can't evaluate field Format in type string"),
        ("{{ .Message | .Format }}", "Format is not a method but has arguments"),
    ],
    ids=["arity", "unknown-method", "string-has-no-methods", "map-field-with-args"],
)
def test_time_method_errors(text: str, want: str) -> None:
    with pytest.raises(TemplateExecError) as info:
        render(text, data("2024-03-05T07:08:09.5+01:00"))
    assert str(info.value).endswith(want)
