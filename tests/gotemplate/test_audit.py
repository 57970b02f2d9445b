"""Go text/template and fmt corners found in a conformance audit (Go 1.26, stern's toolchain).

Each expected value is reasoned from Go's sources (text/template's exec.go and funcs.go, fmt's
print.go and format.go), not taken from pystern's output.
"""

from __future__ import annotations

import re

import pytest

from tests.gotemplate.test_gocompat import exec_error, run

# html, js and urlquery format their arguments with text/template's evalArgs: each one goes through
# printableValue first, which turns a nil interface into the string "<no value>" (so fmt.Sprint then
# sees a string, and puts no space beside it).  print and printf get the nil itself: "<nil>".
ESCAPER_NILS = [
    ("html-nil-literal", "{{html nil}}", "&lt;no value&gt;"),
    ("html-missing-key", '{{html (parseJSON "{}").x}}', "&lt;no value&gt;"),
    ("html-json-null", '{{html (parseJSON `{"a":null}`).a}}', "&lt;no value&gt;"),
    ("piped-missing-key", '{{(parseJSON "{}").x | urlquery}}', "%3Cno+value%3E"),
    ("js-nil-beside-a-number", "{{js nil 1}}", "\\u003Cno value\\u003E1"),
    ("urlquery-string-and-nil", '{{urlquery "a" nil}}', "a%3Cno+value%3E"),
    ("nil-inside-a-list-stays-nil", '{{html (parseJSON `{"a":[1,null]}`).a}}', "[1 &lt;nil&gt;]"),
    ("print-keeps-nil", "{{print nil 1}}", "<nil> 1"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in ESCAPER_NILS], ids=[c[0] for c in ESCAPER_NILS])
def test_escapers_print_a_nil_argument_as_no_value(text: str, want: str) -> None:
    assert run(text) == want


# fmt reads a directive as doPrintf does: "%[n]" must hold a number from 1 to the argument count,
# and an index followed by a width or a precision ("%[2]5d", "%[1].2f") is a bad index too; "." at
# the end of the format is not a precision but the verb; a width or precision past a million is not
# a number (parsenum gives up), which leaves no verb.
DIRECTIVES = [
    ("index-zero", '{{printf "%[0]d" 1}}', "%!d(BADINDEX)"),
    ("index-not-a-number", '{{printf "%[x]d" 1}}', "%!d(BADINDEX)"),
    ("index-negative", '{{printf "%[-1]d" 1}}', "%!d(BADINDEX)"),
    ("index-then-width", '{{printf "%[2]5d" 1 2}}', "%!d(BADINDEX)"),
    ("index-then-precision", '{{printf "%[1].2f" 3.14159}}', "%!f(BADINDEX)"),
    ("index-then-star-width", '{{printf "%[1]*d" 5 3}}', "    3"),
    ("star-then-index", '{{printf "%[2]*[1]d" 1 5}}', "    1"),
    ("index-at-the-end", '{{printf "%[1]" 1}}', "%!(NOVERB)"),
    ("dot-at-the-end-is-the-verb", '{{printf "%." 1}}', "%!.(int=1)"),
    ("lone-dot-without-argument", '{{printf "%."}}', "%!.(MISSING)"),
    ("huge-width", '{{printf "%99999999999d|" 1}}', "%!(NOVERB)%!(EXTRA int=1)"),
    ("huge-precision", '{{printf "%.99999999999f" 1.5}}', "%!(NOVERB)%!(EXTRA float64=1.5)"),
    ("huge-star-width", '{{printf "%*d" 10000000 1}}', "%!(BADWIDTH)1"),
    ("percent-ignores-width", '{{printf "%5%"}}', "%"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in DIRECTIVES], ids=[c[0] for c in DIRECTIVES])
def test_printf_reads_directives_as_go_does(text: str, want: str) -> None:
    assert run(text) == want


