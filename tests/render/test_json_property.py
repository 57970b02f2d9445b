"""Any message survives -o json / extjson as valid JSON (hypothesis)."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.model import Target
from pystern.options import ColorMode, Output, OutputFormat
from pystern.render import build_sink
from tests.render.conftest import TS

TARGET = Target("ns", "pod", "c", labels={"k": "<&>"})


def _go_decode(data: bytes) -> str:
    """What Go puts in the JSON string: each invalid byte becomes U+FFFD."""
    return data.decode("utf-8", "surrogateescape").translate({c: 0xFFFD for c in range(0xDC80, 0xDD00)})


def _render(fmt: OutputFormat, messages: list[bytes], colour: ColorMode) -> bytes:
    out = io.BytesIO()
    sink = build_sink(
        Output(format=fmt, color=colour), stdout=out, stderr=io.StringIO(), stdout_isatty=True, env={}
    )
    sink.emit(TARGET, [TS + b" " + m for m in messages])
    sink.flush()
    return out.getvalue()


messages = st.lists(st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(messages)
def test_any_bytes_survive_json(batch: list[bytes]) -> None:
    out = _render(OutputFormat.JSON, batch, ColorMode.ALWAYS)
    lines = out.decode("utf-8").split("\n")[:-1]
    assert [json.loads(line)["message"] for line in lines] == [_go_decode(m) for m in batch]
    assert all(json.loads(line)["labels"] == {"k": "<&>"} for line in lines)
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in out.decode()


@settings(max_examples=200, deadline=None)
@given(messages)
def test_any_bytes_give_valid_extjson(batch: list[bytes]) -> None:
    for fmt in (OutputFormat.EXTJSON, OutputFormat.PPEXTJSON):
        out = _render(fmt, batch, ColorMode.ALWAYS).decode("utf-8")
        docs = json.loads("[" + out.replace("}\n{", "},{") + "]")
        assert len(docs) == len(batch)
        for doc, message in zip(docs, batch, strict=True):
            if isinstance(doc["message"], str) and not message.strip().startswith(b'"'):
                assert doc["message"] == _go_decode(message)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=40).map(lambda s: s.replace("\n", "")), min_size=1, max_size=5))
def test_text_messages_round_trip(batch: list[str]) -> None:
    encoded = [s.encode("utf-8", "surrogatepass") for s in batch]
    out = _render(OutputFormat.JSON, encoded, ColorMode.NEVER)
    assert [json.loads(line)["message"] for line in out.decode().split("\n")[:-1]] == [
        _go_decode(m) for m in encoded
    ]
