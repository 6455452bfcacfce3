"""The desired config on its way to the device (SPEC section 3): which versions still need publishing, the
retained `devices/{uid}/config` document, and the device's confirmation. The processor's side of
core.services.settings, where owners change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import transport
from core.models import DeviceConfig


@dataclass(frozen=True, slots=True)
class OutgoingConfig:
    device_id: int
    uid: str
    version: int
    payload: dict[str, Any]


_UNPUBLISHED = text(
    """
    SELECT c.device_id, d.device_uid, c.version, c.report_interval, c.alerts_enabled, c.co2_threshold,
           c.night_mode_start, c.night_mode_end
    FROM device_configs c JOIN devices d ON d.id = c.device_id
    WHERE c.published_version < c.version
      AND d.device_uid NOT LIKE :agent_uids  -- an agent (HTTP) reads no retained config
    ORDER BY c.device_id
    LIMIT :limit
    """
)


async def unpublished_configs(session: AsyncSession, limit: int = 1000) -> list[OutgoingConfig]:
    """Configs whose current version has not been published yet (SPEC section 3 payloads)."""
    rows = await session.execute(_UNPUBLISHED, {"limit": limit, **transport.AGENT_UIDS})
    return [
        OutgoingConfig(
            row.device_id,
            row.device_uid,
            row.version,
            config_payload(
                version=row.version,
                report_interval=row.report_interval,
                alerts_enabled=row.alerts_enabled,
                co2_threshold=row.co2_threshold,
                night_start=row.night_mode_start,
                night_end=row.night_mode_end,
            ),
        )
        for row in rows
    ]


def config_payload(
    *,
    version: int,
    report_interval: int,
    alerts_enabled: bool,
    co2_threshold: int,
    night_start: int | None,
    night_end: int | None,
) -> dict[str, Any]:
    """The retained `devices/{uid}/config` document."""
    night = None if night_start is None or night_end is None else {"start": night_start, "end": night_end}
    return {
        "version": version,
        "report_interval": report_interval,
        "alerts_enabled": alerts_enabled,
        "co2_threshold": co2_threshold,
        "night_mode": night,
    }


async def mark_published(session: AsyncSession, device_id: int, version: int) -> None:
    """The broker acknowledged `version`; a later version published meanwhile is not rolled back."""
    await session.execute(
        update(DeviceConfig)
        .where(DeviceConfig.device_id == device_id, DeviceConfig.published_version < version)
        .values(published_version=version)
    )
    await session.commit()


async def record_applied(session: AsyncSession, device_id: int, version: int) -> bool:
    """The device says it runs config `version`; only moves forward, never beyond the desired version."""
    stored = await session.execute(
        update(DeviceConfig)
        .where(
            DeviceConfig.device_id == device_id,
            DeviceConfig.applied_version < version,
            DeviceConfig.version >= version,
        )
        .values(applied_version=version)
    )
    return bool(stored.rowcount)  # type: ignore[attr-defined]
