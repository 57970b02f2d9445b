# ruff: noqa: E501  (tables of literal Go output lines)
"""Go text/template (Go 1.26, the toolchain stern is built with) behaviour checked case by case.

Expected values are derived from Go's text/template and fmt sources and stern's cmd.go, not from
pystern's output.  Data is stern's ``Log`` struct (``tests.gotemplate.sample.stern_log``).
"""

from __future__ import annotations

import pytest

from pystern.errors import TemplateExecError, TemplateParseError
from pystern.gotemplate import parse
from tests.gotemplate.sample import COLOR, PLAIN, stern_log


def run(text: str, message: str = "hi") -> str:
    """Render ``text`` as stern would for one line; an error comes back as its one-line text."""
    try:
        return parse(text, PLAIN, "log").execute(stern_log(message))
    except (TemplateExecError, TemplateParseError) as exc:
        return f"ERR {exc}"


def exec_error(at: str, message: str) -> str:
    return f'ERR template: log:{at}: executing "log" at {message}'


COMPARISONS = [
    (
        "eq-int-string",
        '{{eq 1 "a"}}',
        exec_error("1:2", '<eq 1 "a">: error calling eq: incompatible types for comparison: int and string'),
    ),
    (
        "eq-parsejson-float-with-int",
        "{{with parseJSON .Message}}{{eq .level 30}}{{end}}",
        exec_error(
            "1:29", "<eq .level 30>: error calling eq: incompatible types for comparison: float64 and int"
        ),
    ),
    ("eq-json-number-with-string", '{{with tryParseJSON .Message}}{{eq .level "30"}}{{end}}', "true"),
    (
        "lt-types",
        "{{lt 1 1.5}}",
        exec_error("1:2", "<lt 1 1.5>: error calling lt: incompatible types for comparison: int and float64"),
    ),
    (
        "ge-types",
        '{{ge "a" 1}}',
        exec_error("1:2", '<ge "a" 1>: error calling ge: incompatible types for comparison: string and int'),
    ),
    (
        "eq-map-string",
        '{{eq .Labels "a"}}',
        exec_error(
            "1:2",
            '<eq .Labels "a">: error calling eq: incompatible types for comparison: map[string]string and string',
        ),
    ),
    ("eq-nil-map-is-nil", '{{eq (tryParseJSON "x") .Labels.nope}}', "true"),
    ("eq-missing-with-string", '{{eq .Labels.nope "a"}} {{eq "a" .Labels.nope}}', "false false"),
    (
        "eq-maps",
        "{{eq .Labels .Annotations}}",
        exec_error(
            "1:2",
            "<eq .Labels .Annotations>: error calling eq: non-comparable type map[version:1.23.4]: map[string]string",
        ),
    ),
    (
        "eq-map-and-list",
        '{{eq .Labels (parseJSON `{"a":[1]}`).a}}',
        exec_error(
            "1:2",
            '<eq .Labels (parseJSON `{"a":[1]}`).a>: error calling eq: non-comparable types map[app:nginx env:prod]: map[string]string, []interface {}: [1]',
        ),
    ),
    ("eq-times", '{{eq (toUTC "2024-01-02T03:04:05Z") (toUTC "2024-01-02T04:04:05+01:00")}}', "true"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in COMPARISONS], ids=[c[0] for c in COMPARISONS])
def test_comparisons(text: str, want: str) -> None:
    assert run(text, '{"level":30}') == want


