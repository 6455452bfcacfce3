"""A reading as one line: CO2 with its level marker, then every other catalogue metric it carries."""

from __future__ import annotations

from bot.texts import Translator
from core import catalogue
from core.services.readings import Co2Level, Reading, co2_level

CO2_MARKERS = {
    Co2Level.GOOD: "🟢",
    Co2Level.FAIR: "🟡",
    Co2Level.HIGH: "🟠",
    Co2Level.CRITICAL: "🔴",
}
ONLINE_DOT = {True: "🟢", False: "⚫"}


def reading_line(t: Translator, reading: Reading | None, device_type: str | None = None) -> str:
    """The device type's status metrics first, in its order (catalogue), then whatever else it sent."""
    if reading is None:
        return t("reading-none")
    first = catalogue.device_type(device_type).status if device_type else ()
    parts = []
    for metric in (*first, *(m for m in catalogue.METRIC_NAMES if m not in first)):
        value = reading.value(metric)
        if value is None:
            continue
        if metric == "co2":
            parts.append(t("reading-co2", marker=CO2_MARKERS[co2_level(value)], value=value))
        else:
            parts.append(t(f"reading-{metric}", value=value))
    return " · ".join(parts) if parts else t("reading-none")