# A verb that does not fit its operand prints "%!verb(type=value)", and fmt prints that value with
# the directive's own width, precision and flags (badVerb calls printArg(arg, 'v') without
# clearing them).
BAD_VERBS = [
    ("width", '{{printf "%5d|" "x"}}', "%!d(string=    x)|"),
    ("left-width", '{{printf "%-5t|" 3}}', "%!t(int=3    )|"),
    ("precision-cuts-a-string", '{{printf "%.2d" "xyz"}}', "%!d(string=xy)"),
    ("width-and-precision", '{{printf "%5.1d" "xyz"}}', "%!d(string=    x)"),
    ("plus", '{{printf "%+s" 5}}', "%!s(int=+5)"),
    ("width-before-a-dot-verb", '{{printf "%5." 1}}', "%!.(int=    1)"),
    ("inside-a-list", '{{printf "%4s" (parseJSON `{"a":[1]}`).a}}', "[%!s(float64=   1)]"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in BAD_VERBS], ids=[c[0] for c in BAD_VERBS])
def test_a_bad_verb_prints_its_operand_with_the_directives_flags(text: str, want: str) -> None:
    assert run(text) == want


# Inside a map or a slice a nil element is an interface with nothing in it: fmt writes "<nil>" as
# it is, whatever the verb, with no padding (printValue's Interface case).
NESTED_NILS = [
    ("d-in-a-list", '{{printf "%d" (parseJSON `{"a":[1,null]}`).a}}', "[%!d(float64=1) <nil>]"),
    ("width-in-a-list", '{{printf "%6v|" (parseJSON `{"a":[1,null]}`).a}}', "[     1 <nil>]|"),
    ("x-in-a-map", '{{printf "%x" (parseJSON `{"n":null}`)}}', "map[6e:<nil>]"),
    ("s-in-a-map", '{{printf "%s" (parseJSON `{"n":null}`)}}', "map[n:<nil>]"),
    ("top-level-nil-is-still-a-bad-verb", '{{printf "%d" nil}}', "%!d(<nil>)"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in NESTED_NILS], ids=[c[0] for c in NESTED_NILS])
def test_a_nil_element_prints_as_nil_for_every_verb(text: str, want: str) -> None:
    assert run(text) == want


# %b of a float is strconv's binary exponent form: the 53-bit mantissa as an integer, "p", and the
# power of two.
FLOAT_B = [
    ("one", '{{printf "%b" 1.0}}', "4503599627370496p-52"),
    ("negative-half", '{{printf "%b" -0.5}}', "-4503599627370496p-53"),
    ("zero", '{{printf "%b" 0.0}}', "0p-1074"),
    ("smallest-denormal", '{{printf "%b" 5e-324}}', "1p-1074"),
    ("plus-and-width", '{{printf "%+24b|" 1.0}}', "   +4503599627370496p-52|"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in FLOAT_B], ids=[c[0] for c in FLOAT_B])
def test_b_verb_formats_a_float(text: str, want: str) -> None:
    assert run(text) == want


# len follows pointers and interfaces (indirect) but not an invalid value: Go's length then asks the
# invalid value for its type, reflect panics, and the call fails with reflect's message.  An
# untyped nil, a missing key, and anything that went through a pipeline or a variable (where a nil
# interface is dug out to an invalid value) get there; a JSON null read straight from its map is
# still a nil interface: "len of nil pointer".
ZERO_VALUE = "reflect: call of reflect.Value.Type on zero Value"
LEN_OF_NOTHING = [
    ("nil-literal", "{{len nil}}", "1:2", "<len nil>", ZERO_VALUE),
    ("missing-key", '{{len (parseJSON "{}").x}}', "1:2", '<len (parseJSON "{}").x>', ZERO_VALUE),
    ("piped-null", '{{(parseJSON `{"a":null}`).a | len}}', "1:31", "<len>", ZERO_VALUE),
    (
        "variable-holding-null",
        '{{$x := (parseJSON `{"a":null}`).a}}{{len $x}}',
        "1:38",
        "<len $x>",
        ZERO_VALUE,
    ),
    (
        "null-from-its-map",
        '{{len (parseJSON `{"a":null}`).a}}',
        "1:2",
        '<len (parseJSON `{"a":null}`).a>',
        "len of nil pointer",
    ),
]