# Go's parser positions a chained field (``.a.b``, ``$x.a``) at its second segment, and reports errors
# raised after evaluating a pipeline (a field of ``(pipeline)``, a value ``range`` rejects) at the last
# node it evaluated.
POSITIONS = [
    (
        "field-chain",
        "{{.Message.Foo}}",
        exec_error("1:10", "<.Message.Foo>: can't evaluate field Foo in type string"),
    ),
    (
        "long-chain",
        "{{.Labels.app.x}}",
        exec_error("1:9", "<.Labels.app.x>: can't evaluate field x in type string"),
    ),
    (
        "variable-chain",
        "{{$m := .Message}}{{$m.x}}",
        exec_error("1:22", "<$m.x>: can't evaluate field x in type string"),
    ),
    (
        "pointer-field",
        "{{.PodColor.X}}",
        exec_error("1:11", "<.PodColor.X>: can't evaluate field X in type *color.Color"),
    ),
    (
        "map-field-with-args",
        "{{.Labels.app 1}}",
        exec_error("1:9", "<.Labels.app>: app is not a method but has arguments"),
    ),
    (
        "paren-chain",
        "{{(.Message).x}}",
        exec_error("1:3", "<.Message>: can't evaluate field x in type string"),
    ),
    (
        "paren-call-chain",
        '{{(printf "%s" .Message "z").x}}',
        exec_error("1:24", '<"z">: can\'t evaluate field x in type string'),
    ),
    ("range-string", '{{range "abc"}}x{{end}}', exec_error("1:8", '<"abc">: range can\'t iterate over abc')),
    (
        "range-field",
        "{{range $x := .Message}}x{{end}}",
        exec_error("1:14", "<.Message>: range can't iterate over hi"),
    ),
    (
        "range-int-two-variables",
        "{{range $i, $e := 3}}{{$i}}{{end}}",
        exec_error("1:18", "<3>: can't use 3 to iterate over more than one variable"),
    ),
    ("range-int-one-variable", "{{range $e := 3}}{{$e}}{{end}}", "012"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in POSITIONS], ids=[c[0] for c in POSITIONS])
def test_error_positions(text: str, want: str) -> None:
    assert run(text) == want


FIELD_ERRORS = [
    (
        "json-value-is-an-interface",
        '{{(parseJSON `{"a":"s"}`).a.b}}',
        exec_error("1:13", '<`{"a":"s"}`>: can\'t evaluate field b in type interface {}'),
    ),
    (
        "json-variable",
        '{{$m := parseJSON `{"a":{"b":1}}`}}{{$m.a.b.c}}',
        exec_error("1:39", "<$m.a.b.c>: can't evaluate field c in type interface {}"),
    ),
    (
        "struct-field-is-typed",
        "{{.Message.x}}",
        exec_error("1:10", "<.Message.x>: can't evaluate field x in type string"),
    ),
    (
        "label-is-typed",
        "{{.Labels.app.x}}",
        exec_error("1:9", "<.Labels.app.x>: can't evaluate field x in type string"),
    ),
    (
        "struct-field-with-args",
        "{{.Message 1}}",
        exec_error("1:2", "<.Message>: Message has arguments but cannot be invoked as function"),
    ),
    (
        "struct-field-piped",
        "{{.Message | .PodName}}",
        exec_error("1:13", "<.PodName>: PodName has arguments but cannot be invoked as function"),
    ),
    (
        "struct-missing-field-with-args",
        "{{.Nope 1}}",
        exec_error("1:2", "<.Nope>: can't evaluate field Nope in type stern.Log"),
    ),
    ("missing-value-takes-args", "{{.Labels.nope.x 1}}", "<no value>"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in FIELD_ERRORS], ids=[c[0] for c in FIELD_ERRORS])
def test_field_errors(text: str, want: str) -> None:
    assert run(text) == want


