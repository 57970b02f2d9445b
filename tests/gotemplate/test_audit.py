"""Go text/template and fmt corners found in a conformance audit (Go 1.26, stern's toolchain).

Each expected value is reasoned from Go's sources (text/template's exec.go and funcs.go, fmt's
print.go and format.go), not taken from pystern's output.
"""

from __future__ import annotations

import pytest

from tests.gotemplate.test_gocompat import run

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
