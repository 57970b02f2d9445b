"""A Go ``text/template`` implementation with stern's function table.

``parse(text, funcs=STERN_FUNCS, name=...)`` returns a :class:`Template`; ``Template.execute(data)``
renders a mapping.  See the README section "Templates" for the language and the functions.
"""

from pystern.gotemplate.jsonenc import go_json_dumps, go_json_indent
from pystern.gotemplate.sternfuncs import STERN_FUNCS, stern_funcs
from pystern.gotemplate.template import Template, parse
from pystern.gotemplate.values import MISSING, Color, GoTime, JsonNumber, NilMap, StringMap, Struct

__all__ = [
    "MISSING",
    "STERN_FUNCS",
    "Color",
    "GoTime",
    "JsonNumber",
    "NilMap",
    "StringMap",
    "Struct",
    "Template",
    "go_json_dumps",
    "go_json_indent",
    "parse",
    "stern_funcs",
]
