"""stderr notices: stern's +/- lines byte for byte, and pystern's own notices."""

from __future__ import annotations

from pystern.model import Notice, NoticeKind, Target
from pystern.options import ColorMode
from tests.render.conftest import Make

PLUS = "\x1b[92;1m+\x1b[0;22m"
MINUS = "\x1b[91;1m-\x1b[0;22m"


def _notice(r: object, *notices: Notice) -> str:
    sink = r.sink  # type: ignore[attr-defined]
    for n in notices:
        sink.notice(n)
    sink.flush()
    return r.err.getvalue()  # type: ignore[attr-defined,no-any-return]


def test_start_stop_plain(make: Make, pod: Target) -> None:
    r = make()
    text = _notice(r, Notice(NoticeKind.STARTED, target=pod), Notice(NoticeKind.STOPPED, target=pod))
    assert text == "+ nginx-7c5d-2xk9p › nginx\n- nginx-7c5d-2xk9p › nginx\n"


def test_start_stop_coloured_with_namespace(make: Make, pod: Target) -> None:
    r = make(color=ColorMode.ALWAYS, show_namespace=True)
    text = _notice(r, Notice(NoticeKind.STARTED, target=pod), Notice(NoticeKind.STOPPED, target=pod))
    names = "\x1b[95mdefault\x1b[0m \x1b[95mnginx-7c5d-2xk9p\x1b[0m › \x1b[35mnginx\x1b[0m\n"
    assert text == PLUS + " " + names + MINUS + " " + names


def test_colour_on_stderr_follows_stdout_policy(make: Make, pod: Target) -> None:
    assert "\x1b" not in _notice(make(isatty=False), Notice(NoticeKind.STARTED, target=pod))
    assert "\x1b" in _notice(make(isatty=True, color=ColorMode.AUTO), Notice(NoticeKind.STARTED, target=pod))


def test_only_log_lines_hides_lifecycle_not_errors(make: Make, pod: Target) -> None:
    r = make(only_log_lines=True)
    text = _notice(
        r,
        Notice(NoticeKind.STARTED, target=pod),
        Notice(NoticeKind.TERMINATED, "terminated: OOMKilled (exit 137), restart 3", target=pod),
        Notice(NoticeKind.STOPPED, target=pod),
        Notice(NoticeKind.ERROR, "forbidden"),
    )
    assert text == "! forbidden\n"


def test_other_notices(make: Make, pod: Target) -> None:
    r = make(show_context=True)
    text = _notice(
        r,
        Notice(NoticeKind.TERMINATED, "terminated: OOMKilled (exit 137), restart 3", target=pod),
        Notice(NoticeKind.RETRYING, "connection reset; retrying in 1.0s", target=pod),
        Notice(NoticeKind.WAITING, "3 container(s) waiting"),
        Notice(NoticeKind.GAVE_UP, "giving up\x1b[2J", target=pod),
    )
    assert text.splitlines() == [
        "kind-a nginx-7c5d-2xk9p › nginx terminated: OOMKilled (exit 137), restart 3",
        "! kind-a nginx-7c5d-2xk9p › nginx: connection reset; retrying in 1.0s",
        "! 3 container(s) waiting",
        "! kind-a nginx-7c5d-2xk9p › nginx: giving up^[[2J",
    ]


def test_warning_and_error_marks_are_coloured(make: Make) -> None:
    r = make(color=ColorMode.ALWAYS)
    text = _notice(r, Notice(NoticeKind.WARNING, "w"), Notice(NoticeKind.ERROR, "e"))
    assert text == "\x1b[93;1m!\x1b[0;22m w\n\x1b[91;1m!\x1b[0;22m e\n"


def test_a_verbosity_diagnostic_is_plain_escaped_and_kept_with_only_log_lines(make: Make) -> None:
    r = make(color=ColorMode.ALWAYS, only_log_lines=True)
    text = _notice(r, Notice(NoticeKind.DIAGNOSTIC, "default/web\x1b[2J › app: not tailed: why"))
    assert text == "pystern: default/web^[[2J › app: not tailed: why\n"


def test_a_stopped_target_leaves_no_cached_layout_behind(make: Make, pod: Target) -> None:
    import dataclasses

    r = make()
    sink = r.sink  # type: ignore[attr-defined]
    for i in range(50):
        target = dataclasses.replace(pod, pod=f"web-{i}")
        sink.notice(Notice(NoticeKind.STARTED, target=target))
        sink.emit(target, [b"2024-01-01T00:00:00.000000000Z hello"])
        sink.notice(Notice(NoticeKind.STOPPED, target=target))
    sink.flush()
    assert r.out.getvalue().count(b"hello") == 50  # type: ignore[attr-defined]
    # The per-target layout cache follows the tails: a long run over churning pods stays flat.
    assert len(sink._layouts) == 0
