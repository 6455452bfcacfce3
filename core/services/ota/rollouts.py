"""Rollouts (SPEC 6): firmware to one device, a canary share of a type, or all of a type, stage by stage.

The operator's and the owner's side: start, widen, pause, resume, cancel, and the counts /rollouts shows.
Every change commits with an OTA_CHANGED NOTIFY; the processor (core.services.ota.delivery) publishes the
devices' documents and judges the stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import notify
from core.models import Device, Firmware, Rollout, RolloutTarget
from core.services.ota.firmware import State as FirmwareState
from core.services.ota.rules import (
    Counts,
    RolloutState,
    Scope,
    after_action,
    stage_quota,
    stages_for,
)

DEFAULT_TIMEOUT = timedelta(minutes=30)
ACTIVE = (RolloutState.RUNNING, RolloutState.PAUSED, RolloutState.HALTED)


class RolloutError(Exception):
    """A rollout that cannot start or change; the subclass says why."""


class NoDevices(RolloutError):
    """No device of the type needs this firmware (all run it, or are in another rollout)."""


class Withdrawn(RolloutError):
    """The firmware was withdrawn."""


class WrongType(RolloutError):
    """The device is not of the firmware's type."""


class NoStageLeft(RolloutError):
    """The rollout already covers its last stage, or is not running."""


@dataclass(frozen=True, slots=True)
class RolloutSummary:
    id: int
    device_type: str
    version: str
    scope: Scope
    stage: int
    stages: tuple[int, ...]
    state: RolloutState
    failure_threshold: int
    counts: Counts

    @property
    def last_stage(self) -> bool:
        return self.stage >= len(self.stages) - 1


# Devices of the type that may join a rollout, in an order fixed per rollout (a canary is a fair sample,
# and widening the stage adds devices after those already chosen).
_CANDIDATES = text(
    """
    SELECT d.id FROM devices d
    WHERE d.device_type = :device_type AND d.paired_at IS NOT NULL
      AND d.firmware_version IS DISTINCT FROM :version
      AND NOT EXISTS (SELECT 1 FROM rollout_targets t WHERE t.device_id = d.id AND t.rollout_id = :rollout_id)
      AND NOT EXISTS (
          SELECT 1 FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
          WHERE t.device_id = d.id AND t.finished_at IS NULL AND r.id <> :rollout_id
            AND r.state IN ('running', 'paused', 'halted')
      )
    ORDER BY md5(d.device_uid || ':' || :rollout_id)
    LIMIT :limit
    """
)


async def start(
    session: AsyncSession,
    *,
    firmware_id: int,
    scope: Scope,
    device_id: int | None = None,
    stages: list[int] | None = None,
    failure_threshold: int = 0,
    silence: timedelta = DEFAULT_TIMEOUT,
    started_by: int | None = None,
) -> int:
    """Start a rollout with its first stage's devices; commits and wakes the processor. Raises Withdrawn,
    WrongType or NoDevices (then nothing is stored)."""
    firmware = await session.get(Firmware, firmware_id)
    if firmware is None or firmware.state == FirmwareState.WITHDRAWN:
        raise Withdrawn(str(firmware_id))
    rollout = Rollout(
        firmware_id=firmware_id,
        scope=scope,
        device_id=device_id if scope is Scope.DEVICE else None,
        stages=stages_for(scope, stages) if stages else stages_for(scope),
        stage=0,
        failure_threshold=max(failure_threshold, 0),
        timeout_seconds=int(silence.total_seconds()),
        state=RolloutState.RUNNING,
        started_by=started_by,
    )
    session.add(rollout)
    await session.flush()
    added = await _fill_stage(session, rollout, firmware)
    if not added:
        await session.rollback()
        raise NoDevices(firmware.device_type)
    await notify.notify(session, notify.OTA_CHANGED, str(rollout.id))
    await session.commit()
    return rollout.id


