"""Rollouts (SPEC 6): firmware to one device, a canary share of a type, or all of a type, stage by stage.

The operator's and the owner's side: start, widen, pause, resume, cancel, and the counts /rollouts shows.
Every change commits with an OTA_CHANGED NOTIFY; the processor (core.services.ota.delivery) publishes the
devices' documents, judges the stage and, once a stage's soak time is over, widens it itself
(`next_stage`, the same step as the operator's ⏩).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import notify, transport
from core.models import Device, Firmware, Rollout, RolloutTarget
from core.services.ota.firmware import State as FirmwareState
from core.services.ota.rules import (
    DEFAULT_CANARY_STAGES,
    DEFAULT_SOAK,
    Counts,
    RolloutState,
    Scope,
    after_action,
    canary_stages,
    stage_quota,
    stages_for,
    widens_at,
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
    soak: timedelta | None
    # When the next stage starts by itself: set once every device of this stage finished (and the
    # rollout has a soak time and a next stage); the processor widens a running rollout then.
    widens_at: datetime | None

    @property
    def last_stage(self) -> bool:
        return self.stage >= len(self.stages) - 1


@dataclass(frozen=True, slots=True)
class RolloutDraft:
    """What the operator chooses before a rollout starts: the canary's size (% of the type), the failures
    allowed before it halts, and the soak time (None: widened by hand only)."""

    firmware_id: int
    scope: Scope
    canary: int = DEFAULT_CANARY_STAGES[0]
    failure_threshold: int = 0
    soak: timedelta | None = DEFAULT_SOAK

    @property
    def stages(self) -> list[int]:
        return canary_stages(self.canary) if self.scope is Scope.CANARY else stages_for(self.scope)

    def as_data(self) -> dict[str, int | str | None]:
        """Plain JSON values, for a conversation's storage (FSM data, possibly in Redis)."""
        soak = None if self.soak is None else int(self.soak.total_seconds())
        return {
            "firmware_id": self.firmware_id,
            "scope": str(self.scope),
            "canary": self.canary,
            "failure_threshold": self.failure_threshold,
            "soak": soak,
        }

    @classmethod
    def from_data(cls, data: dict[str, int | str | None]) -> RolloutDraft:
        soak = data.get("soak")
        return cls(
            firmware_id=int(data["firmware_id"] or 0),
            scope=Scope(str(data["scope"])),
            canary=int(data["canary"] or 0),
            failure_threshold=int(data["failure_threshold"] or 0),
            soak=None if soak is None else timedelta(seconds=int(soak)),
        )


async def start_draft(session: AsyncSession, draft: RolloutDraft, started_by: int | None) -> int:
    """Start the rollout an operator composed; as `start`."""
    return await start(
        session,
        firmware_id=draft.firmware_id,
        scope=draft.scope,
        stages=draft.stages,
        failure_threshold=draft.failure_threshold,
        soak=draft.soak,
        started_by=started_by,
    )


