"""Palette, FNV-1, fatih/color escapes, custom colours, colour policy and the replica picker."""

from __future__ import annotations

import pytest

from pystern.errors import UsageError
from pystern.model import Notice, NoticeKind, Target
from pystern.options import ColorMode
from pystern.render import (
    DEFAULT_PALETTE,
    ColorPicker,
    Sgr,
    build_palette,
    color_enabled,
    fnv1_32,
    palette_index,
    parse_color_list,
)
from tests.render.conftest import Make


@pytest.mark.parametrize(
    ("name", "value", "index"),
    [("foo", 1083137555, 5), ("bar", 513390112, 4), ("stern", 1685062089, 3), ("my-pod", 3771483449, 5)],
)
def test_fnv1_check_values(name: str, value: int, index: int) -> None:
    assert fnv1_32(name.encode()) == value
    assert palette_index(name, 6) == index


def test_fnv1_is_not_fnv1a() -> None:
    assert fnv1_32(b"") == 2166136261
    assert fnv1_32(b"a") == 0x050C5D7E  # FNV-1a("a") would be 0xE40C292C


def test_default_palette_order() -> None:
    assert [(p.attrs, c.attrs) for p, c in DEFAULT_PALETTE] == [
        ((96,), (36,)), ((92,), (32,)), ((95,), (35,)), ((93,), (33,)), ((94,), (34,)), ((91,), (31,)),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("attrs", "wrapped"),
    [
        ((96,), b"\x1b[96mx\x1b[0m"),
        ((31, 1), b"\x1b[31;1mx\x1b[0;22m"),
        ((32, 4), b"\x1b[32;4mx\x1b[0;24m"),
        ((38, 2, 255, 97, 136), b"\x1b[38;2;255;97;136mx\x1b[0;22;0;0;0m"),  # fatih/color resets 2 as faint
        ((3, 5, 6, 7, 8, 9), b"\x1b[3;5;6;7;8;9mx\x1b[23;25;25;27;28;29m"),
    ],
)
def test_fatih_color_format(attrs: tuple[int, ...], wrapped: bytes) -> None:
    assert Sgr(attrs).wrap(b"x") == wrapped
    assert Sgr(attrs).wrap(b"x", enabled=False) == b"x"


def test_parse_color_list() -> None:
    assert parse_color_list("91,92") == ((91,), (92,))
    assert parse_color_list("38;2;255;97;136, 32;4") == ((38, 2, 255, 97, 136), (32, 4))
    assert parse_color_list(["31", " 1 ; 4 "]) == ((31,), (1, 4))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("red", 'strconv.ParseInt: parsing "red": invalid syntax'),
        ("31;", 'strconv.ParseInt: parsing "": invalid syntax'),
        ("99999999999", 'strconv.ParseInt: parsing "99999999999": value out of range'),
    ],
)
def test_parse_color_list_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_color_list(text)


def test_build_palette_rules() -> None:
    assert build_palette((), ()) is DEFAULT_PALETTE
    same = build_palette(("91", "92"), ())
    assert [(p.attrs, c.attrs) for p, c in same] == [((91,), (91,)), ((92,), (92,))]
    pairs = build_palette(("91", "92"), ("31", "32;4"))
    assert [(p.attrs, c.attrs) for p, c in pairs] == [((91,), (31,)), ((92,), (32, 4))]
    with pytest.raises(UsageError, match="pod-colors must not be empty"):
        build_palette((), ("31",))
    with pytest.raises(UsageError, match="pod-colors and container-colors must have the same length"):
        build_palette(("91", "92"), ("31",))


@pytest.mark.parametrize(
    ("mode", "tty", "env", "expected"),
    [
        (ColorMode.AUTO, True, {}, True),
        (ColorMode.AUTO, False, {}, False),
        (ColorMode.AUTO, True, {"NO_COLOR": "1"}, False),
        (ColorMode.AUTO, True, {"NO_COLOR": ""}, True),
        (ColorMode.AUTO, True, {"TERM": "dumb"}, False),
        (ColorMode.ALWAYS, False, {"NO_COLOR": "1", "TERM": "dumb"}, True),
        (ColorMode.NEVER, True, {}, False),
    ],
)
def test_colour_policy(mode: ColorMode, tty: bool, env: dict[str, str], expected: bool) -> None:
    assert color_enabled(mode, stdout_isatty=tty, env=env) is expected


def test_custom_colours_and_diff_container(make: Make) -> None:
    target = Target("ns", "foo", "bar")
    r = make(color=ColorMode.ALWAYS, pod_colors=("32;4", "33"), container_colors=("34", "35"))
    # FNV-1("foo") % 2 == 1
    assert r.emit(target, b"m") == b"\x1b[33mfoo\x1b[0m \x1b[35mbar\x1b[0m m\n"
    d = make(color=ColorMode.ALWAYS, diff_container=True)
    # pod "foo" -> pair 5 (HiRed); container "bar" -> pair 4's container colour (Blue 34)
    assert d.emit(target, b"m") == b"\x1b[91mfoo\x1b[0m \x1b[34mbar\x1b[0m m\n"


def _replica(name: str, workload: str = "ReplicaSet/web-5d8f") -> Target:
    return Target("default", name, "app", workload=workload)


def test_lone_pods_keep_stern_colours() -> None:
    picker = ColorPicker(6)
    for name in ("foo", "bar", "stern", "my-pod"):
        assert picker.pick(Target("ns", name, "c")) == palette_index(name, 6)


def test_replicas_get_distinct_colours_and_keep_them() -> None:
    picker = ColorPicker(6)
    names = [f"web-5d8f-{i}" for i in range(6)]
    first = picker.pick(_replica(names[0]))
    assert first == palette_index(names[0], 6)
    picks = [picker.pick(_replica(n)) for n in names]
    assert sorted(picks) == list(range(6))
    assert [picker.pick(_replica(n)) for n in reversed(names)] == list(reversed(picks))


def test_released_replica_colour_is_reused() -> None:
    picker = ColorPicker(6)
    pods = [_replica(f"web-{i}") for i in range(3)]
    for p in pods:
        picker.acquire(p)
    freed = picker.pick(pods[1])
    picker.release(pods[1])
    newcomer = _replica("web-new")
    used = {picker.pick(pods[0]), picker.pick(pods[2])}
    got = picker.pick(newcomer)
    assert got not in used
    assert picker.pick(pods[1]) == freed  # a pod keeps its colour even after it stopped


def test_other_workloads_do_not_count() -> None:
    picker = ColorPicker(6)
    a = _replica("web-a", "ReplicaSet/web")
    b = Target("default", "web-a2", "app", workload="ReplicaSet/api")
    picker.pick(a)
    assert picker.pick(b) == palette_index("web-a2", 6)


def test_notices_drive_liveness(make: Make) -> None:
    r = make(color=ColorMode.ALWAYS)
    pods = [_replica(f"web-5d8f-{i}") for i in range(6)]
    for p in pods:
        r.sink.notice(Notice(NoticeKind.STARTED, target=p))
    r.sink.flush()
    colours = {line.split(" ")[1].split("m")[0] for line in r.err.getvalue().splitlines()}
    assert len(colours) == 6


def test_picker_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import pystern.render.colors as colors

    monkeypatch.setattr(colors, "MAX_REMEMBERED", 50)
    picker = ColorPicker(6)
    for i in range(500):
        picker.pick(_replica(f"web-{i}"))
    assert len(picker._assigned) <= 50
    assert sum(picker._usage[("", "default", "ReplicaSet/web-5d8f")]) <= 50