DEFINITIONS = [
    (
        "redefined",
        '{{define "a"}}x{{end}}\n{{define "a"}}y{{end}}',
        'ERR template: log:2: template: multiple definition of template "a"',
    ),
    (
        "block-then-define",
        '{{block "b" .}}B{{end}}{{define "b"}}D{{end}}',
        'ERR template: log:1: template: multiple definition of template "b"',
    ),
    ("blank-definition-is-replaced", '{{define "a"}} {{end}}{{define "a"}}y{{end}}{{template "a"}}', "y"),
    (
        "blank-definition-never-replaces",
        '{{define "a"}}y{{end}}{{define "a"}}\n{{/* c */}}{{end}}{{template "a"}}',
        "y",
    ),
    ("define-the-template-itself", '{{define "log"}}X{{end}}\n', "X"),
    (
        "define-the-template-and-a-body",
        '{{define "log"}}X{{end}}body',
        'ERR template: log:1: template: multiple definition of template "log"',
    ),
    ("blank-define-of-the-template", '{{define "log"}} {{end}}body', "body"),
    (
        "recursive-via-own-name",
        '{{define "d"}}<{{template "log" false}}>{{end}}{{if .}}{{template "d"}}{{else}}y{{end}}',
        "<y>",
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in DEFINITIONS], ids=[c[0] for c in DEFINITIONS])
def test_definitions(text: str, want: str) -> None:
    assert run(text) == want


# stern's ``color`` takes a ``color.Color`` value; Go checks each argument against its parameter.
ARGUMENTS = [
    ("color-nil-literal", '{{color nil "x"}}', exec_error("1:8", "<nil>: cannot assign nil to color.Color")),
    (
        "color-missing",
        '{{color .Labels.nope "x"}}',
        exec_error("1:15", "<.Labels.nope>: invalid value; expected color.Color"),
    ),
    (
        "color-string-field",
        '{{color .Message "x"}}',
        exec_error("1:8", "<.Message>: wrong type for value; expected color.Color; got string"),
    ),
    (
        "color-string-literal",
        '{{color "a" "x"}}',
        exec_error("1:8", '<"a">: can\'t handle "a" for arg of type color.Color'),
    ),
    ("string-nil-literal", "{{colorRed nil}}", exec_error("1:11", "<nil>: cannot assign nil to string")),
    (
        "attribute-nil-literal",
        '{{colorCustom "x" nil}}',
        exec_error("1:18", "<nil>: cannot assign nil to color.Attribute"),
    ),
    (
        "json-null-to-string",
        '{{with parseJSON `{"a":null}`}}{{colorRed .a}}{{end}}',
        exec_error("1:42", "<.a>: wrong type for value; expected string; got interface {}"),
    ),
    (
        "index-map-with-nil",
        "{{index .Labels nil}}",
        exec_error("1:2", "<index .Labels nil>: error calling index: value is nil; should be of type string"),
    ),
    (
        "nil-to-interface-parameters",
        '{{printf "%v" nil}} {{json nil}} {{eq nil .Labels.nope}} {{not nil}}',
        "<nil> null true true",
    ),
    ("nil-time-is-zero", '{{toTimestamp nil "2006"}}', "0001"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in ARGUMENTS], ids=[c[0] for c in ARGUMENTS])
def test_arguments(text: str, want: str) -> None:
    assert run(text) == want


PARSE_ERRORS = [
    ("template-without-name", "{{template}}", 'unexpected "}}" in template clause'),
    ("define-without-name", "{{define}}{{end}}", 'unexpected "}}" in define clause'),
    ("long-item-is-cut", "{{template .VeryLongFieldName}}", 'unexpected ".VeryLongF"... in template clause'),
    ("dot-item", "{{template .}}", "unexpected <.> in template clause"),
    ("break-with-argument", "{{range .Labels}}{{break 1}}{{end}}", 'unexpected "1" in {{break}}'),
    ("continue-with-argument", "{{range .Labels}}{{continue 1}}{{end}}", 'unexpected "1" in {{continue}}'),
    ("else-with-argument", "{{if 1}}{{else 2}}{{end}}", 'unexpected "2" in else'),
    ("two-variables-in-an-action", "{{$x, $y := 1}}", "too many declarations in command"),
    ("two-variables-in-if", "{{if $x, $y := 1}}{{end}}", "too many declarations in if"),
    ("three-variables-in-range", "{{range $a, $b, $c := .Labels}}{{end}}", "too many declarations in range"),
    ("range-literal-variable", "{{range $a, 1}}{{end}}", "range can only initialize variables"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in PARSE_ERRORS], ids=[c[0] for c in PARSE_ERRORS])
