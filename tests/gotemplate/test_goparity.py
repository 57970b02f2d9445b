"""More Go text/template parity, case by case (expected values derived from Go 1.26's text/template).

Variables: Go's parser adds a declared variable to its list before it parses the pipeline, and checks
only that a name is in that list; the executor looks variables up by name when it runs, and pushes a
declared one after its pipeline is evaluated.  So ``{{$x := $x}}`` parses, and fails when it runs.
"""

from __future__ import annotations

import pytest

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


def test_eq_compares_colours_by_identity() -> None:
    # stern's colours are *color.Color pointers: two made from the same SGR attributes are not equal.
    log = stern_log("hi", PodColor=Color((32,)), ContainerColor=Color((32,)))
    text = "{{eq .PodColor .ContainerColor}} {{ne .PodColor .ContainerColor}} {{eq .PodColor .PodColor}}"
    assert parse(text, PLAIN, "log").execute(log) == "false true true"
