"""The bytes fast path of the JSON format agrees with the ``str`` route (Go's escaping) byte for byte."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.model import Target
from pystern.options import ColorMode, Output, OutputFormat, TimestampFormat
from pystern.render import build_sink, jsonbatch
from pystern.render.jsonbatch import escape_lines, escape_many, json_lines
from pystern.render.jsontext import quote
from tests.render.conftest import TS

REST = b',"podName":"p"}\n'
ORJSON = jsonbatch._dumps
ROUTES = ["bytes", "orjson"] if ORJSON is not None else ["bytes"]


@contextlib.contextmanager
def route(name: str) -> Iterator[None]:
    """Force one of the two fast routes (orjson is optional; the bytes route always exists)."""
    saved = jsonbatch._dumps
    jsonbatch._dumps = ORJSON if name == "orjson" else None
    try:
        yield
    finally:
        jsonbatch._dumps = saved


def _reference(messages: list[bytes]) -> list[bytes]:
    """One message at a time through the str encoder and Go's fix-ups."""
    return [quote(m)[1:-1].encode() for m in messages]


# Pieces that exercise every branch of the fast path, far more often than random bytes would.
PIECES = [
    b"a",
    b"plain text ",
    b'"',
    b"\\",
    b"\\u2028",  # the text of an escape, not the character
    b"<",
    b">",
    b"&",
    b"\t",
    b"\r",
    b"\x00",
    b"\x1b[31m",
    b"\x7f",
    "é".encode(),
    "\u2028".encode(),
    "\u2029".encode(),
    "\u2027".encode(),  # shares its first two UTF-8 bytes with U+2028
    "\U0001f600".encode(),
    b"\xc2\x9b",  # C1 CSI, valid UTF-8
    b"\xff",  # never valid UTF-8
    b"\xe2\x80",  # a truncated sequence
    b"\xed\xa0\x80",  # an encoded surrogate: invalid UTF-8 for Go and Python
    "\uf8ff".encode(),  # the private-use character the str route joins with
]
message = st.lists(st.sampled_from(PIECES), max_size=8).map(b"".join)
batches = st.lists(message, min_size=1, max_size=6)


@settings(max_examples=400, deadline=None)
@given(batches)
def test_escape_many_matches_the_str_route(batch: list[bytes]) -> None:
    for name in ROUTES:
        with route(name):
            assert escape_many(batch) == _reference(batch), name


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=6))
def test_json_lines_matches_the_str_route_for_any_bytes(batch: list[bytes]) -> None:
    want = b"".join(b'{"message":"' + part + b'"' + REST for part in _reference(batch))
    for name in ROUTES:
        with route(name):
            assert json_lines(batch, REST) == want, name


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        (b'say "hi"', b'say \\"hi\\"'),
        (b"C:\\dir", b"C:\\\\dir"),
        (b"a<b>&c", b"a\\u003cb\\u003e\\u0026c"),
        (b"tab\there\r", b"tab\\there\\r"),
        (b"\x00\x01\x08\x0c\x1f", b"\\u0000\\u0001\\b\\f\\u001f"),
        (b"\x1b[1mbold", b"\\u001b[1mbold"),
        ("line\u2028sep\u2029".encode(), b"line\\u2028sep\\u2029"),
        (b"\\" + "\u2028".encode(), b"\\\\\\u2028"),
        ("caf\u00e9 \U0001f600".encode(), "caf\u00e9 \U0001f600".encode()),
        (b"del\x7f c1\xc2\x9b", b"del\x7f c1\xc2\x9b"),  # Go leaves these raw (a terminal gets them escaped)
    ],
    ids=["quote", "backslash", "html", "tab-cr", "c0", "esc", "ls-ps", "backslash-ls", "utf8", "del-c1"],
)
def test_escape_lines_cases(raw: bytes, escaped: bytes) -> None:
    assert escape_lines(raw) == escaped
    assert escaped == quote(raw)[1:-1].encode()


@pytest.mark.parametrize("name", ROUTES)
def test_invalid_utf8_is_left_to_the_str_route(name: str) -> None:
    assert escape_lines(b"ok\n\xffbad") is None
    with route(name):
        # One bad line does not change how its valid neighbours are written.
        want = [b'\\"a\\"', b"\\ufffd\\ufffd", b"\\u003cb\\u003e"]
        assert escape_many([b'"a"', b"\xff\xfe", b"<b>"]) == want


@pytest.mark.parametrize("name", ROUTES)
def test_separator_bytes_inside_a_message_stay_in_it(name: str) -> None:
    with route(name):
        # A newline never reaches the sink inside a line, but must not split a record if it did;
        # DEL is the orjson route's separator and is legal (unescaped) JSON text.
        assert json_lines([b"a\nb", b"c"], REST) == b'{"message":"a\\nb"' + REST + b'{"message":"c"' + REST
        assert escape_many([b"x\x7fy", b"z"]) == [b"x\x7fy", b"z"]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _render(messages: list[bytes], *, tty: bool, stamps: bool = False) -> bytes:
    out = io.BytesIO()
    timestamps = TimestampFormat.DEFAULT if stamps else TimestampFormat.NONE
    output = Output(format=OutputFormat.JSON, color=ColorMode.NEVER, timestamps=timestamps, timezone="UTC")
    sink = build_sink(output, stdout=out, stderr=io.StringIO(), stdout_isatty=tty, env={})
    # The valid messages as one batch (a fast route), the invalid one alone (the str route).
    valid = [m for m in messages if m.isascii() or _is_utf8(m)]
    sink.emit(Target("ns", "pod", "c"), [TS + b" " + m for m in valid])
    sink.emit(Target("ns", "pod", "c"), [TS + b" " + m for m in messages if m not in valid])
    sink.flush()
    return out.getvalue()


@pytest.mark.parametrize("name", ROUTES)
@pytest.mark.parametrize("stamps", [False, True], ids=["plain", "timestamps"])
def test_terminal_gets_c1_and_del_escaped_a_pipe_gets_them_raw(stamps: bool, name: str) -> None:
    messages = [b"csi \xc2\x9b2J", b"del \x7f", b"bad \xff"]
    with route(name):
        piped = _render(messages, tty=False, stamps=stamps)
        shown = _render(messages, tty=True, stamps=stamps)
    assert b"\xc2\x9b" in piped
    assert b"\x7f" in piped
    assert b"\xc2\x9b" not in shown
    assert b"\x7f" not in shown
    for out in (piped, shown):
        records = [json.loads(line) for line in out.decode().splitlines()]
        assert [r["message"] for r in records] == ["csi \x9b2J", "del \x7f", "bad \ufffd"]
        assert all(("timestamp" in r) == stamps for r in records)
