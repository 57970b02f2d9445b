"""The C route (``pystern._hotpath``) renders a batch exactly as the Python route does, or hands it back."""

from __future__ import annotations

import io
import platform

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.model import Target
from pystern.options import ColorMode, Output, OutputFormat
from pystern.render import RenderSink, build_sink, native
from pystern.render.jsontext import quote
from pystern.render.literals import Words
from tests.render.conftest import TS

pytestmark = pytest.mark.skipif(
    native._hotpath is None, reason="pystern._hotpath was not built (no C compiler at install time)"
)

TARGET = Target("ns", "pod-1", "app", node_name="node-1", labels={"k": "<&>"})
STAMPS = [
    TS,  # the kubelet's usual fixed-width UTC stamp: the C route's case
    b"2023-01-27T13:20:48.1234567Z",  # trailing zeros trimmed: another shape
    b"2023-01-27T13:20:48.123456789z",  # a lower-case z: the same width, but not the usual shape
    b"2023-01-27T13:20:48.123456789+02:00",
    b"",  # kubelet text without a stamp
]
PIECES = [
    b"error",
    b"ERROR",
    b"warn",
    b"Warn",
    b'{"level":"info","msg":"ok"}',
    b"a b=c",
    b" ",
    b"x",
    b"<&>",
    b"\\",
    b'"',
    b"\x00",
    b"\x1b[31m",
    b"\t\r\x08\x0c",
    b"\x7f",
    "\u00e9".encode(),
    "\u2028\u2029".encode(),
    "\u212a".encode(),  # KELVIN SIGN: (?i)k matches it, so a folded comparison hands the batch back
    "\U0001f600".encode(),
    b"\xff",  # invalid UTF-8
    b"\xe2\x80",  # a sequence cut short
    b"\xed\xa0\x80",  # an encoded surrogate (invalid in Python's strict decoder)
    b"\xf4\x90\x80\x80",  # past U+10FFFF
]
PATTERNS = [
    (),
    ("error",),
    ("error|warn",),
    ("(?i)error|k",),
    ('"level":"info"',),
    ("a b=c", "x"),
    ("e.r",),  # a regex: only the Python route decides it, the C route is not used
]

messages = st.lists(st.sampled_from(PIECES), max_size=6).map(b"".join)
# Mostly the usual stamp, so that many batches are the C route's to render.
stamps = st.one_of(st.just(TS), st.just(TS), st.just(TS), st.sampled_from(STAMPS))
records = st.tuples(stamps, messages).map(lambda pair: pair[0] + b" " + pair[1] if pair[0] else pair[1])


def _sinks(
    fmt: OutputFormat,
    includes: tuple[str, ...],
    excludes: tuple[str, ...],
    isatty: bool,
    colour: bool = False,
) -> list[tuple[RenderSink, io.BytesIO]]:
    made = []
    for _ in range(2):
        out = io.BytesIO()
        sink = build_sink(
            Output(
                format=fmt,
                color=ColorMode.ALWAYS if colour else ColorMode.NEVER,
                includes=tuple(map(regex.compile, includes)),
                excludes=tuple(map(regex.compile, excludes)),
            ),
            stdout=out,
            stderr=io.StringIO(),
            stdout_isatty=isatty,
            env={},
        )
        made.append((sink, out))
    return made


@settings(max_examples=400, deadline=None)
@given(
    fmt=st.sampled_from([OutputFormat.DEFAULT, OutputFormat.RAW, OutputFormat.JSON]),
    includes=st.sampled_from(PATTERNS),
    excludes=st.sampled_from(PATTERNS),
    isatty=st.booleans(),
    colour=st.booleans(),
    batches=st.lists(st.lists(records, min_size=1, max_size=8), min_size=1, max_size=3),
)
def test_the_c_route_renders_what_the_python_route_renders(
    fmt: OutputFormat,
    includes: tuple[str, ...],
    excludes: tuple[str, ...],
    isatty: bool,
    colour: bool,
    batches: list[list[bytes]],
) -> None:
    (fast, fast_out), (python, python_out) = _sinks(fmt, includes, excludes, isatty, colour)
    python.native = None
    regex_filter = any(p == "e.r" for p in (*includes, *excludes))
    highlighted = colour and bool(includes) and fmt is not OutputFormat.JSON  # includes are highlighted
    assert (fast.native is None) == (regex_filter or highlighted)
    for batch in batches:
        fast.emit(TARGET, batch)
        python.emit(TARGET, batch)
    fast.flush()
    python.flush()
    assert fast_out.getvalue() == python_out.getvalue()


def _renderer(
    fmt: OutputFormat, include: Words | None = None, exclude: Words | None = None
) -> native.NativeRenderer:
    renderer = native.native_renderer(fmt, (include, exclude))
    assert renderer is not None
    return renderer


