"""A reading as one line: CO2 with its level marker, then every other catalogue metric it carries."""

from __future__ import annotations

from bot.texts import Translator
from core.catalogue import METRIC_NAMES
from core.services.readings import Co2Level, Reading, co2_level

CO2_MARKERS = {
    Co2Level.GOOD: "🟢",
    Co2Level.FAIR: "🟡",
    Co2Level.HIGH: "🟠",
    Co2Level.CRITICAL: "🔴",
}
ONLINE_DOT = {True: "🟢", False: "⚫"}


def reading_line(t: Translator, reading: Reading | None) -> str:
    if reading is None:
        return t("reading-none")
    parts = []
    if reading.co2 is not None:
        parts.append(t("reading-co2", marker=CO2_MARKERS[co2_level(reading.co2)], value=reading.co2))
    for metric in METRIC_NAMES[1:]:  # catalogue order; co2 (the first) has its marker above
        value = reading.value(metric)
        if value is not None:
            parts.append(t(f"reading-{metric}", value=value))
    return " · ".join(parts) if parts else t("reading-none")
