"""The morning digest: what happened overnight on a user's devices, queued once per user and local day.

Outbox payload of kind "digest": date (the user's local date), day_start, night_start, night_end, all_good
(no trouble overnight), devices: [{device_id, device_name, co2_threshold, co2_avg, co2_max,
minutes_above_threshold, held_alerts: [{alert_type, value, threshold, at}], sent_alerts (the same, for
alerts sent at once), offline_periods: [{start, end or null}], summary: [{summary, metric, value}]}].
`summary` is the device type's digest line (core.catalogue: e.g. a meter's consumption and peak power, a
computer's peak CPU, peak disk use and time offline), in its order, over the whole day since the previous
digest [day_start, night_end); a figure without readings then is left out. The rest is the night's
[night_start, night_end); an outage overlapping it shows from its start. all_good means no time above the
CO2 threshold, no alert (held or sent) and no outage overnight: a type's summary is news, not trouble, so a
meter's owner gets "all good" with the day's consumption.
Runs in the caller's transaction and never commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import catalogue, notify
from core.alerts.presence import MIN_SILENCE, offline_after
from core.catalogue import Summary
from core.models import OutboxMessage
from core.services import consumption
from core.services.presence import OFFLINE, ONLINE

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"
# The digest covers the 12 hours before it goes out: with the default 08:00, from 20:00 the evening before.
NIGHT = timedelta(hours=12)
# A type's summary line covers the whole day since the previous digest: what a meter used that day, a
# computer's peaks and time offline, not only their night's half.
DAY = timedelta(hours=24)
# Totals over the night need no local hours: UTC hours are always whole (core.services.consumption.usage).
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class HeldAlert:
    alert_type: str
    value: float | None
    threshold: float | None
    at: datetime


@dataclass(frozen=True, slots=True)
class OfflinePeriod:
    start: datetime
    end: datetime | None  # None: still offline when the night ended


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of a type's digest line: e.g. (USE, "energy_kwh", 3.25), (OFFLINE, "", minutes)."""

    summary: Summary
    metric: str
    value: float


@dataclass(slots=True)
class DeviceNight:
    device_id: int
    name: str
    co2_threshold: float
    # The catalogue type: the CO2 lines are for devices that measure CO2 (a meter's night has none).
    device_type: str = "co2"
    co2_avg: float | None = None
    co2_max: float | None = None
    above_threshold: timedelta = timedelta(0)
    held: list[HeldAlert] = field(default_factory=list)
    # Alerts of the night sent at once (night mode off, or critical): told again, the morning after.
    sent: list[HeldAlert] = field(default_factory=list)
    offline: list[OfflinePeriod] = field(default_factory=list)  # those of the night
    summary: list[Figure] = field(default_factory=list)  # over the day
    day_offline: list[OfflinePeriod] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        """No trouble overnight: no time above the threshold, no alert, no outage."""
        return not (self.above_threshold or self.held or self.sent or self.offline)

    def as_payload(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "device_name": self.name,
            "measures_co2": "co2" in catalogue.device_type(self.device_type).metrics,
            "co2_threshold": self.co2_threshold,
            "co2_avg": None if self.co2_avg is None else round(self.co2_avg, 1),
            "co2_max": self.co2_max,
            "minutes_above_threshold": round(self.above_threshold.total_seconds() / 60, 1),
            "held_alerts": [_alert(a) for a in self.held],
            "sent_alerts": [_alert(a) for a in self.sent],
            "offline_periods": [
                {"start": p.start.isoformat(), "end": p.end.isoformat() if p.end else None}
                for p in self.offline
            ],
            "summary": [
                {"summary": str(item.summary), "metric": item.metric, "value": round(item.value, 3)}
                for item in self.summary
            ],
        }


def _alert(alert: HeldAlert) -> dict[str, Any]:
    return {
        "alert_type": alert.alert_type,
        "value": alert.value,
        "threshold": alert.threshold,
        "at": alert.at.isoformat(),
    }


@dataclass(frozen=True, slots=True)
class DueDigest:
    user_id: int
    local_date: date
    at: datetime  # the digest hour of that local date, in UTC

    @property
    def dedup_key(self) -> str:
        return f"digest:{self.user_id}:{self.local_date.isoformat()}"


_DEVICES = text("""
SELECT d.id, COALESCE(d.name, d.device_uid) AS name, d.device_type,
       COALESCE(r.threshold, c.co2_threshold, 1000) AS threshold, COALESCE(c.report_interval, 30) AS interval
FROM user_devices ud
JOIN devices d ON d.id = ud.device_id
LEFT JOIN device_configs c ON c.device_id = d.id
LEFT JOIN alert_rules r ON r.device_id = d.id AND r.metric = 'co2' AND r.direction = 'above'
WHERE ud.user_id = :user_id
ORDER BY d.id
""")