def test_the_c_route_takes_batches_of_fixed_width_lines() -> None:
    plain = _renderer(OutputFormat.DEFAULT)
    lines = [TS + b" hello", TS + b" ", TS + b' say "hi" <b>']
    assert plain.render(lines, b"pod app ", b"\n") == b'pod app hello\npod app \npod app say "hi" <b>\n'
    as_json = _renderer(OutputFormat.JSON)
    assert as_json.render(lines[2:], b'{"message":"', b'"}\n') == (
        b'{"message":"say \\"hi\\" \\u003cb\\u003e"}\n'
    )
    assert as_json.render([TS + " caf\u00e9 \u2028".encode()], b"[", b"]") == "[caf\u00e9 \\u2028]".encode()
    words = _renderer(OutputFormat.DEFAULT, Words((b"err",), False), Words((b"warn",), True))
    batch = [TS + b" err", TS + b" ok", TS + b" err WARN", TS + b" ERR"]
    assert words.render(batch, b"", b"\n") == b"err\n"
    assert words.render([TS + b" ok"], b"", b"\n") == b""


def test_the_c_route_hands_back_batches_it_does_not_handle() -> None:
    plain = _renderer(OutputFormat.DEFAULT)
    assert plain.render([TS + b" a", b"2023-01-27T13:20:48.1Z b"], b"", b"\n") is None
    assert plain.render([TS + b" a", TS], b"", b"\n") is None  # shorter than a stamp and its space
    for offset in (4, 7, 10, 13, 16, 19, 29, 30):  # each punctuation byte of the shape counts
        line = TS + b" a"
        assert plain.render([line[:offset] + b"0" + line[offset + 1 :]], b"", b"\n") is None
    assert plain.render([TS + b" a", b"kubelet text"], b"", b"\n") is None
    assert plain.render([TS + b" \xff"], b"", b"\n") == b"\xff\n"  # bytes as they are
    as_json = _renderer(OutputFormat.JSON)
    assert as_json.render([TS + b" \xff"], b"", b"") is None  # invalid UTF-8: Go's U+FFFD rule
    folded = _renderer(OutputFormat.DEFAULT, Words((b"k",), True), None)
    assert folded.render([TS + " \u212a".encode()], b"", b"\n") is None  # (?i)k matches KELVIN SIGN


def _json_or_none(message: bytes) -> None:
    rendered = _renderer(OutputFormat.JSON).render([TS + b" " + message], b"<", b">")
    try:
        message.decode("utf-8")
    except UnicodeDecodeError:
        assert rendered is None, message
    else:
        assert rendered == b"<" + quote(message)[1:-1].encode() + b">", message  # the reference escaping


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=8))
def test_the_c_route_takes_json_messages_exactly_when_they_are_utf8(message: bytes) -> None:
    """Its UTF-8 check is Python's strict decoder, and its escaping is ``jsontext.quote``'s."""
    _json_or_none(message.replace(b"\n", b""))


def test_the_c_route_escapes_every_ascii_byte_wherever_it_is() -> None:
    for byte in range(0x80):
        for before in (b"", b"abc", b"abcdefg", b"abcdefghijklmnop"):
            for after in (b"", b"xyz", b"abcdefghij"):
                _json_or_none(before + bytes([byte]) + after)


def test_the_c_route_checks_utf8_at_every_edge() -> None:
    """Every lead byte, with second bytes at the edges of the ranges that E0, ED, F0 and F4 allow
    (overlong forms, surrogates, past U+10FFFF) and each kind of rest."""
    for lead in range(0x80, 0x100):
        for second in (0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xA8, 0xBF, 0xC0):
            for rest in (b"", b"\x80", b"\xa8", b"\xa9", b"\x80\x80", b"\xbf\xbf", b"A"):
                # Alone (the byte loop), and after ASCII that puts it inside or across an
                # eight-byte block (the block loop).
                for before in (b"", b"abc", b"abcdefg", b"abcdefghij"):
                    _json_or_none(before + bytes([lead, second]) + rest)


def test_the_c_route_grows_past_its_kept_buffer() -> None:
    """Batches larger than the buffer it keeps (8 MiB) come out whole, again and again."""
    (fast, fast_out), (python, python_out) = _sinks(OutputFormat.JSON, (), (), False)
    python.native = None
    batch = [TS + b" " + b'"' * (1024 * 1024) for _ in range(3)] + [TS + b" end"]
    for _ in range(2):
        fast.emit(TARGET, batch)
        python.emit(TARGET, batch)
    fast.flush()
    python.flush()
    assert fast_out.getvalue() == python_out.getvalue()
    assert fast_out.getvalue().count(b"\n") == 8


def test_the_c_route_refuses_what_is_not_bytes() -> None:
    plain = _renderer(OutputFormat.DEFAULT)
    with pytest.raises(TypeError):
        plain.render([TS + b" a", "text"], b"", b"\n")  # type: ignore[list-item]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_allocator_thresholds_are_fixed_on_glibc() -> None:
    assert native.tune_allocator() is True


def test_only_the_command_line_entry_tunes_the_allocator(monkeypatch: pytest.MonkeyPatch) -> None:
    import pystern.cli

    calls: list[bool] = []
    monkeypatch.setattr(pystern.cli, "tune_allocator", lambda: calls.append(True) or True)
    monkeypatch.setattr(pystern.cli, "run_cli", lambda args, io: 0)
    with pytest.raises(SystemExit) as exited:
        pystern.cli.main(["--version"])
    assert exited.value.code == 0
    assert calls == [True]
