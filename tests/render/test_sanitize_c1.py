"""C1 controls on a terminal: 8-bit bytes in plain output, and C1/DEL inside JSON strings."""

from __future__ import annotations

import json

import pytest

from pystern.render.sanitize import Sanitizer, escape_json_controls


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"a \x9b2J b", b"a ^[[2J b"),  # 8-bit CSI
        (b"\x9d0;title\x9c", b"^[]0;title^[\\"),  # 8-bit OSC ... ST
        (b"caf\xc3\xa9 \xe2\x82\xac", b"caf\xc3\xa9 \xe2\x82\xac"),  # continuation bytes 0x82 stay
        (b"bad \xff byte", b"bad \xff byte"),  # other invalid bytes pass as written
    ],
    ids=["csi", "osc-st", "utf8-kept", "invalid-non-c1"],
)
def test_lone_c1_bytes_are_shown_not_sent(raw: bytes, shown: bytes) -> None:
    assert Sanitizer(keep_sgr=True)(raw) == shown


def test_json_controls_are_escaped_and_the_value_survives() -> None:
    line = json.dumps({"message": "a\x9b2J \x7f\x85 z"}, ensure_ascii=False).encode()
    out = escape_json_controls(line)
    for raw in (b"\xc2\x9b", b"\x7f", b"\xc2\x85"):
        assert raw not in out
    for escaped in (b"\\u009b", b"\\u007f", b"\\u0085"):
        assert escaped in out
    assert json.loads(out) == json.loads(line)
