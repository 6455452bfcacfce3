"""The benchmark's table: each figure beside its baseline, the ratio, the target and whether it is met."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    figure: str
    value: float
    unit: str
    baseline: tuple[str, float] | None = None
    target: str = ""
    met: bool | None = None


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "msg/s":
        return f"{value:,.0f} {unit}"
    return f"{value:,.1f} {unit}" if unit != "%" else f"{value:.0f} %"


def print_table(rows: list[Row]) -> None:
    header = ("figure", "value", "baseline", "ratio", "target", "")
    lines = [header]
    for row in rows:
        baseline = ratio = ""
        if row.baseline is not None:
            name, value = row.baseline
            baseline = f"{name} {_number(value, row.unit)}"
            ratio = f"{row.value / value:.1f}×" if value else "n/a"
        verdict = "" if row.met is None else ("MET" if row.met else "MISSED")
        lines.append((row.figure, _number(row.value, row.unit), baseline, ratio, row.target, verdict))
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    print()
    for index, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print()


def machine_load() -> str:
    """Cores and load averages: on a shared machine, how much of the CPU a run really had."""
    one, five, fifteen = os.getloadavg()
    return f"machine: {os.cpu_count()} cores, load average {one:.2f} {five:.2f} {fifteen:.2f}"
