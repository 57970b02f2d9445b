# ruff: noqa: E501  (tables of literal Go output lines)
"""Parse and execution errors, worded and positioned as Go words them."""

from __future__ import annotations

import pytest

from pystern.errors import TemplateExecError, TemplateParseError
from pystern.gotemplate import Struct, parse
from tests.gotemplate.sample import PLAIN, data, render

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
        "field-of-a-map-value",  # data() is a map[string]interface{}: Go names the static type
        "{{.Message.x}}",
        'template: log:1:10: executing "log" at <.Message.x>: can\'t evaluate field x in type interface {}',
    ),
    (
        "field-of-nil",
        "{{.n.x}}",
        'template: log:1:4: executing "log" at <.n.x>: nil pointer evaluating interface {}.x',
    ),
    (
        "eq-types",
        '{{eq 1 "a"}}',
        'template: log:1:2: executing "log" at <eq 1 "a">: error calling eq: incompatible types for comparison: int and string',
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
        'template: log:1:2: executing "log" at <call .Message>: error calling call: non-function .Message of type string',
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


def test_error_inside_defined_template_names_it() -> None:
    with pytest.raises(TemplateExecError) as info:
        render('{{define "e"}}{{.a.b}}{{end}}{{template "e" 3}}')
    assert (
        str(info.value) == 'template: log:1:18: executing "e" at <.a.b>: can\'t evaluate field a in type int'
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
    with pytest.raises(TemplateExecError, match=r"^template: log:3:14: executing"):
        render("a\nb\néé{{.Message.x}}")
    with pytest.raises(TemplateParseError, match=r"^template: log:3: function \"nope\" not defined"):
        parse("{{/* a\nb */}}\n{{nope}}", PLAIN, "log")


MORE_ERRORS = [
    (
        "json-overflow",
        '{{parseJSON `{"a":1e400}`}}',
        "json: cannot unmarshal number 1e400 into Go value of type float64",
    ),
    ("dash-in-field", "{{.Labels.app-name}}", "template: log:1: bad character U+002D '-'"),
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


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("{{len .}}", "error calling len: len of type stern.Log"),
        ('{{index . "Message"}}', "error calling index: can't index item of type stern.Log"),
        ("{{range .}}x{{end}}", "range can't iterate over {m}"),
    ],
    ids=["len", "index", "range"],
)
def test_struct_is_not_a_map(text: str, want: str) -> None:
    with pytest.raises(TemplateExecError) as info:
        parse(text, PLAIN, "log").execute(Struct("stern.Log", {"Message": "m"}))
    assert str(info.value).endswith(want)