@pytest.mark.parametrize(
    ("text", "at", "where", "why"), [c[1:] for c in LEN_OF_NOTHING], ids=[c[0] for c in LEN_OF_NOTHING]
)
def test_len_of_an_invalid_value_fails_as_go_does(text: str, at: str, where: str, why: str) -> None:
    assert run(text) == exec_error(at, f"{where}: error calling len: {why}")


# strconv.Unquote: \x and octal escapes in a string are single bytes, kept as they are even when they
# are not UTF-8 (the output carries the byte); in a rune constant they are the code point itself; an
# octal escape above \377 is a syntax error.
BYTE_ESCAPES = [
    ("hex-rune", "{{'\\x80'}}", "128"),
    ("octal-rune", "{{'\\377'}}", "255"),
    ("lone-byte-length", '{{len "\\x80"}}', "1"),
    ("cut-sequence-length", '{{len "\\xe2\\x82"}}', "2"),
    ("quoted-byte", '{{printf "%q" "\\xff"}}', '"\\xff"'),
    ("whole-sequence", '{{"\\xe2\\x82\\xac"}}', "€"),
    ("octal-string-too-big", '{{"\\400"}}', "ERR template: log:1: invalid syntax"),
    ("octal-rune-too-big", "{{'\\400'}}", "ERR template: log:1: invalid syntax"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in BYTE_ESCAPES], ids=[c[0] for c in BYTE_ESCAPES])
def test_byte_escapes_are_bytes(text: str, want: str) -> None:
    assert run(text) == want


def test_a_byte_escape_reaches_the_output_as_that_byte() -> None:
    from pystern.gotemplate import parse
    from tests.gotemplate.sample import PLAIN, stern_log

    text = parse('{{"a\\xffb"}}', PLAIN, "log").execute(stern_log("hi"))
    assert text.encode("utf-8", "surrogateescape") == b"a\xffb"


# Go's lexer scans a number loosely (digits and "_" of its base, a fraction, an exponent, a final
# "i") and leaves the value to the parser, which calls what it cannot read "illegal"; a number
# followed at once by "+" or "-" is the start of a complex constant, "bad" unless it ends in "i".
NUMBER_SCANS = [
    ("sign-after-a-number", "{{3-}}", 'bad number syntax: "3-"'),
    ("subtraction", "{{1-1}}", 'bad number syntax: "1-1"'),
    ("subtraction-then-letter", "{{1-1x}}", 'bad number syntax: "1-1x"'),
    ("hex-then-sign", "{{0x1e+3}}", 'bad number syntax: "0x1e+3"'),
    ("exponent-without-digits", "{{1e}}", 'illegal number syntax: "1e"'),
    ("prefix-without-digits", "{{0b}}", 'illegal number syntax: "0b"'),
    ("letter-after-a-number", "{{3x}}", 'bad number syntax: "3x"'),
]


@pytest.mark.parametrize(("text", "why"), [c[1:] for c in NUMBER_SCANS], ids=[c[0] for c in NUMBER_SCANS])
def test_numbers_are_scanned_as_go_scans_them(text: str, why: str) -> None:
    assert run(text) == f"ERR template: log:1: {why}"


def test_a_complex_constant_is_read_whole_and_refused() -> None:
    # Go would print (1+2i); pystern does not support complex numbers (README), but names the constant.
    assert run("{{1+2i}}") == "ERR template: log:1: complex numbers are not supported: 1+2i"


