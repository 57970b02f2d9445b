# ruff: noqa: E501  (tables of literal Go output lines)
"""Go text/template (Go 1.26, the toolchain stern is built with) behaviour checked case by case.

Expected values are derived from Go's text/template and fmt sources and stern's cmd.go, not from
pystern's output.  Data is stern's ``Log`` struct (``tests.gotemplate.sample.stern_log``).
"""

from __future__ import annotations

import pytest

from pystern.errors import TemplateExecError, TemplateParseError
from pystern.gotemplate import parse
from tests.gotemplate.sample import PLAIN, stern_log


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
