"""The library face: tail pods from Python with the same options as the command line.

    import pystern.api

    async for line in pystern.api.tail("web", namespace="shop", no_follow=True, tail=10):
        print(line.pod, line.container, line.message)

Options are the long flag names with ``_`` for ``-`` (``no_follow``, ``exclude_container``)
and are validated exactly like the command line (``errors.UsageError`` on bad values).
No config file is read: a library call means the same thing on every machine.
Following runs until the caller stops; wrap the iterator in ``contextlib.aclosing`` so that
leaving the loop closes every stream at once:

    async with contextlib.aclosing(pystern.api.tail("web")) as lines:
        async for line in lines:
            if "ready" in line.message:
                break
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from pystern.config.build import build_config
from pystern.config.flags import BY_NAME, Kind, Value, parse_scalar, split_slice
from pystern.config.values import Values
from pystern.errors import PysternError, UsageError
from pystern.model import Notice, NoticeKind, Target
from pystern.options import Config
from pystern.timefmt import parse_rfc3339_ns

_NOT_OPTIONS = {"help", "version", "completion", "show-hidden-options", "config", "stdin", "demo", "prompt"}
_HIGH_WATER = 10_000


@dataclass(frozen=True, slots=True)
class Line:
    """One log line of one container."""

    context: str
    namespace: str
    pod: str
    container: str
    timestamp: str
    """RFC3339 with nanoseconds as the kubelet wrote it ("" when the record had none)."""
    message: str
    """The text (undecodable bytes replaced); ``raw`` keeps the bytes."""
    raw: bytes


def _value(name: str, given: object) -> Value:
    flag = BY_NAME.get(name)
    if flag is None or name in _NOT_OPTIONS:
        raise UsageError(f"unknown option {name.replace('-', '_')!r}", flag=name)
    if flag.is_list:
        if isinstance(given, str):
            return split_slice(given) if flag.kind is Kind.SLICE else (given,)
        if isinstance(given, Sequence):
            return tuple(str(item) for item in given)
    elif flag.kind is Kind.BOOL and isinstance(given, bool):
        return given
    elif flag.kind is Kind.DURATION and isinstance(given, int | float) and not isinstance(given, bool):
        return float(given)
    elif not isinstance(given, bool) and isinstance(given, str | int | float):
        return parse_scalar(flag, str(given))
    raise UsageError(f"option {name.replace('-', '_')!r} does not take {given!r}", flag=name)


def make_config(query: str = "", **options: object) -> Config:
    """The ``Config`` for these keyword options (same rules and messages as the command line)."""
    values = {name.replace("_", "-"): given for name, given in options.items()}
    return build_config(Values({name: _value(name, given) for name, given in values.items()}), query)


def _split(raw: bytes) -> tuple[str, bytes]:
    stamp, sep, rest = raw.partition(b" ")
    if sep:
        try:
            parse_rfc3339_ns(stamp)
        except ValueError:
            return "", raw
        return stamp.decode("ascii"), rest
    return "", raw


class _QueueSink:
    """A ``ports.Sink`` that hands lines to the iterating caller, with backpressure."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Line] = asyncio.Queue()
        self.room = asyncio.Event()
        self.room.set()
        self.errors: list[str] = []

    def emit(self, target: Target, lines: Sequence[bytes]) -> None:
        for raw in lines:
            stamp, message = _split(raw)
            self.queue.put_nowait(
                Line(
                    context=target.context,
                    namespace=target.namespace,
                    pod=target.pod,
                    container=target.container,
                    timestamp=stamp,
                    message=message.decode("utf-8", "replace"),
                    raw=message,
                )
            )
        if self.queue.qsize() >= _HIGH_WATER:
            self.room.clear()

    def notice(self, notice: Notice) -> None:
        if notice.kind is NoticeKind.ERROR:
            self.errors.append(notice.text)

    async def drain(self) -> None:
        await self.room.wait()

    def flush(self) -> None:
        """Nothing is buffered here."""

    def took(self) -> None:
        if self.queue.qsize() < _HIGH_WATER // 2:
            self.room.set()


async def tail(
    query: str = "", *, environ: Mapping[str, str] | None = None, **options: object
) -> AsyncIterator[Line]:
    """Yield the log lines ``pystern <query> <options>`` would print, as ``Line`` records.

    Raises ``UsageError`` for bad options, ``KubeconfigError``/``ConnectionFailed`` when
    the cluster cannot be reached, and ``PysternError`` when a ``no_follow`` stream failed.
    """
    import os

    from pystern.kube import connect_contexts
    from pystern.kube.workloads import resolve_workload
    from pystern.run import run

    config = make_config(query, **options)
    env = os.environ if environ is None else environ
    sink = _QueueSink()
    async with contextlib.AsyncExitStack() as stack:
        clusters, unreachable = await connect_contexts(config.connection, environ=env)
        for cluster in [*clusters, *(c for c, _ in unreachable)]:
            stack.push_async_callback(cluster.aclose)
        runner = asyncio.ensure_future(
            run(config, clusters, sink, resolve_workload=resolve_workload, unreachable=unreachable)
        )
        try:
            while True:
                getter = asyncio.ensure_future(sink.queue.get())
                await asyncio.wait({getter, runner}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    while not sink.queue.empty():
                        yield sink.queue.get_nowait()
                    break
                sink.took()
                yield getter.result()
            if runner.result() != 0:
                raise PysternError(sink.errors[0] if sink.errors else "a log stream failed")
        finally:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
