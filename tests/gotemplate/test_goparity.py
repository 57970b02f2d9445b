"""More Go text/template parity, case by case (expected values derived from Go 1.26's text/template):
variables, range elements, colour comparison, nested template calls.

Variables: Go's parser adds a declared variable to its list before it parses the pipeline, and checks
only that a name is in that list; the executor looks variables up by name when it runs, and pushes a
declared one after its pipeline is evaluated.  So ``{{$x := $x}}`` parses, and fails when it runs.
"""

from __future__ import annotations

import pytest

from pystern.errors import TemplateExecError
from pystern.gotemplate import Color, parse
from tests.gotemplate.sample import PLAIN, stern_log
from tests.gotemplate.test_gocompat import exec_error, run

VARIABLES = [
    ("declared-from-itself", "{{$x := $x}}", exec_error("1:8", "<$x>: undefined variable: $x")),
    ("declared-from-its-field", "{{$x := $x.a}}", exec_error("1:10", "<$x.a>: undefined variable: $x")),
    (
        "with-declared-from-itself",
        "{{with $x := $x}}{{end}}",
        exec_error("1:13", "<$x>: undefined variable: $x"),
    ),
    ("shadowing-reads-the-outer-one", "{{$x := 1}}{{$x := $x}}{{$x}}", "1"),
    ("shadowing-in-if-reads-the-outer-one", "{{$x := 2}}{{if true}}{{$x := $x}}{{$x}}{{end}}", "2"),
    ("assigning-an-undeclared-variable", "{{$x = 1}}", exec_error("1:7", "<1>: undefined variable: $x")),
    ("assigned-name-is-known-later", "{{if false}}{{$x = 1}}{{$x}}{{end}}ok", "ok"),
    (
        "declared-in-a-range-from-itself",
        "{{range $x := $x}}{{end}}",
        exec_error("1:14", "<$x>: undefined variable: $x"),
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in VARIABLES], ids=[c[0] for c in VARIABLES])
def test_variables_are_checked_when_they_run(text: str, want: str) -> None:
    assert run(text) == want


# Ranging over a []interface{} or map[string]interface{} gives elements of static type interface {}:
# Go names that type when a field of one cannot be evaluated (evalField reports receiver.Type()).
RANGE_ELEMENTS = [
    (
        "list-element",
        '{{range (parseJSON `{"a":["s"]}`).a}}{{.x}}{{end}}',
        exec_error("1:39", "<.x>: can't evaluate field x in type interface {}"),
    ),
    (
        "map-element-variable",
        '{{range $k, $v := parseJSON `{"a":1}`}}{{$v.x}}{{end}}',
        exec_error("1:43", "<$v.x>: can't evaluate field x in type interface {}"),
    ),
    (
        "list-element-with-argument",
        '{{range (parseJSON `{"a":["s"]}`).a}}{{.x 1}}{{end}}',
        exec_error("1:39", "<.x>: can't evaluate field x in type interface {}"),
    ),
    (
        "key-is-typed",
        '{{range $k, $v := parseJSON `{"a":1}`}}{{$k.x}}{{end}}',
        exec_error("1:43", "<$k.x>: can't evaluate field x in type string"),
    ),
    (
        "label-value-is-typed",
        "{{range .Labels}}{{.x}}{{end}}",
        exec_error("1:19", "<.x>: can't evaluate field x in type string"),
    ),
    (
        "with-digs-the-value-out",
        '{{range (parseJSON `{"a":["s"]}`).a}}{{with .}}{{.x}}{{end}}{{end}}',
        exec_error("1:49", "<.x>: can't evaluate field x in type string"),
    ),
    (
        "template-argument-is-dug-out",
        '{{define "t"}}{{.x}}{{end}}{{range (parseJSON `{"a":["s"]}`).a}}{{template "t" .}}{{end}}',
        exec_error("1:16", "<.x>: can't evaluate field x in type string").replace('"log"', '"t"'),
    ),
    (
        "else-dot-is-the-outer-one",
        '{{range (parseJSON `{"a":[]}`).a}}{{else}}{{.Message.x}}{{end}}',
        exec_error("1:52", "<.Message.x>: can't evaluate field x in type string"),
    ),
    (
        "outer-element-in-an-inner-range",
        '{{range $e := (parseJSON `{"a":["s"]}`).a}}{{range $.Labels}}{{$e.x}}{{end}}{{end}}',
        exec_error("1:65", "<$e.x>: can't evaluate field x in type interface {}"),
    ),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in RANGE_ELEMENTS], ids=[c[0] for c in RANGE_ELEMENTS]
)
def test_range_elements_are_interfaces(text: str, want: str) -> None:
    assert run(text) == want