# A reading stands for the time until the next one, but a gap longer than the offline limit is an outage,
# not time spent above the threshold; the last reading counts up to the end of the night, same limit.
_CO2 = text("""
WITH dev AS (
    SELECT * FROM unnest(CAST(:ids AS int[]), CAST(:thresholds AS float8[]), CAST(:gaps AS float8[]))
        AS v(device_id, threshold, gap)
), t AS (
    SELECT device_id, ts, co2, lead(ts) OVER (PARTITION BY device_id ORDER BY ts) AS next_ts
    FROM telemetry
    WHERE device_id = ANY(CAST(:ids AS int[])) AND ts >= :start AND ts < :end AND co2 IS NOT NULL
)
SELECT t.device_id, avg(t.co2) AS co2_avg, max(t.co2) AS co2_max,
       COALESCE(sum(extract(epoch FROM LEAST(COALESCE(t.next_ts, CAST(:end AS timestamptz)) - t.ts,
                                             make_interval(secs => dev.gap))))
                FILTER (WHERE t.co2 > dev.threshold), 0) AS above_seconds
FROM t JOIN dev USING (device_id)
GROUP BY t.device_id
""")

_ALERTS = text("""
SELECT device_id, type, value, threshold, held, created_at FROM alerts
WHERE user_id = :user_id AND created_at >= :start AND created_at < :end
  AND (held OR type IN (:offline, :online) OR type ~ '_(high|low|critical)$')
ORDER BY created_at, id
""")

_DUE = text("""
WITH zones AS MATERIALIZED (SELECT name FROM pg_timezone_names)
SELECT u.id, u.timezone, u.digest_hour,
       CAST(CAST(:now AS timestamptz) AT TIME ZONE u.timezone AS date) AS local_date
FROM users u
WHERE u.digest_enabled AND u.is_active
  AND u.timezone IN (SELECT name FROM zones)
  AND extract(hour FROM CAST(:now AS timestamptz) AT TIME ZONE u.timezone) = u.digest_hour
  AND EXISTS (SELECT 1 FROM user_devices ud WHERE ud.user_id = u.id)
  AND NOT EXISTS (
      SELECT 1 FROM notification_outbox o
      WHERE o.dedup_key = 'digest:' || u.id || ':'
                          || to_char(CAST(:now AS timestamptz) AT TIME ZONE u.timezone, 'YYYY-MM-DD'))
ORDER BY u.id
LIMIT :limit
""")


async def night_summary(
    session: AsyncSession,
    user_id: int,
    night_start: datetime,
    night_end: datetime,
    min_silence: timedelta = MIN_SILENCE,
    *,
    day_start: datetime | None = None,
) -> list[DeviceNight]:
    """Per device of the user, over [night_start, night_end): CO2 average and maximum, time above the CO2
    threshold (from telemetry), alerts held by night mode, and offline periods (from offline/online alerts)
    that overlap the night; over [day_start, night_end) (default: DAY before the night's end), the type's
    summary figures. A gap between readings counts as above the threshold only up to the offline limit,
    whose floor is `min_silence` (OFFLINE_MIN_SILENCE_SECONDS, the same the presence sweep uses).
    """
    day_start = night_end - DAY if day_start is None else day_start
    devices = {row.id: row for row in await session.execute(_DEVICES, {"user_id": user_id})}
    nights = {
        id_: DeviceNight(id_, row.name, float(row.threshold), row.device_type) for id_, row in devices.items()
    }
    if not nights:
        return []
    ids = list(devices)
    params = {
        "ids": ids,
        "thresholds": [float(devices[i].threshold) for i in ids],
        "gaps": [offline_after(devices[i].interval, min_silence).total_seconds() for i in ids],
        "start": night_start,
        "end": night_end,
    }
    for row in await session.execute(_CO2, params):
        night = nights[row.device_id]
        night.co2_avg, night.co2_max = float(row.co2_avg), float(row.co2_max)
        night.above_threshold = timedelta(seconds=float(row.above_seconds))
    alerts = await session.execute(
        _ALERTS,
        {"user_id": user_id, "start": day_start, "end": night_end, "offline": OFFLINE, "online": ONLINE},
    )
    for row in alerts:
        if row.device_id in nights:
            _add_alert(nights[row.device_id], row, day_start, night_start)
    gauges = await _gauges(session, list(nights.values()), day_start, night_end)
    for night in nights.values():
        night.offline = [p for p in night.day_offline if p.end is None or p.end > night_start]
        figures = gauges.get(night.device_id, {})
        night.summary = await _summary(session, night, figures, (day_start, night_end))
    return list(nights.values())


