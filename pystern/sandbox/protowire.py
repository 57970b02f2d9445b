"""Just enough of the protobuf wire format to read what kubectl's typed clients POST.

kubectl sends built-in types (a ``SelfSubjectAccessReview``, say) as
``application/vnd.kubernetes.protobuf``: the magic ``k8s\\0`` and then a ``runtime.Unknown``
whose field 2 holds the object's own message.  Only length-delimited and varint fields are
needed to read strings and nested messages; the answer can go back as JSON, which kubectl
also accepts.
"""

from __future__ import annotations

MAGIC = b"k8s\x00"


class ProtoError(ValueError):
    """Bytes that are not a protobuf message this reader understands."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ProtoError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def fields(data: bytes) -> dict[int, bytes | int]:
    """Field number -> value (bytes for length-delimited, int for varint); the last one wins."""
    out: dict[int, bytes | int] = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            out[number], pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ProtoError("truncated field")
            out[number], pos = data[pos : pos + size], pos + size
        elif wire in (1, 5):  # fixed 64 / 32 bits: skipped, none of ours
            pos += 8 if wire == 1 else 4
        else:
            raise ProtoError(f"unsupported wire type {wire}")
    return out


def message(data: bytes, number: int) -> dict[int, bytes | int] | None:
    """The nested message in field ``number`` of ``data`` (None when absent)."""
    value = fields(data).get(number)
    return fields(value) if isinstance(value, bytes) else None


def text(msg: dict[int, bytes | int], number: int) -> str:
    """A string field ("" when absent)."""
    value = msg.get(number, b"")
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


def unwrap(body: bytes) -> bytes:
    """The object message inside a ``k8s\\0`` envelope (``runtime.Unknown`` field 2)."""
    if not body.startswith(MAGIC):
        raise ProtoError("no k8s protobuf envelope")
    raw = fields(body[len(MAGIC) :]).get(2, b"")
    if not isinstance(raw, bytes):
        raise ProtoError("envelope without an object")
    return raw