def test_parse_errors(text: str, want: str) -> None:
    assert run(text) == f"ERR template: log:1: {want}"


NUMBERS = [
    ("rune-constant-is-an-int", "{{printf \"%T %v %c\" 'a' 'a' 'a'}}", "int 97 a"),
    (
        "index-of-a-string-is-a-byte",
        '{{$b := index .Message 0}}{{printf "%T %v %c %x %q" $b $b $b $b $b}} {{eq $b 104}} {{json $b}}',
        "uint8 104 h 68 'h' true 104",
    ),
    (
        "index-a-byte",
        "{{index .Message 1 2}}",
        exec_error("1:2", "<index .Message 1 2>: error calling index: can't index item of type uint8"),
    ),
    (
        "uint64-constant",
        "{{9223372036854775808}}",
        exec_error("1:2", "<9223372036854775808>: 9223372036854775808 overflows int"),
    ),
    (
        "uint64-constant-argument",
        '{{printf "%v" 18446744073709551615}}',
        exec_error("1:14", "<18446744073709551615>: 18446744073709551615 overflows int"),
    ),
    (
        "too-big-integer",
        "{{99999999999999999999}}",
        'ERR template: log:1: integer overflow: "99999999999999999999"',
    ),
    (
        "too-big-negative",
        "{{-9223372036854775809}}",
        'ERR template: log:1: integer overflow: "-9223372036854775809"',
    ),
    (
        "too-big-hex",
        "{{0x1FFFFFFFFFFFFFFFF}}",
        'ERR template: log:1: illegal number syntax: "0x1FFFFFFFFFFFFFFFF"',
    ),
    ("too-big-float", "{{1e400}}", 'ERR template: log:1: illegal number syntax: "1e400"'),
    ("too-big-hex-float", "{{0x1p99999}}", 'ERR template: log:1: illegal number syntax: "0x1p99999"'),
    (
        "int64-bounds",
        "{{9223372036854775807}} {{-9223372036854775808}}",
        "9223372036854775807 -9223372036854775808",
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in NUMBERS], ids=[c[0] for c in NUMBERS])
def test_numbers(text: str, want: str) -> None:
    assert run(text) == want


CALLS = [
    (
        "call-names-the-callee",
        "{{call .Labels}}",
        exec_error(
            "1:2", "<call .Labels>: error calling call: non-function .Labels of type map[string]string"
        ),
    ),
    (
        "call-piped-callee",
        "{{.Message | call}}",
        exec_error("1:13", "<call>: error calling call: non-function hi of type string"),
    ),
    (
        "call-piped-map",
        "{{.Labels | call}}",
        exec_error(
            "1:12",
            "<call>: error calling call: non-function <map[string]string Value> of type map[string]string",
        ),
    ),
    (
        "call-missing",
        "{{call .Labels.x}}",
        exec_error("1:2", "<call .Labels.x>: error calling call: call of nil"),
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in CALLS], ids=[c[0] for c in CALLS])
def test_call(text: str, want: str) -> None:
    assert run(text) == want


NOT_A_FUNCTION = [
    ("number", "{{1 2}}", exec_error("1:2", "<1>: can't give argument to non-function 1")),
    ("string", '{{"a" .Message}}', exec_error("1:2", '<"a">: can\'t give argument to non-function "a"')),
    ("variable", "{{$x := 1}}{{$x 2}}", exec_error("1:13", "<$x>: can't give argument to non-function $x")),
    (
        "piped-variable",
        "{{$x := 1}}{{.Message | $x}}",
        exec_error("1:24", "<$x>: can't give argument to non-function $x"),
    ),
    ("parenthesised", "{{(1) 2}}", exec_error("1:2", "<(1) 2>: can't give argument to non-function (1)")),
    (
        "parenthesised-piped",
        '{{.Message | (printf "x")}}',
        exec_error("1:2", '<.Message>: can\'t give argument to non-function (printf "x")'),
    ),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in NOT_A_FUNCTION], ids=[c[0] for c in NOT_A_FUNCTION]
)
def test_not_a_function(text: str, want: str) -> None:
    assert run(text) == want


