"""--include/--exclude semantics, highlight placement, and the regex time limit."""

from __future__ import annotations

import pytest
import regex

from pystern.config.query import compile_regex
from pystern.model import Target
from pystern.options import ColorMode, OutputFormat
from pystern.render import linefilter
from pystern.render.linefilter import LineFilter, risky
from tests.render.conftest import Make

RX = regex.compile
HL = b"\x1b[31;1m"
END = b"\x1b[0;22m"


def _msgs(out: bytes) -> list[bytes]:
    return [line.split(b" ", 2)[2] for line in out.splitlines()]


def test_exclude_then_include(make: Make, pod: Target) -> None:
    r = make(includes=(RX("err"), RX("warn")), excludes=(RX("noise"),))
    out = r.emit(pod, b"an error", b"a warning", b"info", b"error noise", b"")
    assert _msgs(out) == [b"an error", b"a warning"]


def test_filters_see_the_message_not_the_timestamp(make: Make, pod: Target) -> None:
    r = make(includes=(RX("^hello"),), excludes=(RX("2023"),))
    assert _msgs(r.emit(pod, b"hello 1", b"say hello")) == [b"hello 1"]


def test_missing_timestamp_lines_are_not_filtered(make: Make, pod: Target) -> None:
    r = make(includes=(RX("never"),))
    r.sink.emit(pod, [b"kubelet error text"])
    r.sink.flush()
    assert r.out.getvalue().endswith(b"[missing timestamp] kubelet error text\n")


def test_filters_apply_to_every_format(make: Make, pod: Target) -> None:
    for fmt in OutputFormat:
        r = make(format=fmt, excludes=(RX("drop"),))
        out = r.emit(pod, b"drop me", b"keep")
        assert b"drop" not in out, fmt
        assert b"keep" in out, fmt


def test_highlight_only_in_message(make: Make) -> None:
    target = Target("ns", "error-pod", "error")
    r = make(color=ColorMode.ALWAYS, highlights=(RX("error"),))
    out = r.emit(target, b"an error here")
    assert out.endswith(b" an " + HL + b"error" + END + b" here\n")
    assert out.count(HL) == 1  # not in the pod or container name


def test_includes_are_highlighted_longest_first(make: Make, pod: Target) -> None:
    r = make(color=ColorMode.ALWAYS, includes=(RX("err"),), highlights=(RX("error"),))
    out = r.emit(pod, b"error and err")
    assert out.endswith(b" " + HL + b"error" + END + b" and " + HL + b"err" + END + b"\n")


def test_highlight_never_inside_escape_codes(make: Make, pod: Target) -> None:
    r = make(color=ColorMode.ALWAYS, highlights=(RX("3"), RX("m")))
    out = r.emit(pod, b"\x1b[31mred 3\x1b[0m")
    assert out.endswith(b" \x1b[31mred " + HL + b"3" + END + b"\x1b[0m\n")


def test_no_highlight_without_colour_or_in_json(make: Make, pod: Target) -> None:
    assert b"\x1b" not in make(highlights=(RX("x"),)).emit(pod, b"x")
    r = make(format=OutputFormat.JSON, color=ColorMode.ALWAYS, highlights=(RX("x"),))
    assert b"\x1b" not in r.emit(pod, b"x")


def test_patterns_that_do_not_combine_still_highlight(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every pattern that compiles alone combines in `regex` (even duplicate group names), so only a
    # resource limit could make the alternation fail: forced here, the patterns run one by one.
    monkeypatch.setattr(linefilter, "_combine", lambda patterns, extra="": None)
    flt = LineFilter([], [], [RX("a"), RX("aa"), RX("b"), RX("3")], lambda _: None)
    hl = "\x1b[31;1m{}\x1b[0;22m".format
    # Overlapping matches: the longer pattern wins where both start; never inside an escape code.
    assert flt.highlight("xaab \x1b[31mb3\x1b[0m a") == (
        f"x{hl('aa')}{hl('b')} \x1b[31m{hl('b')}{hl('3')}\x1b[0m {hl('a')}"
    )


def test_empty_matches_are_not_wrapped() -> None:
    flt = LineFilter([], [], [RX("x*")], lambda _: None)
    assert flt.highlight("axb") == "a\x1b[31;1mx\x1b[0;22mb"


def test_risky_shapes() -> None:
    for pattern in ("(a|aa)+$", "(a+)+", r"(\w+\s?)*$", r"(a)\1", "(x|y){2,}"):
        assert risky(pattern), pattern
    for pattern in ("error", "err|warn", "(?i)foo", "[(a+)+]", "(ab){3}", r"\d+ ms"):
        assert not risky(pattern), pattern


def test_catastrophic_include_times_out_once(make: Make, pod: Target) -> None:
    r = make(includes=(RX("(a|aa)+$"),))
    out = r.emit(pod, b"a" * 60 + b"!", b"a" * 61 + b"!", b"aaa")
    assert _msgs(out) == [b"aaa"]
    assert r.err.getvalue().count("took over") == 1


def test_catastrophic_highlight_prints_plain(make: Make, pod: Target) -> None:
    r = make(color=ColorMode.ALWAYS, highlights=(RX("(a|aa)+$"),))
    out = r.emit(pod, b"a" * 60 + b"!")
    assert out.endswith(b" " + b"a" * 60 + b"!\n")
    assert "took over" in r.err.getvalue()


@pytest.mark.parametrize(
    ("option", "wording"),
    [
        ("includes", "an --include regex took over 100 ms on a line; such lines count as not matching"),
        ("excludes", "an --exclude regex took over 100 ms on a line; such lines count as not matching"),
        (
            "highlights",
            "a --highlight regex took over 100 ms on a line; such lines are printed without highlighting",
        ),
    ],
)
def test_a_regex_time_limit_is_reported_in_the_users_terms(
    make: Make, pod: Target, option: str, wording: str
) -> None:
    # The user typed RE2: the report must not quote pystern's translation of it (\w spelled out,
    # $ as \z) or the highlight regex's internal group for escape codes.
    r = make(color=ColorMode.ALWAYS, **{option: (compile_regex(r"(\w|aa)+$", "for a filter", "include"),)})
    r.emit(pod, b"a" * 60 + b"!")
    err = r.err.getvalue()
    assert wording in err
    assert err.count("took over") == 1
    for internal in ("pysternsgr", "0-9A-Z", "\\z"):
        assert internal not in err


def test_a_highlight_time_limit_with_includes_names_both_flags(make: Make, pod: Target) -> None:
    # Include matches are highlighted too, so the slow regex may be either flag's.
    slow = compile_regex(r"(\w|aa)+$", "for a filter", "highlight")
    r = make(color=ColorMode.ALWAYS, includes=(RX("a"),), highlights=(slow,))
    out = r.emit(pod, b"a" * 60 + b"!")
    assert out.endswith(b" " + b"a" * 60 + b"!\n")  # kept by -i, printed without highlighting
    assert "a --highlight or --include regex took over 100 ms" in r.err.getvalue()


def test_template_output_highlighted_once_and_message_parsed_clean(make: Make, pod: Target) -> None:
    import pytest

    pytest.importorskip("pystern.gotemplate.template")
    r = make(
        color=ColorMode.ALWAYS,
        highlights=(RX("boom"),),
        template='{{with $d := parseJSON .Message}}{{$d.msg}}{{end}}{{"\\n"}}',
    )
    assert r.emit(pod, b'{"msg":"a boom"}') == b"a " + HL + b"boom" + END + b"\n"
    assert r.err.getvalue() == ""
