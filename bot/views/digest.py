"""The morning digest: the outbox payload of core.services.digest as the user's text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.texts import Translator
from bot.views.alerts import alert_what
from bot.views.fitting import fit_blocks
from bot.views.moments import duration_text, local_moment, parse_moment
from bot.views.notices import metric_name, metric_value
from core.catalogue import Summary


def digest_text(t: Translator, payload: dict[str, Any], timezone: str, now: datetime) -> str:
    devices = payload.get("devices", [])
    if payload.get("all_good"):
        # A quiet night still brings a meter's or a computer's day in figures, one line each.
        days = [
            t("digest-day", device=str(device.get("device_name", "?")), figures=figures)
            for device in devices
            if (figures := _figures(t, device))
        ]
        return fit_blocks(t, t("digest-all-good"), days, separator="\n", more_key="digest-more")
    # A digest of many devices is cut at a device boundary, pointing to /status for the rest.
    blocks = [_device(t, device, timezone, now) for device in devices]
    return fit_blocks(t, t("digest-title", date=_date(payload)), blocks, more_key="digest-more")


def _date(payload: dict[str, Any]) -> str:
    try:
        return datetime.fromisoformat(str(payload.get("date"))).strftime("%d.%m.%Y")
    except ValueError:
        return str(payload.get("date", ""))


def _device(t: Translator, device: dict[str, Any], timezone: str, now: datetime) -> str:
    lines = [t("digest-device", device=str(device.get("device_name", "?")))]
    # A meter's or a computer's night is told by its type's summary line, held alerts and outages below.
    measures_co2 = device.get("measures_co2", True)
    if measures_co2 and device.get("co2_max") is None:
        lines.append(t("digest-co2-none"))
    elif measures_co2:
        avg, peak = metric_value(t, "co2", device.get("co2_avg")), metric_value(t, "co2", device["co2_max"])
        lines.append(t("digest-co2", avg=avg, max=peak))
    minutes = float(device.get("minutes_above_threshold") or 0)
    if minutes > 0:
        threshold = metric_value(t, "co2", device.get("co2_threshold"))
        lines.append(t("digest-above", threshold=threshold, duration=duration_text(t, minutes * 60)))
    figures = _figures(t, device)
    if figures:
        lines.append(t("digest-summary", figures=figures))
    for key, alerts in (("digest-held", "held_alerts"), ("digest-sent", "sent_alerts")):
        for alert in device.get(alerts) or []:
            what = alert_what(t, str(alert.get("alert_type")), alert.get("value"), alert.get("threshold"))
            lines.append(t(key, what=what, time=_moment(alert.get("at"), timezone, now)))
    for period in device.get("offline_periods", []):
        start = _moment(period.get("start"), timezone, now)
        if period.get("end"):
            lines.append(t("digest-offline", start=start, end=_moment(period["end"], timezone, now)))
        else:
            lines.append(t("digest-offline-ongoing", start=start))
    return "\n".join(lines)


def _figures(t: Translator, device: dict[str, Any]) -> str:
    """The device type's digest line over the day, e.g. "energy used 13.5 kWh · power peak 2,400 W"."""
    summary = device.get("summary") or []
    return " · ".join(_figure(t, figure) for figure in summary if isinstance(figure, dict))


def _figure(t: Translator, figure: dict[str, Any]) -> str:
    """One figure of the type's digest line (core.catalogue.DigestItem), e.g. "power peak 2,100 W"."""
    kind, metric, value = str(figure.get("summary")), str(figure.get("metric", "")), figure.get("value")
    if kind == Summary.OFFLINE:
        minutes = float(value) if isinstance(value, int | float) else 0.0
        if minutes <= 0:
            return t("digest-summary-online")
        return t("digest-summary-offline", duration=duration_text(t, minutes * 60))
    return t(f"digest-summary-{kind}", metric=metric_name(t, metric), value=metric_value(t, metric, value))


def _moment(value: object, timezone: str, now: datetime) -> str:
    moment = parse_moment(value)
    return local_moment(moment, timezone, now) if moment else "?"
