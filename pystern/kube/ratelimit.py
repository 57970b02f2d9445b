"""Client-side rate limit on request starts (``--qps`` / ``--burst``), client-go style.

Only starting a request costs a token; the bytes of a long stream cost nothing.  The
bucket is a reservation scheme: each caller takes a token at once (the count may go
negative) and sleeps for its share, so waiters are served in arrival order without a
lock and the wait of the N-th caller is exact.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    """``qps`` tokens per second, at most ``burst`` saved up; ``qps <= 0`` disables it."""

    def __init__(
        self,
        qps: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.qps = qps
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._last = clock()

    @property
    def enabled(self) -> bool:
        """Whether requests are throttled at all."""
        return self.qps > 0

    def reserve(self) -> float:
        """Take one token; return how long the caller must wait before starting."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    async def acquire(self) -> float:
        """Wait for a token; returns the seconds waited (for ``--verbosity`` reporting)."""
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)
        return wait