# The parser reads a number with strconv (ParseUint, ParseInt, then ParseFloat): "_" only between
# digits (or after a base prefix), a hex fraction needs its "p" exponent, and a decimal integer with a
# leading zero that is not octal parses only as a float that "looks like an integer", which Go calls
# an integer overflow.
NUMBER_VALUES = [
    ("double-underscore", "{{1__0}}", 'ERR template: log:1: illegal number syntax: "1__0"'),
    ("underscore-before-a-point", "{{1_.5}}", 'ERR template: log:1: illegal number syntax: "1_.5"'),
    ("trailing-underscore", "{{1_}}", 'ERR template: log:1: illegal number syntax: "1_"'),
    ("underscore-after-a-prefix", "{{0x_1F}}", "31"),
    ("underscores-in-a-float", "{{1_000.5}}", "1000.5"),
    ("octal-with-an-eight", "{{08}}", 'ERR template: log:1: integer overflow: "08"'),
    ("octal-still-octal", "{{017}}", "15"),
    ("hex-fraction-without-exponent", "{{0x1.8}}", 'ERR template: log:1: illegal number syntax: "0x1.8"'),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in NUMBER_VALUES], ids=[c[0] for c in NUMBER_VALUES])
def test_numbers_are_read_as_strconv_reads_them(text: str, want: str) -> None:
    assert run(text) == want


# An {{else}} that ends a define or block body is reported with the clause it ended.
CLAUSE_ELSE = [
    ("define", '{{define "a"}}{{else}}{{end}}', "unexpected {{else}} in define clause"),
    ("block", '{{block "a" .}}{{else}}{{end}}', "unexpected {{else}} in block clause"),
    ("define-else-if", '{{define "a"}}x{{else if 1}}{{end}}{{end}}', "unexpected {{else}} in define clause"),
]


@pytest.mark.parametrize(("text", "why"), [c[1:] for c in CLAUSE_ELSE], ids=[c[0] for c in CLAUSE_ELSE])
def test_else_in_a_definition_names_the_clause(text: str, why: str) -> None:
    assert run(text) == f"ERR template: log:1: {why}"


# %#v asks for Go syntax: a time.Time has a GoString method (time.Date(...)); time.Month and
# time.Weekday have only String, which %#v does not use, so they print as their integer; a byte
# (uint8, from index of a string) prints in hex.  %x and %X do use String.
T = '(toUTC "2024-03-05T07:08:09.5Z")'
GO_SYNTAX = [
    ("time", f'{{{{printf "%#v" {T}}}}}', "time.Date(2024, time.March, 5, 7, 8, 9, 500000000, time.UTC)"),
    ("month", f'{{{{printf "%#v" {T}.Month}}}}', "3"),
    ("weekday", f'{{{{printf "%#v" {T}.Weekday}}}}', "2"),
    ("byte", '{{printf "%#v" (index "a" 0)}}', "0x61"),
    ("month-hex-uses-string", f'{{{{printf "%x" {T}.Month}}}}', "4d61726368"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in GO_SYNTAX], ids=[c[0] for c in GO_SYNTAX])
def test_go_syntax_of_typed_values(text: str, want: str) -> None:
    assert run(text) == want


# %#v of stern's Log struct: Go syntax names each field, unquoted, in declaration order; the colour
# fields are pointers inside a struct, printed as (*color.Color)(0x...) with an address that differs
# from run to run.  At the top level a pointer to a struct prints as &color.Color{...}.
def test_go_syntax_of_the_log_struct() -> None:
    got = run('{{printf "%#v" .}}')
    pointer = r"\(\*color\.Color\)\(0x[0-9a-f]+\)"
    assert re.fullmatch(
        r'stern\.Log\{Message:"hi", Timestamp:"", NodeName:"node1", Namespace:"ns1", PodName:"pod1", '
        r'ContainerName:"container1", Labels:map\[string\]string\{"app":"nginx", "env":"prod"\}, '
        r'Annotations:map\[string\]string\{"version":"1\.23\.4"\}, '
        rf"PodColor:{pointer}, ContainerColor:{pointer}\}}",
        got,
    ), got


def test_go_syntax_of_a_colour() -> None:
    want = "&color.Color{params:[]color.Attribute{31}, noColor:(*bool)(nil)}"
    assert run('{{printf "%#v" .PodColor}}') == want


