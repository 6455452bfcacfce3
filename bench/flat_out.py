"""The processor's rates while publishers push a backlog flat out, from row counts sampled meanwhile."""

from __future__ import annotations

from dataclasses import dataclass

from bench.load import JobResult


@dataclass(frozen=True, slots=True)
class FlatOut:
    overall: float  # readings/s from the first publish to the last commit
    while_publishing: float  # commit rate while the publishers ran (they compete for the CPU)
    after_publishing: float  # commit rate on the queue left when they stopped (the processor alone)
    committed: int
    complete: bool


def _committed_at(samples: list[tuple[float, int]], moment: float) -> int:
    before = [count for at, count in samples if at <= moment]
    return before[-1] if before else 0


def flat_out_rates(samples: list[tuple[float, int]], publishers: list[JobResult], backlog: int) -> FlatOut:
    first = min(job.first_send for job in publishers)
    last = max(job.last_send for job in publishers)
    done = next((at for at, count in samples if count >= backlog), samples[-1][0])
    final = samples[-1][1]
    at_last_publish = _committed_at(samples, last)
    after = (final - at_last_publish) / (done - last) if done > last else float("nan")
    return FlatOut(
        overall=final / (done - first),
        while_publishing=at_last_publish / (last - first),
        after_publishing=after,
        committed=final,
        complete=final >= backlog,
    )
