"""More Go text/template parity, case by case (expected values derived from Go 1.26's text/template).

Variables: Go's parser adds a declared variable to its list before it parses the pipeline, and checks
only that a name is in that list; the executor looks variables up by name when it runs, and pushes a
declared one after its pipeline is evaluated.  So ``{{$x := $x}}`` parses, and fails when it runs.
"""

from __future__ import annotations

from pystern.gotemplate import Color, parse
from tests.gotemplate.sample import PLAIN, stern_log


def test_eq_compares_colours_by_identity() -> None:
    # stern's colours are *color.Color pointers: two made from the same SGR attributes are not equal.
    log = stern_log("hi", PodColor=Color((32,)), ContainerColor=Color((32,)))
    text = "{{eq .PodColor .ContainerColor}} {{ne .PodColor .ContainerColor}} {{eq .PodColor .PodColor}}"
    assert parse(text, PLAIN, "log").execute(log) == "false true true"
