"""Keyed token buckets that answer at once (allow or refuse), for input we may drop: SPEC 3's per-device
budget (10 messages/s on average, bursts of up to 6 000) and the like."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

DEVICE_RATE = 10.0
DEVICE_BURST = 6000.0
_MAX_KEYS = 100_000


class Buckets:
    def __init__(
        self,
        rate: float = DEVICE_RATE,
        burst: float = DEVICE_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._state: dict[Hashable, tuple[float, float]] = {}  # key → (tokens, when)

    def allow(self, key: Hashable, cost: float = 1.0) -> bool:
        """Take `cost` tokens from `key`'s bucket if it holds them; False (and nothing taken) otherwise."""
        now = self._clock()
        tokens, then = self._state.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        if len(self._state) >= _MAX_KEYS and key not in self._state:
            self._state.clear()  # made-up keys must not grow memory; a cleared bucket starts full
        if tokens < cost:
            self._state[key] = (tokens, now)
            return False
        self._state[key] = (tokens - cost, now)
        return True

    def take(self, key: Hashable, wanted: int) -> int:
        """How many of `wanted` unit-cost requests of `key`, arriving now, the bucket lets through: what as
        many allow() calls in a row would say, in one step (ingest budgets a device's whole batch at once)."""
        now = self._clock()
        tokens, then = self._state.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        if len(self._state) >= _MAX_KEYS and key not in self._state:
            self._state.clear()
        granted = min(wanted, int(tokens))
        self._state[key] = (tokens - granted, now)
        return granted