# An integer parameter (colorCustom's color.Attribute) takes a constant Go's parser marked IsInt: a
# rune constant is one ('a' is 97); a constant beyond int64 is not, even when it is integral.
INTEGER_ARGUMENTS = [
    ("rune", "{{colorCustom \"x\" 'a'}}", "x"),
    (
        "past-int64",
        '{{colorCustom "x" 9223372036854775808}}',
        exec_error("1:18", "<9223372036854775808>: expected integer; found 9223372036854775808"),
    ),
    (
        "float-past-int64",
        '{{colorCustom "x" 1e19}}',
        exec_error("1:18", "<1e19>: expected integer; found 1e19"),
    ),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in INTEGER_ARGUMENTS], ids=[c[0] for c in INTEGER_ARGUMENTS]
)
def test_integer_parameters_take_what_go_calls_an_integer(text: str, want: str) -> None:
    assert run(text) == want


# "#" with a float verb keeps the decimal point, and for %g (and %v) the trailing zeros up to the
# precision (6 when none is given), as fmt's fmtFloat restores them after strconv.
SHARP_FLOATS = [
    ("g-integral", '{{printf "%#g" 1.0}}', "1.00000"),
    ("g-zero", '{{printf "%#g" 0.0}}', "0.00000"),
    ("g-small", '{{printf "%#g" 0.001}}', "0.00100000"),
    ("g-exponent", '{{printf "%#g" 1e21}}', "1.00000e+21"),
    ("g-long", '{{printf "%#g" 123456789.0}}', "1.23456789e+08"),
    ("g-precision", '{{printf "%#.3g" 2.0}}', "2.00"),
    ("e-no-digits", '{{printf "%#.0e" 2.0}}', "2.e+00"),
    ("f-no-digits", '{{printf "%#.0f" 2.0}}', "2."),
    ("bad-verb-value", '{{printf "%#d" 1.5}}', "%!d(float64=1.50000)"),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in SHARP_FLOATS], ids=[c[0] for c in SHARP_FLOATS])
def test_sharp_flag_keeps_a_floats_point_and_zeros(text: str, want: str) -> None:
    assert run(text) == want


# Go quotes template names with %q (strconv.Quote), so a control character in a name is escaped
# and the error stays on one line.
QUOTED_NAMES = [
    (
        "executing",
        '{{define "x\\ny"}}{{.Foo}}{{end}}{{template "x\\ny" .}}',
        'template: log:1:19: executing "x\\ny" at <.Foo>: can\'t evaluate field Foo in type stern.Log',
    ),
    (
        "not-defined",
        '{{template "x\\ny"}}',
        'template: log:1:11: executing "log" at <{{template "x\\ny"}}>: template "x\\ny" not defined',
    ),
    (
        "defined-twice",
        '{{define "a\\tb"}}x{{end}}{{define "a\\tb"}}y{{end}}',
        'template: log:1: template: multiple definition of template "a\\tb"',
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in QUOTED_NAMES], ids=[c[0] for c in QUOTED_NAMES])
def test_template_names_are_quoted_as_go_quotes_them(text: str, want: str) -> None:
    assert run(text) == "ERR " + want


# fmt prints a pointer as "&" + what it points to only at the top level; a pointer inside a struct
# is its address (printValue's depth rule, "avoid loops").  So stern's Log prints its colours as
# addresses, which differ from run to run; the struct's other fields print as they are.
ADDRESS = "0x[0-9a-f]+"
FIELDS = r"hi  node1 ns1 pod1 container1 map\[app:nginx env:prod\] map\[version:1\.23\.4\]"
NAMED = (
    r"Message:hi Timestamp: NodeName:node1 Namespace:ns1 PodName:pod1 ContainerName:container1 "
    r"Labels:map\[app:nginx env:prod\] Annotations:map\[version:1\.23\.4\]"
)
STRUCT_POINTERS = [
    ("action", "{{.}}", rf"\{{{FIELDS} {ADDRESS} {ADDRESS}\}}"),
    ("printf-v", '{{printf "%v" .}}', rf"\{{{FIELDS} {ADDRESS} {ADDRESS}\}}"),
    ("print", "{{print .}}", rf"\{{{FIELDS} {ADDRESS} {ADDRESS}\}}"),
    ("printf-plus-v", '{{printf "%+v" .}}', rf"\{{{NAMED} PodColor:{ADDRESS} ContainerColor:{ADDRESS}\}}"),
    ("top-level-pointer-is-followed", '{{printf "%v" .PodColor}}', r"&\{\[31\] <nil>\}"),
]