def color_run(text: str, message: str) -> str:
    return parse(text, COLOR, "log").execute(stern_log(message))


LEVELS = [
    (
        "int64-overflow-json-number",
        "{{bunyanLevelColor (tryParseJSON .Message).n}}",
        '{"n":99999999999999999999}',
        "",
    ),
    ("fraction-json-number", "{{bunyanLevelColor (tryParseJSON .Message).n}}", '{"n":30.0}', ""),
    (
        "negative-json-number",
        "{{bunyanLevelColor (tryParseJSON .Message).n}}",
        '{"n":-5}',
        "\x1b[35m-5\x1b[0m",
    ),
    (
        "huge-float-is-min-int64",
        "{{bunyanLevelColor (parseJSON .Message).n}}",
        '{"n":1e300}',
        "\x1b[35m-9223372036854775808\x1b[0m",
    ),
    ("float-truncates", "{{bunyanLevelColor (parseJSON .Message).n}}", '{"n":49.9}', "\x1b[33m49\x1b[0m"),
    ("past-100-is-plain", "{{bunyanLevelColor (parseJSON .Message).n}}", '{"n":100}', "100"),
    ("dotted-capital-i", "{{levelColor .Message}}", "\u0130NFO", "\x1b[34m\u0130NFO\x1b[0m"),
    ("case-kept", "{{levelColor .Message}}", "Warning", "\x1b[33mWarning\x1b[0m"),
]


@pytest.mark.parametrize(("text", "message", "want"), [c[1:] for c in LEVELS], ids=[c[0] for c in LEVELS])
def test_level_colors(text: str, message: str, want: str) -> None:
    assert color_run(text, message) == want


PRINTF = [
    (
        "go-syntax-nil-map",
        '{{printf "%v|%#v" (tryParseJSON "x") (tryParseJSON "x")}}',
        "map[]|map[string]interface {}(nil)",
    ),
    (
        "go-syntax-nil-element",
        '{{printf "%#v" (parseJSON `{"a":[1,"x",null,true]}`)}}',
        'map[string]interface {}{"a":[]interface {}{1, "x", interface {}(nil), true}}',
    ),
    ("go-syntax-nil-argument", '{{printf "%#v" nil}}', "<nil>"),
    (
        "verb-applies-to-map-keys",
        '{{printf "%d" .Labels}}',
        "map[%!d(string=app):%!d(string=nginx) %!d(string=env):%!d(string=prod)]",
    ),
    (
        "floats",
        '{{printf "%5.2f|%.0f %.0f|%g %g|%e" 3.14159 0.5 1.5 100000.0 1000000.0 1234.5678}}',
        " 3.14|0 2|100000 1e+06|1.234568e+03",
    ),
    (
        "strings",
        '{{printf "%-10s|%q|%x|% x|%+q|%.3s" "ab" "a\\"b" "hi" "hi" "é" "abcdef"}}',
        'ab        |"a\\"b"|6869|68 69|"\\u00e9"|abc',
    ),
    (
        "integers",
        '{{printf "%+d|%05d|%x|%#x|%o|%O|%b|%c|%U" 5 -3 -255 255 8 8 5 65 65}}',
        "+5|-0003|-ff|0xff|10|0o10|101|A|U+0041",
    ),
    ("errors", '{{printf "%d|%!|%z" "x" 1}}', "%!d(string=x)|%!!(int=1)|%!z(MISSING)"),
    (
        "json-number-is-a-string-kind",
        '{{with tryParseJSON `{"n":30}`}}{{printf "%d|%v|%T" .n .n .n}}{{print .n .n}}{{end}}',
        "%!d(json.Number=30)|30|json.Number3030",
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in PRINTF], ids=[c[0] for c in PRINTF])
def test_printf(text: str, want: str) -> None:
    assert run(text) == want


