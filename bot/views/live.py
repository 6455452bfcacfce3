"""The text of a /live or /watch message: each device's newest reading and when it was taken."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.texts import Translator
from bot.views.fitting import fit_blocks
from bot.views.readings import ONLINE_DOT, reading_line
from core.services.devices import DeviceSummary


def live_text(t: Translator, devices: list[DeviceSummary], until: datetime, timezone: str) -> str:
    zone = ZoneInfo(timezone)
    blocks = [
        t(
            "live-device",
            dot=ONLINE_DOT[device.is_online],
            name=device.name,
            reading=reading_line(t, device.reading, device.device_type),
            time=device.reading.ts.astimezone(zone).strftime("%H:%M:%S") if device.reading else "—",
        )
        for device in devices
    ]
    footer = t("live-footer", until=until.astimezone(zone).strftime("%H:%M"))
    return fit_blocks(t, t("live-title"), blocks, tail=footer)


def ended_text(t: Translator, devices: list[DeviceSummary], timezone: str, until: datetime) -> str:
    """The message as it stays once the view ended: the last readings, marked as no longer live."""
    body = live_text(t, devices, until, timezone).split("\n\n")[1:-1]
    return "\n\n".join([t("live-ended-title"), *body])
