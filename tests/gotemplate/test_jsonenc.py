"""go_json_dumps / go_json_indent against encoding/json's documented output."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystern.errors import TemplateExecError
from pystern.gotemplate.jsonenc import go_json_dumps, go_json_indent
from pystern.gotemplate.values import JsonNumber

CASES = [
    ("html", {"a": "<b>&</b>"}, '{"a":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}'),
    ("line-separators", "\u2028\u2029", '"\\u2028\\u2029"'),
    ("control", "a\nb\tc\x01\x7f", '"a\\nb\\tc\\u0001\x7f"'),
    ("short-escapes", "\b\f\r", '"\\b\\f\\r"'),
    ("undecodable-byte-is-an-fffd-escape", "x\udcff", '"x\\ufffd"'),
    ("sorted-map", {"b": "1", "a": "2"}, '{"a":"2","b":"1"}'),
    ("nested-null", {"l": None, "m": {}}, '{"l":null,"m":{}}'),
    ("float-integral", 3.0, "3"),
    ("float-big", 1e21, "1e+21"),
    ("float-below-1e21", 1e20, "100000000000000000000"),
    ("float-tiny", 1e-7, "1e-7"),
    ("float-frac", 0.000001, "0.000001"),
    ("negative-zero", -0.0, "-0"),
    ("json-number", JsonNumber("1.50"), "1.50"),
    ("bool-list", [True, False, 1], "[true,false,1]"),
    ("non-ascii", "héllo ✓", '"héllo ✓"'),
]


@pytest.mark.parametrize(("value", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_dumps(value: object, want: str) -> None:
    assert go_json_dumps(value) == want


def test_struct_order_kept() -> None:
    got = go_json_dumps({"message": "m", "podName": "p", "labels": {"a": "1"}}, sort_keys=False)
    assert got == '{"message":"m","podName":"p","labels":{"a":"1"}}'


def test_bytes_invalid_utf8() -> None:
    # Go writes one \ufffd escape per invalid byte (Python's "replace" would merge a truncated sequence).
    assert go_json_dumps({"m": b"ok\xff\xe2\x82"}) == '{"m":"ok\\ufffd\\ufffd\\ufffd"}'


def test_nan_is_an_error() -> None:
    with pytest.raises(TemplateExecError, match="unsupported value: NaN"):
        go_json_dumps(float("nan"))


def test_indent() -> None:
    assert go_json_indent({"b": [1], "a": {"c": "<"}}) == (
        '{\n  "a": {\n    "c": "\\u003c"\n  },\n  "b": [\n    1\n  ]\n}'
    )


@given(st.dictionaries(st.text(), st.text() | st.none()))
def test_round_trip(value: dict[str, str | None]) -> None:
    text = go_json_dumps(value)
    assert json.loads(text) == value
    assert not set(text) & set("<>&")


@given(
    st.text(),
    st.text(),
    st.dictionaries(st.text(), st.text(), max_size=4),
    st.dictionaries(st.text(), st.text(), max_size=4),
)
def test_stern_log_fast_path_matches_general_encoder(
    message: str, timestamp: str, labels: dict[str, str], annotations: dict[str, str]
) -> None:
    from pystern.gotemplate.jsonenc import _encode, _fixup
    from pystern.gotemplate.values import StringMap, Struct

    log = Struct(
        "stern.Log",
        {
            "Message": message,
            "Timestamp": timestamp,
            "NodeName": "n",
            "Namespace": "ns",
            "PodName": "p",
            "ContainerName": "c",
            "Labels": StringMap(labels),
            "Annotations": StringMap(annotations),
        },
    )
    parts: list[str] = []
    _encode(log, parts, True, None, "")
    fast = go_json_dumps(log)
    assert fast == _fixup("".join(parts))
    decoded = json.loads(fast)
    assert list(decoded)[:1] == ["message"]
    assert decoded["labels"] == (labels or None)
    assert ("timestamp" in decoded) == bool(timestamp)
