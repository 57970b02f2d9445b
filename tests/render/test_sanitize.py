"""Terminal-escape neutralising (issue 6, CVE-2021-25743 class)."""

from __future__ import annotations

import pytest

from pystern.model import Target
from pystern.options import ColorMode, OutputFormat
from pystern.render.sanitize import Sanitizer, escape_text
from tests.render.conftest import Make

TABLE = [
    ("osc title", b"\x1b]0;pwned\x07x", b"^[]0;pwned^Gx", b"^[]0;pwned^Gx"),
    ("csi cursor up", b"a\x1b[2Ab", b"a^[[2Ab", b"a^[[2Ab"),
    ("clear screen", b"\x1b[2J\x1b[H", b"^[[2J^[[H", b"^[[2J^[[H"),
    ("device query", b"\x1b[6n", b"^[[6n", b"^[[6n"),
    ("bell", b"ding\x07", b"ding^G", b"ding^G"),
    ("backspace overwrite", b"ok\x08\x08no", b"ok^H^Hno", b"ok^H^Hno"),
    ("carriage return mid-line", b"fake\rreal", b"fake^Mreal", b"fake^Mreal"),
    ("del", b"a\x7fb", b"a^?b", b"a^?b"),
    ("c1 csi utf8", b"a\xc2\x9b2Jb", b"a^[[2Jb", b"a^[[2Jb"),
    ("c1 osc utf8", b"\xc2\x9d0;t\xc2\x9c", b"^[]0;t^[\\", b"^[]0;t^[\\"),
    ("sgr colour", b"\x1b[32mgreen\x1b[0m", b"\x1b[32mgreen\x1b[0m", b"green"),
    ("sgr truecolour", b"\x1b[38;2;1;2;3mx\x1b[m", b"\x1b[38;2;1;2;3mx\x1b[m", b"x"),
    ("tab kept", b"a\tb", b"a\tb", b"a\tb"),
    ("utf8 kept", "héllo ✓".encode(), "héllo ✓".encode(), "héllo ✓".encode()),
    ("nul", b"a\x00b", b"a^@b", b"a^@b"),
]


@pytest.mark.parametrize(("name", "raw", "colour_on", "colour_off"), TABLE, ids=[t[0] for t in TABLE])
def test_sanitizer_table(name: str, raw: bytes, colour_on: bytes, colour_off: bytes) -> None:
    assert Sanitizer(keep_sgr=True)(raw + b"\n") == colour_on + b"\n"
    assert Sanitizer(keep_sgr=False)(raw + b"\n") == colour_off + b"\n"


def test_trailing_cr_is_kept() -> None:
    assert Sanitizer(keep_sgr=True)(b"windows line\r\n") == b"windows line\r\n"


def test_terminal_output_is_sanitised(make: Make, pod: Target) -> None:
    r = make(isatty=True, color=ColorMode.ALWAYS)
    out = r.emit(pod, b"\x1b]0;owned\x07 \x1b[32mok\x1b[0m")
    assert out.endswith(b" ^[]0;owned^G \x1b[32mok\x1b[0m\n")
    assert out.startswith(b"\x1b[95mnginx-7c5d-2xk9p\x1b[0m ")  # our own colours survive


def test_terminal_without_colour_strips_sgr(make: Make, pod: Target) -> None:
    r = make(isatty=True, color=ColorMode.NEVER)
    assert r.emit(pod, b"\x1b[31mred\x1b[0m\x1b[1A") == b"nginx-7c5d-2xk9p nginx red^[[1A\n"


def test_pipes_and_raw_bytes_pass_content_through(make: Make, pod: Target) -> None:
    evil = b"\x1b]0;t\x07\x1b[1A"
    assert make(isatty=False).emit(pod, evil).endswith(b" " + evil + b"\n")
    assert make(isatty=True, raw_bytes=True).emit(pod, evil).endswith(b" " + evil + b"\n")


def test_json_on_a_terminal_has_no_raw_escape(make: Make, pod: Target) -> None:
    for fmt in (OutputFormat.JSON, OutputFormat.EXTJSON, OutputFormat.PPEXTJSON):
        out = make(isatty=True, format=fmt).emit(pod, b"\x1b]0;t\x07")
        assert b"\x1b" not in out, fmt
        assert b"\x07" not in out, fmt


def test_extjson_embedded_json_with_cr_is_quoted_on_a_terminal(make: Make, pod: Target) -> None:
    out = make(isatty=True, format=OutputFormat.EXTJSON).emit(pod, b'{"a":\r1}')
    assert out.endswith(b'"message": "{\\"a\\":\\r1}"}\n')


def test_template_output_is_sanitised(make: Make, pod: Target) -> None:
    pytest.importorskip("pystern.gotemplate.template")
    r = make(isatty=True, template='{{with $d := parseJSON .Message}}{{$d.m}}{{end}}{{"\\n"}}')
    assert r.emit(pod, b'{"m":"\\u001b]0;x\\u0007"}') == b"^[]0;x^G\n"


def test_escape_text_for_notices() -> None:
    assert escape_text("bad\x1b[2Jthing\x07\ttab") == "bad^[[2Jthing^G\ttab"