def test_escapers_work_on_bytes() -> None:
    """A log line is bytes: Go's urlquery percent-encodes undecodable ones, js copies them and DEL."""
    message = b"a\xff b\x7f<".decode("utf-8", "surrogateescape")
    out = parse("{{urlquery .Message}}|{{js .Message}}", PLAIN, "log").execute(stern_log(message))
    assert out.encode("utf-8", "surrogateescape") == b"a%FF+b%7F%3C|a\xff b\x7f\\u003C"


def test_json_writes_an_escape_per_undecodable_byte() -> None:
    """Go's encoding/json writes the six characters \\ufffd for each invalid byte (as ``-o json`` does)."""
    message = b"a\xff\xe2\x82".decode("utf-8", "surrogateescape")
    out = parse("{{json .Message}}|{{extjson .Message}}|{{json .}}", PLAIN, "log").execute(stern_log(message))
    escaped = '"a\\ufffd\\ufffd\\ufffd"'
    assert out.split("|")[:2] == [escaped, escaped]
    assert out.split("|")[2].startswith('{"message":' + escaped + ",")


@pytest.mark.parametrize(
    ("message", "char"),
    [("été", "'Ã'"), ("Ошибка", "'Ð'"), ("\u00a0x", "'Â'"), ("\udc80", "'\\u0080'"), ("\udcad", "'\\u00ad'")],
    ids=["latin", "cyrillic", "nbsp", "undecodable-byte", "unprintable-byte"],
)
def test_json_errors_quote_the_first_byte(message: str, char: str) -> None:
    """Go's JSON scanner reports the offending byte, quoted as the code point of that number."""
    want = f"error calling parseJSON: invalid character {char} looking for beginning of value"
    assert run("{{parseJSON .Message}}", message).endswith(want)


TEMPLATE_CALLS = [
    (
        "endless-recursion",
        '{{define "r"}}{{template "r" .}}{{end}}{{template "r"}}',
        exec_error("1:25", '<{{template "r" .}}>: exceeded maximum template depth (100000)').replace(
            'executing "log"', 'executing "r"'
        ),
    ),
    (
        "undefined-before-its-argument",
        '{{template "nope" .x.y}}',
        exec_error("1:11", '<{{template "nope" .x.y}}>: template "nope" not defined'),
    ),
    (
        "deep-recursion-ends",
        '{{define "r"}}{{if .}}{{template "r" (slice . 1)}}{{end}}{{end}}{{template "r" "'
        + "a" * 200
        + '"}}ok',
        "ok",
    ),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in TEMPLATE_CALLS], ids=[c[0] for c in TEMPLATE_CALLS]
)
def test_template_calls(text: str, want: str) -> None:
    assert run(text) == want


STRUCT_PRINTING = [
    (
        "plus-v-adds-no-sign",
        '{{printf "%+v|%+v|%+d|%+.1f" 5 1.5 5 1.5}}|{{printf "%+v" (parseJSON `{"a":1}`)}}',
        "5|1.5|+5|+1.5|map[a:1]",
    ),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in STRUCT_PRINTING], ids=[c[0] for c in STRUCT_PRINTING]
)
def test_struct_printing(text: str, want: str) -> None:
    # pystern's own .Context field is not part of stern's struct: fmt does not print it.
    assert parse(text, PLAIN, "log").execute(stern_log("hi", Context="ctx")) == want