async def _fill_stage(session: AsyncSession, rollout: Rollout, firmware: Firmware) -> int:
    """Add the devices the current stage covers beyond those already in; returns how many."""
    if rollout.scope == Scope.DEVICE:
        device = await session.get(Device, rollout.device_id)
        if device is None or device.device_type != firmware.device_type:
            raise WrongType(str(rollout.device_id))
        ids = [device.id]
    else:
        fleet = await session.scalar(
            select(func.count())
            .select_from(Device)
            .where(Device.device_type == firmware.device_type, Device.paired_at.is_not(None))
        )
        already = await session.scalar(
            select(func.count()).select_from(RolloutTarget).where(RolloutTarget.rollout_id == rollout.id)
        )
        wanted = stage_quota(int(fleet or 0), rollout.stages[rollout.stage]) - int(already or 0)
        if wanted <= 0:
            return 0
        params = {
            "device_type": firmware.device_type,
            "version": firmware.version,
            "rollout_id": rollout.id,
            "limit": wanted,
        }
        ids = list(await session.scalars(_CANDIDATES, params))
    session.add_all(RolloutTarget(rollout_id=rollout.id, device_id=i, stage=rollout.stage) for i in ids)
    await session.flush()
    return len(ids)


async def widen(session: AsyncSession, rollout_id: int) -> int:
    """Move a running rollout to its next stage; returns how many devices joined. Commits."""
    rollout = await session.get(Rollout, rollout_id, with_for_update=True, populate_existing=True)
    if rollout is None or rollout.state != RolloutState.RUNNING or rollout.stage >= len(rollout.stages) - 1:
        raise NoStageLeft(str(rollout_id))
    firmware = await session.get(Firmware, rollout.firmware_id)
    assert firmware is not None
    rollout.stage += 1
    added = await _fill_stage(session, rollout, firmware)
    await notify.notify(session, notify.OTA_CHANGED, str(rollout.id))
    await session.commit()
    return added


async def act(session: AsyncSession, rollout_id: int, action: str, now: datetime) -> RolloutState:
    """Pause, resume or cancel; NotAllowed when the action does not apply to the rollout's state. Commits.
    Cancelling makes the processor clear every device's retained `ota` document."""
    rollout = await session.get(Rollout, rollout_id, with_for_update=True, populate_existing=True)
    if rollout is None:
        raise NoStageLeft(str(rollout_id))
    rollout.state = after_action(RolloutState(rollout.state), action)
    if rollout.state == RolloutState.CANCELLED:
        rollout.finished_at = now
    await notify.notify(session, notify.OTA_CHANGED, str(rollout.id))
    await session.commit()
    return RolloutState(rollout.state)


async def counts(session: AsyncSession, rollout_id: int) -> Counts:
    rows = await session.execute(
        select(RolloutTarget.state, func.count())
        .where(RolloutTarget.rollout_id == rollout_id)
        .group_by(RolloutTarget.state)
    )
    return Counts({state: int(number) for state, number in rows})


async def summary(session: AsyncSession, rollout_id: int) -> RolloutSummary | None:
    row = (
        await session.execute(
            select(Rollout, Firmware)
            .join(Firmware, Firmware.id == Rollout.firmware_id)
            .where(Rollout.id == rollout_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        return None
    rollout, firmware = row
    return RolloutSummary(
        id=rollout.id,
        device_type=firmware.device_type,
        version=firmware.version,
        scope=Scope(rollout.scope),
        stage=rollout.stage,
        stages=tuple(rollout.stages),
        state=RolloutState(rollout.state),
        failure_threshold=rollout.failure_threshold,
        counts=await counts(session, rollout.id),
    )


async def recent(session: AsyncSession, limit: int = 10) -> list[RolloutSummary]:
    """Active rollouts first, then the latest finished ones (what /rollouts lists)."""
    ids = await session.scalars(
        select(Rollout.id)
        .order_by((Rollout.state.in_([str(state) for state in ACTIVE])).desc(), Rollout.id.desc())
        .limit(limit)
    )
    return [item for i in list(ids) if (item := await summary(session, i)) is not None]
