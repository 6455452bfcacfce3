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
    "energy_kwh": "Energy, kWh",
    "power_w": "Power, W",
    "voltage_v": "Voltage, V",
    "current_a": "Current, A",
    "cpu_percent": "CPU, %",
    "mem_percent": "Memory, %",
    "disk_percent": "Disk, %",
    "load1": "Load (1 min)",
}
_METRICS_RU = {
    "co2": "CO₂, ppm",
    "temperature": "Температура, °C",
    "humidity": "Влажность, %",
    "pm25": "PM2.5, мкг/м³",
    "voc": "ЛОС",
    "energy_kwh": "Энергия, кВт·ч",
    "power_w": "Мощность, Вт",
    "voltage_v": "Напряжение, В",
    "current_a": "Ток, А",
    "cpu_percent": "ЦП, %",
    "mem_percent": "Память, %",
    "disk_percent": "Диск, %",
    "load1": "Нагрузка (1 мин)",
}


@dataclass(frozen=True, slots=True)
class Labels:
    metrics: Mapping[str, str] = field(default_factory=lambda: dict(_METRICS_EN))
    no_data: str = "No data for this period"
    consumption: str = "{metric} consumed · total {total}"
    use_figures: tuple[str, str, str, str, str] = (
        "Consumed",
        "Day",
        "Night 23–07",
        "Register, start",
        "Register, end",
    )
    daily_use: str = "Consumed by day"
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
    consumption="{metric}: потребление · всего {total}",
    use_figures=("Потреблено", "День", "Ночь 23–07", "Показание, начало", "Показание, конец"),
    daily_use="Потребление по дням",
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
