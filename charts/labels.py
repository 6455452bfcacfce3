"""Words on the charts; English by default, the bot passes the user's language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

_METRICS_EN = {
    "co2": "CO₂, ppm",
    "temperature": "Temperature, °C",
    "humidity": "Humidity, %",
    "pm25": "PM2.5, µg/m³",
    "voc": "VOC",
}
_METRICS_RU = {
    "co2": "CO₂, ppm",
    "temperature": "Температура, °C",
    "humidity": "Влажность, %",
    "pm25": "PM2.5, мкг/м³",
    "voc": "ЛОС",
}


@dataclass(frozen=True, slots=True)
class Labels:
    metrics: Mapping[str, str] = field(default_factory=lambda: dict(_METRICS_EN))
    no_data: str = "No data for this period"
    stats: str = "min {min} · avg {avg} · max {max}"
    threshold: str = "threshold {value}"
    offline: str = "offline"
    time_axis: str = "Time ({zone})"
    zones: tuple[str, str, str, str] = ("good", "fair", "poor", "bad")
    report_title: str = "Monthly report · {device} · {month}"
    daily_co2: str = "CO₂ by day: average and maximum, ppm"
    daily_metric: str = "{metric} by day: average and maximum"
    average: str = "average"
    maximum: str = "maximum"
    hours_above: str = "Hours above {value} ppm"
    uptime: str = "Uptime, %"
    alerts: str = "Alerts"
    no_alerts: str = "No alerts this month"
    summary: tuple[str, str, str] = ("Uptime", "Hours above threshold", "Alerts")
    alert_columns: tuple[str, str, str, str] = ("Time", "Alert", "Value", "Threshold")

    def metric(self, name: str) -> str:
        return self.metrics.get(name, name)


ENGLISH = Labels()
RUSSIAN = Labels(
    metrics=dict(_METRICS_RU),
    no_data="Нет данных за этот период",
    stats="мин {min} · сред {avg} · макс {max}",
    threshold="порог {value}",
    offline="нет связи",
    time_axis="Время ({zone})",
    zones=("хорошо", "норма", "плохо", "очень плохо"),
    report_title="Отчёт за месяц · {device} · {month}",
    daily_co2="CO₂ по дням: среднее и максимум, ppm",
    daily_metric="{metric} по дням: среднее и максимум",
    average="среднее",
    maximum="максимум",
    hours_above="Часов выше {value} ppm",
    uptime="Время на связи, %",
    alerts="Оповещения",
    no_alerts="Оповещений за месяц не было",
    summary=("На связи", "Часов выше порога", "Оповещений"),
    alert_columns=("Время", "Оповещение", "Значение", "Порог"),
)


def for_language(language: str) -> Labels:
    """Russian for "ru", English for everything else (as the bot's texts)."""
    return RUSSIAN if language.lower().startswith("ru") else ENGLISH
