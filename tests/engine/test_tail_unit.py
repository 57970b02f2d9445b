"""Pure tests of the tail: line splitting, the resume point and exactly-once resumption."""

from __future__ import annotations

import asyncio
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pystern import errors
from pystern.model import (
    ContainerKind,
    ContainerStateName,
    ContainerStatus,
    NoticeKind,
    Pod,
    Target,
    Termination,
)
from pystern.tail import TRUNCATED, History, LineSplitter, ResumePoint, RetryPolicy, Tail, timestamp_of
from tests.engine.conftest import FakeCluster, RecordingSink, ScriptedLog, ts

BASE = 1_700_000_000 * 1_000_000_000
TARGET = Target("default", "web", "app", container_id="containerd://1", pod_uid="u1")
FAST = RetryPolicy(initial=0.0, maximum=0.0, jitter=0.0, eof_grace=0.0)


def _cluster(log: ScriptedLog) -> FakeCluster:
    """The scripted log of TARGET's container, whose pod the API server shows running that instance."""
    pod = Pod(
        TARGET.namespace,
        TARGET.pod,
        TARGET.pod_uid,
        statuses=(_status(ContainerStateName.RUNNING),),
    )
    return FakeCluster({"app": log}, pods=(pod,))


async def _no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def _status(state: ContainerStateName) -> ContainerStatus:
    term = Termination(0, "Completed", "containerd://1") if state is ContainerStateName.TERMINATED else None
    return ContainerStatus(
        "app", ContainerKind.REGULAR, state, container_id="containerd://1", terminated=term
    )


class ScriptStatus:
    """Running while the log's script has steps left, terminated after (the container stopped)."""

    def __init__(self, log: ScriptedLog) -> None:
        self.log = log

    def status(self, target: Target) -> ContainerStatus | None:
        running = not self.log.finished
        return _status(ContainerStateName.RUNNING if running else ContainerStateName.TERMINATED)

    async def wait_change(self, target: Target, within: float) -> None:
        await asyncio.sleep(min(within, 0.005))  # the script may end any time: look again soon

    def deleting(self, target: Target) -> bool:
        return False

    def lagging(self, target: Target) -> bool:
        return False


# ------------------------------------------------------------------ splitting
@given(
    st.lists(st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    st.lists(st.integers(min_value=1, max_value=25), min_size=1, max_size=50),
)
def test_any_chunking_gives_the_same_lines(lines: list[bytes], cuts: list[int]) -> None:
    data = b"".join(line + b"\n" for line in lines)
    splitter = LineSplitter()
    out: list[bytes] = []
    pos = 0
    i = 0
    while pos < len(data):
        size = cuts[i % len(cuts)]
        out.extend(splitter.feed(data[pos : pos + size]))
        pos += size
        i += 1
    assert out == lines
    assert splitter.finish() is None


def test_partial_last_line_is_kept_until_finish() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"a\nb") == [b"a"]
    assert splitter.feed(b"c") == []
    assert splitter.finish() == b"bc"


def test_a_huge_line_is_cut_with_a_marker_and_memory_stays_bounded() -> None:
    splitter = LineSplitter(max_line=10)
    out = []
    for _ in range(100):
        out.extend(splitter.feed(b"x" * 7))
    assert out == [b"x" * 10 + TRUNCATED]
    assert len(splitter._partial) == 0
    out = splitter.feed(b"yy\nnext\n")
    assert out == [b"next"]
    assert splitter.feed(b"0123456789ABC\nok\n") == [b"0123456789" + TRUNCATED, b"ok"]


def test_timestamp_shape() -> None:
    assert timestamp_of(b"2024-05-01T12:34:56.120000000Z hi") == b"2024-05-01T12:34:56.120000000Z"
    assert timestamp_of(b"unable to retrieve container logs") == b""
    assert timestamp_of(b"") == b""


# ------------------------------------------------------------------ resume point
def test_resume_point_counts_lines_with_the_exact_last_timestamp() -> None:
    rp = ResumePoint()
    a, b = ts(BASE), ts(BASE + 5)
    rp.update([a + b" 1", b + b" 2", b + b" 3"])
    assert (rp.ts, rp.count) == (b, 2)
    rp.update([b + b" 4"])
    assert (rp.ts, rp.count) == (b, 3)
    rp.update([b"error text without timestamp"])
    assert (rp.ts, rp.count) == (b, 3)
    rp.update([ts(BASE + 6) + b" 5"])
    assert (rp.ts, rp.count) == (ts(BASE + 6), 1)
    assert rp.since_time() == "2023-11-14T22:13:20Z"


