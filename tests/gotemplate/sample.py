"""Shared sample data for the gotemplate tests: stern's Log fields and a render helper."""

from __future__ import annotations

from typing import Any

from pystern.gotemplate import Color, StringMap, Struct, parse, stern_funcs

PLAIN = stern_funcs(color=False)


COLOR = stern_funcs(color=True)


def data(message: str = "hi") -> dict[str, Any]:
    return {
        "Message": message,
        "Timestamp": "",
        "NodeName": "node1",
        "Namespace": "ns1",
        "PodName": "pod1",
        "ContainerName": "container1",
        "Labels": StringMap(app="nginx", env="prod"),
        "Annotations": StringMap(version="1.23.4"),
        "PodColor": Color((31,)),
        "ContainerColor": Color((34,)),
        "L": [1, "a", 2.5],
        "M": {"b": 2, "a": 1.0e6},
        "n": None,
        "f": 3.14,
        "fn": lambda a, b: a + b,
    }


def render(text: str, d: dict[str, Any] | None = None, funcs: Any = PLAIN) -> str:
    return parse(text, funcs, "log").execute(data() if d is None else d)


def stern_log(message: str, **extra: Any) -> Struct:
    fields = {
        "Message": message,
        "Timestamp": "",
        "NodeName": "node1",
        "Namespace": "ns1",
        "PodName": "pod1",
        "ContainerName": "container1",
        "Labels": StringMap(app="nginx", env="prod"),
        "Annotations": StringMap(version="1.23.4"),
        "PodColor": Color((31,)),
        "ContainerColor": Color((34,)),
    }
    fields.update(extra)
    return Struct("stern.Log", fields)