@pytest.mark.parametrize(
    ("text", "pattern"), [c[1:] for c in STRUCT_POINTERS], ids=[c[0] for c in STRUCT_POINTERS]
)
def test_a_pointer_inside_a_struct_prints_as_an_address(text: str, pattern: str) -> None:
    from pystern.gotemplate import parse
    from tests.gotemplate.sample import PLAIN, stern_log

    # pystern's own .Context field is not part of stern's struct: fmt does not print it.
    got = parse(text, PLAIN, "log").execute(stern_log("hi", Context="ctx"))
    assert re.fullmatch(pattern, got), got
    log = stern_log("hi")
    # The same colour is the same pointer on every line.
    assert parse(text, PLAIN, "log").execute(log) == parse(text, PLAIN, "log").execute(log)


def test_a_template_nested_past_pythons_stack_is_refused_cleanly() -> None:
    # Go nests if/with/range without limit; pystern's parser and compiler recurse per level, and a
    # template nested deeper than Python's stack allows must still fail as one clean parse error.
    from pystern.errors import TemplateParseError
    from pystern.gotemplate import parse
    from tests.gotemplate.sample import PLAIN

    # Where parsing stops fitting and where compiling does depends on the stack already in use, so
    # walk through the depths around both.
    for depth in [*range(100, 700, 7), 2000]:
        text = "{{if 1}}" * depth + "x" + "{{end}}" * depth
        failures: list[str] = []
        try:
            parse(text, PLAIN, "log")
        except TemplateParseError as exc:
            failures.append(str(exc))
        assert all(f.startswith("template: log: cannot parse template: ") for f in failures), failures


def test_line_numbers_are_counted_once_through_the_text() -> None:
    # The lexer asks for the line of each token in turn; counting from the start each time made a
    # template of many actions quadratic to parse (a 500 kB one took 20 s).
    from pystern.gotemplate.lexer import LineCounter, lex

    text = "x\n{{1}}" * 3 + "{{2}}" * 1000
    lines = LineCounter(text)
    assert [lines.at(p) for p in (0, 1, 2, 4, 9, 18, len(text))] == [1, 1, 2, 2, 3, 4, 4]
    assert lines.scanned == len(text)
    assert lines.at(3) == 2  # a position behind the last one is counted afresh
    toks = lex(text, "log")
    assert [t.line for t in toks if t.kind == "number"][:4] == [2, 3, 4, 4]


# time.Time is a Stringer: %q, %x and %X format its String() text, as %v and %s do.
def test_a_time_is_quoted_and_hexed_through_its_string() -> None:
    t = '(toUTC "2024-03-05T07:08:09Z")'
    assert run(f'{{{{printf "%q" {t}}}}}') == '"2024-03-05 07:08:09 +0000 UTC"'
    assert (
        run(f'{{{{printf "%.4x|%X" {t} (toUTC "1970-01-01T00:00:00Z")}}}}')
        == "32303234|" + b"1970-01-01 00:00:00 +0000 UTC".hex().upper()
    )


# spf13/cast v1.10.0 (stern's) knows "3:04PM" and the Stamp layouts as times of day, but not
# "15:04:05": such a string is not a date.
def test_a_bare_clock_time_is_not_a_date() -> None:
    assert run('{{toRFC3339Nano "12:34:56"}}') == "0001-01-01T00:00:00Z"
    assert run('{{toTimestamp "12:34:56" "15:04"}}') == exec_error(
        "1:2", '<toTimestamp "12:34:56" "15:04">: error calling toTimestamp: unable to parse date: 12:34:56'
    )
    assert run('{{toRFC3339Nano "3:04PM"}}') == "0000-01-01T15:04:00Z"