records_strategy = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=40).map(
    lambda steps: [
        ts(BASE + sum(s * 400_000_000 + n for s, n in steps[: i + 1])) + f" line {i}".encode()
        for i in range(len(steps))
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    records_strategy,
    st.lists(st.tuples(st.sampled_from(["reset", "eof"]), st.integers(0, 400)), max_size=8),
    st.integers(1, 40),
)
def test_follow_resumes_every_line_exactly_once(
    records: list[bytes], script: list[tuple[str, int]], chunk: int
) -> None:
    """Breaks (reset or clean EOF while running) at any byte never lose or repeat a line,
    even when many lines share one timestamp or one second."""
    log = ScriptedLog(records, list(script), chunk=chunk)
    sink = RecordingSink()
    tail = Tail(
        _cluster(log),
        TARGET,
        sink,
        ScriptStatus(log),
        history=History.ALL,
        policy=FAST,
        sleep=_no_sleep,
        rng=random.Random(1),
    )
    assert asyncio.run(tail.run()) is None
    assert [line for _, line in sink.lines] == records
    # Every resumed request asks from the whole second of the last line (the kubelet's granularity).
    assert all(r.since_time is None or r.since_time.endswith("Z") for r in log.requests)
    kinds = [n.kind for n in sink.notices]
    assert kinds[0] is NoticeKind.STARTED
    assert kinds[-1] is NoticeKind.STOPPED


async def test_no_follow_resumes_after_a_reset_and_emits_the_final_partial_line() -> None:
    records = [ts(BASE + i) + f" l{i}".encode() for i in range(5)]
    log = ScriptedLog(records, [("reset", 40)])
    sink = RecordingSink()
    tail = Tail(
        _cluster(log),
        TARGET,
        sink,
        ScriptStatus(log),
        follow=False,
        policy=FAST,
        sleep=_no_sleep,
    )
    assert await tail.run() is None
    assert [line for _, line in sink.lines] == records
    assert len(sink.kinds(NoticeKind.RETRYING)) == 1


async def test_gives_up_after_consecutive_failures_without_lines() -> None:
    log = ScriptedLog([], [("error", errors.ApiError(500, "InternalError", "boom"))] * 20)
    sink = RecordingSink()
    status = ScriptStatus(log)
    tail = Tail(_cluster(log), TARGET, sink, status, policy=FAST, sleep=_no_sleep)
    result = await tail.run()
    assert isinstance(result, errors.ApiError)
    assert len(sink.kinds(NoticeKind.GAVE_UP)) == 1
    assert len(log.requests) == FAST.give_up_after


async def test_deleted_pod_404_gives_one_notice_and_ends() -> None:
    log = ScriptedLog([], [("error", errors.ApiError(404, "NotFound", 'pods "web" not found'))] * 3)
    sink = RecordingSink()
    tail = Tail(_cluster(log), TARGET, sink, ScriptStatus(log), policy=FAST, sleep=_no_sleep)
    assert await tail.run() is None
    (warning,) = sink.kinds(NoticeKind.WARNING)
    assert "default/web" in warning.text
    assert len(log.requests) == 1


async def test_waiting_errors_wait_for_a_status_change_without_giving_up() -> None:
    waiting = errors.ApiError(400, "BadRequest", 'container "app" in pod "web" is waiting to start: X')
    kubelet404 = errors.ApiError(
        404, "NotFound", "the server could not find the requested resource ( pods/log web)"
    )
    log = ScriptedLog([ts(BASE) + b" hello"], [("error", waiting), ("error", kubelet404)] * 8)
    sink = RecordingSink()
    tail = Tail(_cluster(log), TARGET, sink, ScriptStatus(log), policy=FAST, sleep=_no_sleep)
    assert await tail.run() is None
    assert sink.messages() == [b"hello"]
    assert not sink.kinds(NoticeKind.GAVE_UP)


def test_request_shapes() -> None:
    log = ScriptedLog([])
    t = Tail(
        _cluster(log),
        TARGET,
        RecordingSink(),
        ScriptStatus(log),
        since_seconds=10.7,
        tail_lines=5,
    )
    r = t.request()
    assert (r.since_seconds, r.tail_lines, r.since_time, r.follow) == (10, 5, None, True)
    t.history = History.ALL
    assert (t.request().since_seconds, t.request().tail_lines) == (None, None)
    t.history = History.NONE
    assert t.request().tail_lines == 0
    t.resume.update([ts(BASE + 123_456_789) + b" x"])
    r = t.request()
    assert (r.since_time, r.since_seconds, r.tail_lines) == ("2023-11-14T22:13:20Z", None, None)


async def test_an_unreachable_server_is_waited_for_not_given_up() -> None:
    down = errors.ConnectionFailed("connection refused")
    log = ScriptedLog([ts(BASE) + b" back"], [("error", down)] * 15)
    sink = RecordingSink()
    tail = Tail(_cluster(log), TARGET, sink, ScriptStatus(log), policy=FAST, sleep=_no_sleep)
    assert await tail.run() is None
    assert sink.messages() == [b"back"]
    assert not sink.kinds(NoticeKind.GAVE_UP)
    assert len(sink.kinds(NoticeKind.RETRYING)) == 1