# The stage's devices of the type join the rollout, chosen in an order fixed per rollout (a canary is a
# fair sample, and widening the stage adds devices after those already chosen): one INSERT … SELECT, as
# a stage may hold 10 000 devices (bench/ota_findings.md).
_ADD_CANDIDATES = text(
    """
    INSERT INTO rollout_targets (rollout_id, device_id, stage)
    SELECT :rollout_id, d.id, :stage FROM devices d
    WHERE d.device_type = :device_type AND d.paired_at IS NOT NULL
      AND d.device_uid NOT LIKE :agent_uids
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
    soak: timedelta | None = DEFAULT_SOAK,
    started_by: int | None = None,
) -> int:
    """Start a rollout with its first stage's devices; commits and wakes the processor. `soak`: how long a
    stage that ended within `failure_threshold` is watched before the next starts by itself (None: only
    the operator widens). Raises Withdrawn, WrongType or NoDevices (then nothing is stored)."""
    firmware = await session.get(Firmware, firmware_id)
    if firmware is None or firmware.state == FirmwareState.WITHDRAWN:
        raise Withdrawn(str(firmware_id))
    planned = stages_for(scope, stages) if stages else stages_for(scope)
    rollout = Rollout(
        firmware_id=firmware_id,
        scope=scope,
        device_id=device_id if scope is Scope.DEVICE else None,
        stages=planned,
        stage=0,
        failure_threshold=max(failure_threshold, 0),
        timeout_seconds=int(silence.total_seconds()),
        # One stage has nothing to widen to.
        soak_seconds=int(soak.total_seconds()) if soak is not None and len(planned) > 1 else None,
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
        if transport.is_agent(device.device_uid):
            raise transport.MqttOnly(device.device_uid)
        session.add(RolloutTarget(rollout_id=rollout.id, device_id=device.id, stage=rollout.stage))
        await session.flush()
        return 1
    fleet = await fleet_size(session, firmware.device_type)
    already = await session.scalar(
        select(func.count()).select_from(RolloutTarget).where(RolloutTarget.rollout_id == rollout.id)
    )
    wanted = stage_quota(fleet, rollout.stages[rollout.stage]) - int(already or 0)
    if wanted <= 0:
        return 0
    params = {
        "device_type": firmware.device_type,
        "version": firmware.version,
        "rollout_id": rollout.id,
        "stage": rollout.stage,
        "limit": wanted,
        **transport.AGENT_UIDS,
    }
    added = await session.execute(_ADD_CANDIDATES, params)
    return int(added.rowcount)  # type: ignore[attr-defined]


async def widen(session: AsyncSession, rollout_id: int, from_stage: int, now: datetime) -> int:
    """The operator's ⏩: move a running rollout from stage `from_stage` (the one they saw) to the next;
    returns how many devices joined. Commits. NoStageLeft when it is not running, has no stage left, or
    has already moved on (the processor widened it meanwhile: a second press must not skip a stage)."""
    rollout = await session.get(Rollout, rollout_id, with_for_update=True, populate_existing=True)
    if rollout is None or rollout.state != RolloutState.RUNNING or rollout.stage != from_stage:
        raise NoStageLeft(str(rollout_id))
    firmware = await session.get(Firmware, rollout.firmware_id)
    assert firmware is not None
    added = await next_stage(session, rollout, firmware, now)
    await session.commit()
    return added


async def next_stage(session: AsyncSession, rollout: Rollout, firmware: Firmware, now: datetime) -> int:
    """Move a rollout the caller holds locked (FOR UPDATE) to its next stage and add that stage's devices;
    returns how many joined. Runs in the caller's transaction (with an OTA_CHANGED NOTIFY)."""
    if rollout.stage >= len(rollout.stages) - 1:
        raise NoStageLeft(str(rollout.id))
    rollout.stage += 1
    rollout.stage_started_at = now
    added = await _fill_stage(session, rollout, firmware)
    await notify.notify(session, notify.OTA_CHANGED, str(rollout.id))
    return added


async def stage_ended_at(session: AsyncSession, rollout_id: int) -> datetime | None:
    """When the last device of the rollout finished, once every device of it has (None before)."""
    row = (
        await session.execute(
            select(
                func.max(RolloutTarget.finished_at), func.count().filter(RolloutTarget.finished_at.is_(None))
            ).where(RolloutTarget.rollout_id == rollout_id)
        )
    ).one()
    ended, unfinished = row
    return None if unfinished else ended


def soak_of(rollout: Rollout) -> timedelta | None:
    return None if rollout.soak_seconds is None else timedelta(seconds=rollout.soak_seconds)


async def fleet_size(session: AsyncSession, device_type: str) -> int:
    """Paired devices of the type that speak MQTT (firmware documents travel over it): what a rollout's
    percentages are taken of."""
    fleet = await session.scalar(
        select(func.count())
        .select_from(Device)
        .where(Device.device_type == device_type, Device.paired_at.is_not(None), transport.speaks_mqtt())
    )
    return int(fleet or 0)


async def act(session: AsyncSession, rollout_id: int, action: str, now: datetime) -> RolloutState:
    """Pause, resume or cancel; NotAllowed when the action does not apply to the rollout's state. Commits.
    Cancelling makes the processor clear every device's retained `ota` document. Resuming a halted rollout
    accepts the failures that halted it (its threshold rises to them): it halts again only on new ones."""
    rollout = await session.get(Rollout, rollout_id, with_for_update=True, populate_existing=True)
    if rollout is None:
        raise NoStageLeft(str(rollout_id))
    before = RolloutState(rollout.state)
    rollout.state = after_action(before, action)
    if before is RolloutState.HALTED and rollout.state == RolloutState.RUNNING:
        failures = (await counts(session, rollout.id)).failures
        rollout.failure_threshold = max(rollout.failure_threshold, failures)
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
    stages = tuple(rollout.stages)
    last = rollout.stage >= len(stages) - 1
    ended = None if last else await stage_ended_at(session, rollout.id)
    return RolloutSummary(
        id=rollout.id,
        device_type=firmware.device_type,
        version=firmware.version,
        scope=Scope(rollout.scope),
        stage=rollout.stage,
        stages=stages,
        state=RolloutState(rollout.state),
        failure_threshold=rollout.failure_threshold,
        counts=await counts(session, rollout.id),
        soak=soak_of(rollout),
        widens_at=widens_at(ended, soak_of(rollout)),
    )


async def recent(session: AsyncSession, limit: int = 10) -> list[RolloutSummary]:
    """Active rollouts first, then the latest finished ones (what /rollouts lists)."""
    ids = await session.scalars(
        select(Rollout.id)
        .order_by((Rollout.state.in_([str(state) for state in ACTIVE])).desc(), Rollout.id.desc())
        .limit(limit)
    )
    return [item for i in list(ids) if (item := await summary(session, i)) is not None]