# time.Parse checks a weekday name against the day names (ignoring case), though not against the
# date; a string with another word there matches no layout of cast's list.
WEEKDAYS = [
    ("unknown-short", "Xyz, 05 Mar 2024 07:08:09 +0000", "0001-01-01T00:00:00Z"),
    ("unknown-long", "Someday, 05-Mar-24 07:08:09 UTC", "0001-01-01T00:00:00Z"),
    ("unknown-ansic", "Xyz Mar  5 07:08:09 2024", "0001-01-01T00:00:00Z"),
    ("any-case", "tue, 05 mar 2024 07:08:09 +0000", "2024-03-05T07:08:09Z"),
    ("wrong-day-of-the-date", "Sun, 05 Mar 2024 07:08:09 +0000", "2024-03-05T07:08:09Z"),
    ("long", "TUESDAY, 05-Mar-24 07:08:09 UTC", "2024-03-05T07:08:09Z"),
]


@pytest.mark.parametrize(("value", "want"), [c[1:] for c in WEEKDAYS], ids=[c[0] for c in WEEKDAYS])
def test_weekday_names_are_checked(value: str, want: str) -> None:
    assert run(f'{{{{toRFC3339Nano "{value}"}}}}') == want


# time.Parse's zones: a numeric offset may reach 24 hours and 60 minutes ("+05:60" is +06:00) but
# no more; a zone name is UTC, GMT with an hour, +hh, three capitals, or four or five ending in T.
ZONES = [
    ("offset-past-24h", "2024-03-05T07:08:09+99:00", "0001-01-01T00:00:00Z"),
    ("sixty-minutes", "2024-03-05T07:08:09+05:60", "2024-03-05T07:08:09+06:00"),
    ("four-capitals", "2024-03-05 07:08:09.5 +0900 ABCD", "0001-01-01T00:00:00Z"),
    ("four-capitals-ending-in-t", "Tue Mar  5 07:08:09 CEST 2024", "2024-03-05T07:08:09Z"),
    ("signed-hours-name", "2024-03-05 07:08:09.5 +0900 +09", "2024-03-05T07:08:09.5+09:00"),
    ("signed-long-name", "2024-03-05 07:08:09.5 +0900 +0900", "0001-01-01T00:00:00Z"),
    ("gmt-with-hours", "Tue Mar  5 07:08:09 GMT+1 2024", "2024-03-05T07:08:09Z"),
]


@pytest.mark.parametrize(("value", "want"), [c[1:] for c in ZONES], ids=[c[0] for c in ZONES])
def test_zones_are_read_as_time_parse_reads_them(value: str, want: str) -> None:
    assert run(f'{{{{toRFC3339Nano "{value}"}}}}') == want


def test_an_offset_out_of_range_is_not_a_date() -> None:
    value = "2024-03-05T07:08:09+99:00"
    assert run(f'{{{{toTimestamp "{value}" "2006"}}}}') == exec_error(
        "1:2", f'<toTimestamp "{value}" "2006">: error calling toTimestamp: unable to parse date: {value}'
    )


# encoding/json replaces each invalid UTF-8 byte inside a JSON string with U+FFFD when it decodes
# (a log line's undecodable bytes reach the template as surrogate escapes).
def test_json_decoding_replaces_invalid_bytes_in_strings() -> None:
    from pystern.gotemplate import parse
    from tests.gotemplate.sample import PLAIN, stern_log

    message = b'{"k":"a\xffb","\xfe":1}'.decode("utf-8", "surrogateescape")

    def render(text: str) -> bytes:
        return parse(text, PLAIN, "log").execute(stern_log(message)).encode("utf-8", "surrogateescape")

    assert render('{{(tryParseJSON .Message).k | printf "%q"}}') == '"a\ufffdb"'.encode()
    assert render("{{len (parseJSON .Message).k}}") == b"5"
    assert render("{{range $k, $v := parseJSON .Message}}{{$k}};{{end}}") == "k;\ufffd;".encode()
    assert render("{{prettyJSON .Message}}") == '{\n  "k": "a\ufffdb",\n  "\ufffd": 1\n}'.encode()
