"""The --qps/--burst token bucket, with a fake clock."""

from __future__ import annotations

import pytest

from pystern.kube.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_qps() -> None:
    clock = Clock()
    bucket = TokenBucket(10, 3, clock=clock)
    assert [bucket.reserve() for _ in range(3)] == [0, 0, 0]
    assert [bucket.reserve() for _ in range(3)] == pytest.approx([0.1, 0.2, 0.3])  # served in order
    clock.now = 10.0  # refills, but never above the burst
    assert [bucket.reserve() for _ in range(4)] == pytest.approx([0, 0, 0, 0.1])


def test_disabled_with_negative_qps() -> None:
    bucket = TokenBucket(-1, 100, clock=Clock())
    assert not bucket.enabled
    assert all(bucket.reserve() == 0 for _ in range(10_000))


async def test_acquire_sleeps_for_its_share() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    bucket = TokenBucket(50, 1, clock=Clock(), sleep=sleep)
    assert await bucket.acquire() == 0
    assert await bucket.acquire() == pytest.approx(0.02)
    assert slept == pytest.approx([0.02])