LEXER_ERRORS = [
    ("ascii-punctuation-starts-a-command", "{{@}}", 'template: log:1: unexpected "@" in command'),
    ("ascii-punctuation-after-an-operand", "{{.Message @}}", 'template: log:1: unexpected "@" in operand'),
    ("operands-without-a-space", '{{"a""b"}}', 'template: log:1: unexpected "\\"b\\"" in operand'),
    (
        "unrecognised-character",
        "{{.Message €}}",
        "template: log:1: unrecognized character in action: U+20AC '€'",
    ),
    ("unprintable-character", "{{\x01}}", "template: log:1: unrecognized character in action: U+0001"),
    ("unexpected-right-paren", "{{.Message)}}", "template: log:1: unexpected right paren"),
    ("colon", "{{$x : 1}}", "template: log:1: expected :="),
    (
        "quote-on-a-later-line",
        '{{printf\n"abc}}',
        "template: log:2: unterminated quoted string in action started at log:1",
    ),
    ("unclosed-on-a-later-line", "{{if .Message\n\n", "template: log:3: unclosed action started at log:1"),
    ("unclosed-on-the-same-line", "a\n{{if .Message", "template: log:2: unclosed action"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in LEXER_ERRORS], ids=[c[0] for c in LEXER_ERRORS])
def test_lexer_errors(text: str, want: str) -> None:
    assert run(text) == f"ERR {want}"


ELSE_CHAINS = [
    ("if-else-if", "{{if 0}}a{{else if 1}}b{{end}}", "b"),
    ("with-else-with", "{{with 0}}a{{else with .PodName}}{{.}}{{end}}", "pod1"),
    ("if-else-with", "{{if 0}}a{{else with 1}}b{{end}}", "ERR template: log:1: unexpected <with> in input"),
    ("with-else-if", "{{with 0}}a{{else if 1}}b{{end}}", "ERR template: log:1: unexpected <if> in input"),
    (
        "range-else-if",
        "{{range .Labels}}a{{else if 1}}b{{end}}",
        "ERR template: log:1: unexpected <if> in input",
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in ELSE_CHAINS], ids=[c[0] for c in ELSE_CHAINS])
def test_else_chains(text: str, want: str) -> None:
    assert run(text) == want


WORDS = [
    ("dash-after-a-field", "{{.Labels.app-name}}", "ERR template: log:1: bad character U+002D '-'"),
    ("quote-after-a-function", '{{printf"x"}}', "ERR template: log:1: bad character U+0022 '\"'"),
    ("equals-after-a-variable", "{{$x := 1}}{{$x=2}}", "ERR template: log:1: bad character U+003D '='"),
    ("character-after-a-dot", "{{.@}}", "ERR template: log:1: bad character U+0040 '@'"),
    ("digits-in-a-variable-name", "{{$1 := 2}}{{$1}}", "2"),
    ("terminators", "{{$x:=.Message}}{{$x|printf}}{{if(.PodName)}}!{{end}}", "hi!"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in WORDS], ids=[c[0] for c in WORDS])
def test_words_end_at_a_terminator(text: str, want: str) -> None:
    assert run(text) == want


# Go prints the failing node from the parse tree (single spaces), not as the template file lays it out.
LAYOUT = [
    (
        "parenthesised-argument",
        '{{eq ( printf\n  "a"  ) 1}}',
        exec_error(
            "1:2", '<eq (printf "a") 1>: error calling eq: incompatible types for comparison: string and int'
        ),
    ),
    (
        "template-argument",
        '{{template "nope"   (printf\n"%d"  1)}}',
        exec_error("1:11", '<{{template "nope" (printf "%d" 1)}}>: template "nope" not defined'),
    ),
    (
        "chained-pipeline",
        '{{eq (printf\n"%s" .Message).x 1}}',
        exec_error("2:5", "<.Message>: can't evaluate field x in type string"),
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in LAYOUT], ids=[c[0] for c in LAYOUT])
def test_error_context_ignores_layout(text: str, want: str) -> None:
    assert run(text) == want
