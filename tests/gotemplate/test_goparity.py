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


def test_eq_compares_colours_by_identity() -> None:
    # stern's colours are *color.Color pointers: two made from the same SGR attributes are not equal.
    log = stern_log("hi", PodColor=Color((32,)), ContainerColor=Color((32,)))
    text = "{{eq .PodColor .ContainerColor}} {{ne .PodColor .ContainerColor}} {{eq .PodColor .PodColor}}"
    assert parse(text, PLAIN, "log").execute(log) == "false true true"
