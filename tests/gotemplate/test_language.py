# ruff: noqa: E501  (tables of literal Go output lines)
"""The Go template language: actions, control structures, variables, builtins, associated templates."""

from __future__ import annotations

import pytest

from pystern.errors import TemplateExecError, TemplateParseError
from pystern.gotemplate import Struct, parse
from tests.gotemplate.sample import PLAIN, data, render

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


MORE = [
    ("json-nil-map", '{{json (tryParseJSON "x")}} {{json (parseJSON "null")}}', "null null"),
    ("json-lone-surrogate-escape", '{{with parseJSON `{"a":"\\ud800x"}`}}{{.a}}{{end}}', "\ufffdx"),
    ("else-with", "{{with 0}}a{{else with .f}}w{{.}}{{else}}c{{end}}", "w3.14"),
    ("json-number-eq-string", '{{with tryParseJSON `{"l":30}`}}{{eq .l "30"}}{{end}}', "true"),
    ("float-hex", '{{printf "%x %X" 3.0 0.1}}', "0x1.8p+01 0X1.999999999999AP-04"),
    ("toUTC-zero", '{{toUTC "junk"}}', "0001-01-01 00:00:00 +0000 UTC"),
    (
        "toRFC3339Nano-float-is-zero",
        '{{with parseJSON `{"ts":123}`}}{{toRFC3339Nano .ts}}{{end}}',
        "0001-01-01T00:00:00Z",
    ),
    # text/template prints an action's value after printableValue, which follows the *color.Color.
    ("color-struct-print", "{{.PodColor}}", "{[31] <nil>}"),
    ("missing-through-chain", "{{.nope.deeper}}", "<no value>"),
    ("piped-missing-is-an-argument", '{{.nope | printf "%v"}} {{.nope | and 1}}', "<nil> <no value>"),
    ("builtins-always-there", '{{printf "%d" 1}}', "1"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in MORE], ids=[c[0] for c in MORE])
def test_more(text: str, want: str) -> None:
    assert render(text) == want


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