async def _gauges(
    session: AsyncSession, nights: list[DeviceNight], start: datetime, end: datetime
) -> dict[int, dict[tuple[Summary, str], float]]:
    """The averages and peaks the devices' digest lines ask for, in one pass over the night's readings."""
    wanted = {
        (item.summary, item.metric)
        for night in nights
        for item in catalogue.device_type(night.device_type).digest
        if item.summary in (Summary.AVERAGE, Summary.PEAK)
    }
    ids = [n.device_id for n in nights if any(i.metric for i in catalogue.device_type(n.device_type).digest)]
    if not wanted or not ids:
        return {}
    columns = sorted(wanted)
    # Metric names come from the catalogue, never from input, and AVERAGE/PEAK are spelled as SQL's avg/max:
    # safe to place in the statement.
    aggregates = ", ".join(f"{summary}({metric})" for summary, metric in columns)
    rows = await session.execute(
        text(
            f"SELECT device_id, {aggregates} FROM telemetry"
            " WHERE device_id = ANY(CAST(:ids AS int[])) AND ts >= :start AND ts < :end GROUP BY device_id"
        ),
        {"ids": ids, "start": start, "end": end},
    )
    return {
        row[0]: {key: float(value) for key, value in zip(columns, row[1:], strict=True) if value is not None}
        for row in rows
    }


async def _summary(
    session: AsyncSession,
    night: DeviceNight,
    gauges: dict[tuple[Summary, str], float],
    span: tuple[datetime, datetime],
) -> list[Figure]:
    figures = []
    for item in catalogue.device_type(night.device_type).digest:
        value: float | None
        if item.summary is Summary.OFFLINE:
            value = _offline_minutes(night.day_offline, span[1])
        elif item.summary is Summary.USE:
            steps = await consumption.usage(session, night.device_id, item.metric, *span, zone=UTC_ZONE)
            value = sum(step.increase for step in steps) if steps else None
        else:
            value = gauges.get((item.summary, item.metric))
        if value is not None:
            figures.append(Figure(item.summary, item.metric, value))
    return figures


def _offline_minutes(periods: list[OfflinePeriod], night_end: datetime) -> float:
    return sum(((p.end or night_end) - p.start).total_seconds() for p in periods) / 60


def _add_alert(night: DeviceNight, row: Any, day_start: datetime, night_start: datetime) -> None:
    periods = night.day_offline
    if row.type == OFFLINE:
        periods.append(OfflinePeriod(row.created_at, None))
    elif row.type == ONLINE:
        if periods and periods[-1].end is None:
            periods[-1] = OfflinePeriod(periods[-1].start, row.created_at)
        else:  # went offline before the day began
            periods.append(OfflinePeriod(day_start, row.created_at))
    elif row.created_at >= night_start:
        alert = HeldAlert(row.type, row.value, row.threshold, row.created_at)
        (night.held if row.held else night.sent).append(alert)


async def users_due_for_digest(session: AsyncSession, now: datetime, limit: int = 500) -> list[DueDigest]:
    """Users whose local hour is their digest hour now, with digests on, devices, and no digest yet today."""
    due = []
    for row in await session.execute(_DUE, {"now": now, "limit": limit}):
        try:
            zone = ZoneInfo(row.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("digest skipped, unknown time zone user_id=%s timezone=%r", row.id, row.timezone)
            continue
        at = datetime.combine(row.local_date, time(row.digest_hour), tzinfo=zone).astimezone(UTC)
        due.append(DueDigest(row.id, row.local_date, at))
    return due


async def queue_due_digests(
    session: AsyncSession, now: datetime, limit: int = 500, min_silence: timedelta = MIN_SILENCE
) -> int:
    """Queue the digests of up to `limit` due users; returns how many users were due. Call again while it
    returns `limit`. `min_silence`: OFFLINE_MIN_SILENCE_SECONDS (see night_summary).

    Guarantees: at most one digest per user and local date (a unique dedup key), also with several callers.
    """
    due = await users_due_for_digest(session, now, limit)
    queued = []
    for item in due:
        nights = await night_summary(session, item.user_id, item.at - NIGHT, item.at, min_silence)
        outbox_id = await _queue(session, item, nights, now)
        if outbox_id is not None:
            queued.append(outbox_id)
    if queued:
        await notify.notify(session, notify.OUTBOX, str(max(queued)))
    return len(due)


async def _queue(
    session: AsyncSession, item: DueDigest, nights: list[DeviceNight], now: datetime
) -> int | None:
    payload = {
        "date": item.local_date.isoformat(),
        "day_start": (item.at - DAY).isoformat(),
        "night_start": (item.at - NIGHT).isoformat(),
        "night_end": item.at.isoformat(),
        "all_good": all(night.quiet for night in nights),
        "devices": [night.as_payload() for night in nights],
    }
    statement = (
        insert(OutboxMessage)
        .values(
            user_id=item.user_id,
            kind=DIGEST_KIND,
            payload=payload,
            dedup_key=item.dedup_key,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedup_key])
        .returning(OutboxMessage.id)
    )
    return await session.scalar(statement)