# text/template prints an action's value, and the arguments of html, js and urlquery, after
# printableValue, which follows a pointer: stern's *color.Color prints as the struct it points to
# (fatih/color's Color{params, noColor}); print and printf get the pointer itself.
COLOUR_PRINTING = [
    ("action", "{{.PodColor}}", "{[31] <nil>}"),
    ("with-dot", "{{with .PodColor}}{{.}}{{end}}", "{[31] <nil>}"),
    ("html", "{{html .PodColor}}", "{[31] &lt;nil&gt;}"),
    ("html-of-two", '{{html .PodColor "x" .ContainerColor}}', "{[31] &lt;nil&gt;}x{[34] &lt;nil&gt;}"),
    ("print", "{{print .PodColor}}", "&{[31] <nil>}"),
    ("printf", '{{printf "%v" .PodColor}}', "&{[31] <nil>}"),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in COLOUR_PRINTING], ids=[c[0] for c in COLOUR_PRINTING]
)
def test_colours_print_as_go_prints_them(text: str, want: str) -> None:
    assert run(text) == want


# len and index follow a pointer (Go's indirect) before they name its type; slice does not.
COLOUR_ARGUMENTS = [
    ("len", "{{len .PodColor}}", "<len .PodColor>: error calling len: len of type color.Color"),
    (
        "index",
        "{{index .PodColor 0}}",
        "<index .PodColor 0>: error calling index: can't index item of type color.Color",
    ),
    (
        "slice",
        "{{slice .PodColor 0}}",
        "<slice .PodColor 0>: error calling slice: can't slice item of type *color.Color",
    ),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in COLOUR_ARGUMENTS], ids=[c[0] for c in COLOUR_ARGUMENTS]
)
def test_len_and_index_name_what_a_colour_points_to(text: str, want: str) -> None:
    assert run(text) == exec_error("1:2", want)


def test_eq_compares_colours_by_identity() -> None:
    # stern's colours are *color.Color pointers: two made from the same SGR attributes are not equal.
    log = stern_log("hi", PodColor=Color((32,)), ContainerColor=Color((32,)))
    text = "{{eq .PodColor .ContainerColor}} {{ne .PodColor .ContainerColor}} {{eq .PodColor .PodColor}}"
    assert parse(text, PLAIN, "log").execute(log) == "false true true"


def _chain(links: int) -> dict[str, object]:
    """``{"n": {"n": ... {"end": true}}}`` with ``links`` maps under the top one."""
    top: dict[str, object] = {}
    node = top
    for _ in range(links):
        node["n"] = node = {}
    node["end"] = True
    return top


# Each call goes one map down: "r" runs once per map, at depths 1 to links + 1.
WALK = '{{define "r"}}{{with .n}}{{template "r" .}}{{end}}{{end}}{{template "r" .}}ok'


def test_template_calls_nest_as_deep_as_gos_limit() -> None:
    # Go runs a template at depth 100000 (maxExecDepth) and refuses a call from there.
    assert parse(WALK, PLAIN, "log").execute(_chain(99_999)) == "ok"


def test_a_call_past_gos_limit_fails_with_gos_error() -> None:
    with pytest.raises(TemplateExecError) as info:
        parse(WALK, PLAIN, "log").execute(_chain(100_000))
    assert str(info.value) == (
        'template: log:1:36: executing "r" at <{{template "r" .}}>: exceeded maximum template depth (100000)'
    )


def test_templates_calling_each_other_nest_deeper_than_pythons_stack() -> None:
    text = '{{define "a"}}{{with .n}}{{template "b" .}}{{end}}{{end}}{{define "b"}}{{template "a" .}}{{end}}'
    assert parse(text + '{{template "a" .}}ok', PLAIN, "log").execute(_chain(3000)) == "ok"
