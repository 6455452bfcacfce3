"""A batch's budget taken at once grants what the device's messages one by one would have got."""

from __future__ import annotations

from core.rate_limit import Buckets


def test_taking_a_batch_at_once_grants_what_one_by_one_would():
    now = [0.0]
    one_by_one, at_once = (Buckets(rate=2, burst=5, clock=lambda: now[0]) for _ in range(2))
    wanted = {"a": 3, "b": 8}
    for step in (0.0, 0.5, 4.0):
        now[0] = step
        expected = {key: sum(one_by_one.allow(key) for _ in range(count)) for key, count in wanted.items()}
        assert at_once.take_all(wanted) == expected
    assert expected == {"a": 3, "b": 5}  # refilled to the burst after 3.5 s at 2 a second
