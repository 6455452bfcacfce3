"""Keyed token buckets that answer at once (allow or refuse), for input we may drop: SPEC 3's per-device
budget (10 messages/s on average, bursts of up to 6 000) and the like."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

DEVICE_RATE = 10.0
DEVICE_BURST = 6000.0
_MAX_KEYS = 100_000
K = TypeVar("K", bound=Hashable)


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

    def take_all(self, wanted: Mapping[K, int]) -> dict[K, int]:
        """How many of `wanted[key]` unit-cost requests of each key, all arriving now, the buckets let
        through: what as many allow() calls in a row would say, in one step (ingest budgets a received batch
        at once: one clock reading for all its devices)."""
        now = self._clock()
        state, burst, rate = self._state, self._burst, self._rate
        granted = {}
        for key, count in wanted.items():
            held = state.get(key)
            if held is None:
                if len(state) >= _MAX_KEYS:
                    state.clear()  # made-up keys must not grow memory; a cleared bucket starts full
                tokens = burst
            else:
                tokens = min(burst, held[0] + (now - held[1]) * rate)
            given = granted[key] = min(count, int(tokens))
            state[key] = (tokens - given, now)
        return granted
