"""Rollouts on their way to devices (SPEC 3 `devices/{uid}/ota`, SPEC 6): the processor's side.

Which documents to publish (each with a fresh per-device download token, stored hashed), which retained
documents to clear (the device finished, or the rollout was cancelled), the devices' `ota` events, silent
devices, the stage's verdict (halt, end, or widen by itself once a stage's soak time is over), and the
download check behind `GET /firmware/{id}?token=…`.

Once per cluster: a judging round locks each running rollout's row (FOR UPDATE SKIP LOCKED), so of several
processors exactly one judges (and widens) a rollout at a time, and the next one sees its new stage.

Publishing is at least once and never an update twice: a target is marked published only after the broker
took its document, so a processor that dies in between publishes it again on start (with a new token, which
replaces the old one's hash), while a target once published is never published again; the device itself
ignores a document for the version it already runs. A document tokened and not yet marked is on its way
from some processor; only a processor that starts, or whose last round failed, takes such documents again
(`leftovers`): one that took them while another processor's publish was under way would give the devices a
second document and spoil the first one's token.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import notify
from core.models import Firmware, OutboxMessage, Rollout, RolloutTarget
from core.services.ota.firmware import State as FirmwareState
from core.services.ota.rollouts import counts, next_stage, soak_of, stage_ended_at
from core.services.ota.rules import (
    FINISHED,
    SILENT,
    RolloutState,
    TargetState,
    Verdict,
    advance,
    verdict,
    widens_at,
)

# A batch of targets is changed by one statement over arrays of (rollout id, device id): an executemany
# would run one UPDATE per device in PostgreSQL, 10 000 for a stage (bench/ota_findings.md).
_TOKENS = text(
    """
    UPDATE rollout_targets t SET token_hash = v.h
    FROM unnest(CAST(:r AS integer[]), CAST(:d AS integer[]), CAST(:h AS text[])) AS v(r, d, h)
    WHERE t.rollout_id = v.r AND t.device_id = v.d
    """
)
_STAMPS = {
    "published_at": text(
        """
        UPDATE rollout_targets t SET published_at = :now
        FROM unnest(CAST(:r AS integer[]), CAST(:d AS integer[])) AS v(r, d)
        WHERE t.rollout_id = v.r AND t.device_id = v.d
        """
    ),
    "cleared_at": text(
        """
        UPDATE rollout_targets t SET cleared_at = :now
        FROM unnest(CAST(:r AS integer[]), CAST(:d AS integer[])) AS v(r, d)
        WHERE t.rollout_id = v.r AND t.device_id = v.d
        """
    ),
}
HALTED_KIND = "ota_halted"  # the outbox notice telling the operator
WIDENED_KIND = "ota_widened"  # the operator's notice that a stage widened by itself after its soak time
MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class OutgoingOta:
    rollout_id: int
    device_id: int
    uid: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Clearing:
    rollout_id: int
    device_id: int
    uid: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def download_url(public_url: str, firmware_id: int, token: str) -> str:
    return f"{public_url.rstrip('/')}/firmware/{firmware_id}?token={token}"


_UNPUBLISHED = text(
    """
    SELECT t.rollout_id, t.device_id, d.device_uid, f.id AS firmware_id, f.version, f.size, f.checksum,
           f.signature
    FROM rollout_targets t
    JOIN rollouts r ON r.id = t.rollout_id
    JOIN firmware f ON f.id = r.firmware_id
    JOIN devices d ON d.id = t.device_id
    WHERE t.published_at IS NULL AND r.state = 'running' AND (:leftovers OR t.token_hash IS NULL)
      AND (t.rollout_id, t.device_id) > (:after_r, :after_d)
    ORDER BY t.rollout_id, t.device_id
    LIMIT :limit
    FOR UPDATE OF t SKIP LOCKED
    """
)


async def unpublished(
    session: AsyncSession,
    public_url: str,
    limit: int = 2000,
    after: tuple[int, int] = (0, 0),
    *,
    leftovers: bool = False,
) -> list[OutgoingOta]:
    """Documents of running rollouts not yet on the broker, each with a new token (its hash stored), in
    (rollout id, device id) order beyond `after` (the last of a batch still on its way); with `leftovers`,
    also those tokened before and never marked published (see the module). Commits."""
    params = {"limit": limit, "after_r": after[0], "after_d": after[1], "leftovers": leftovers}
    rows = (await session.execute(_UNPUBLISHED, params)).all()
    outgoing, hashes = [], []
    for row in rows:
        token = secrets.token_urlsafe(32)
        hashes.append(token_hash(token))
        outgoing.append(
            OutgoingOta(
                row.rollout_id,
                row.device_id,
                row.device_uid,
                {
                    "id": str(row.rollout_id),
                    "version": row.version,
                    "url": download_url(public_url, row.firmware_id, token),
                    "size": row.size,
                    "checksum": f"sha256:{row.checksum}",
                    "signature": row.signature,
                },
            )
        )
    if hashes:
        targets = {"r": [item.rollout_id for item in outgoing], "d": [item.device_id for item in outgoing]}
        await session.execute(_TOKENS, {**targets, "h": hashes})
    await session.commit()
    return outgoing


async def mark_published(session: AsyncSession, sent: Sequence[tuple[int, int]], now: datetime) -> None:
    """The broker took these (rollout id, device id) documents; commits."""
    await _stamp(session, "published_at", sent, now)


async def _stamp(
    session: AsyncSession, column: str, targets: Sequence[tuple[int, int]], now: datetime
) -> None:
    """Set `column` to `now` on these (rollout id, device id) targets in one statement; commits."""
    if not targets:
        return
    rollout_ids, device_ids = zip(*targets, strict=True)
    await session.execute(_STAMPS[column], {"now": now, "r": list(rollout_ids), "d": list(device_ids)})
    await session.commit()


_TO_CLEAR = text(
    """
    SELECT t.rollout_id, t.device_id, d.device_uid
    FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id JOIN devices d ON d.id = t.device_id
    WHERE t.published_at IS NOT NULL AND t.cleared_at IS NULL
      AND (t.finished_at IS NOT NULL OR r.state = 'cancelled')
    ORDER BY t.rollout_id, t.device_id
    LIMIT :limit
    """
)


async def to_clear(session: AsyncSession, limit: int = 2000) -> list[Clearing]:
    """Retained documents the device no longer needs: it finished, or its rollout was cancelled."""
    rows = await session.execute(_TO_CLEAR, {"limit": limit})
    return [Clearing(row.rollout_id, row.device_id, row.device_uid) for row in rows]


async def mark_cleared(session: AsyncSession, cleared: Sequence[Clearing], now: datetime) -> None:
    """The broker removed these retained documents; commits."""
    await _stamp(session, "cleared_at", [(item.rollout_id, item.device_id) for item in cleared], now)


async def record_event(
    session: AsyncSession,
    device_id: int,
    rollout_id: int,
    *,
    state: TargetState,
    error: str | None,
    now: datetime,
) -> bool:
    """A device's `ota` event; the first finished state counts. False for a rollout the device is not in,
    one whose document it was never handed, or one that was cancelled. Runs in the caller's transaction.

    A document is stamped published only once the broker acked its whole batch, and a quick device can
    report before that: a tokened target counts as handed its document (the device could only learn the
    rollout's id from it), and is stamped published here so a processor that dies before its own stamp
    does not hand the device a second document."""
    target = await session.get(
        RolloutTarget, (rollout_id, device_id), with_for_update=True, populate_existing=True
    )
    if target is None or (target.published_at is None and target.token_hash is None):
        return False
    rollout = await session.get(Rollout, rollout_id)
    if rollout is None or rollout.state == RolloutState.CANCELLED:
        return False
    current = TargetState(target.state)
    if current in FINISHED:
        return False
    target.state = advance(current, state)
    target.updated_at = now
    if target.published_at is None:
        target.published_at = now
    if state in FINISHED:
        target.finished_at = now
        target.error = (error or "")[:MAX_ERROR] or None
    await notify.notify(session, notify.OTA_CHANGED, str(rollout_id))
    return True


_SILENT = text(
    """
    UPDATE rollout_targets t
    SET state = 'failed', error = :error, finished_at = :now, updated_at = :now
    FROM rollouts r
    WHERE r.id = t.rollout_id AND r.state IN ('running', 'paused', 'halted')
      AND t.published_at IS NOT NULL AND t.finished_at IS NULL
      AND GREATEST(t.published_at, COALESCE(t.updated_at, t.published_at))
          < CAST(:now AS timestamptz) - make_interval(secs => r.timeout_seconds)
    RETURNING t.rollout_id
    """
)

_NEXT_DEADLINE = text(
    """
    SELECT min(deadline) FROM (
        -- the next published device to fall silent
        SELECT GREATEST(t.published_at, COALESCE(t.updated_at, t.published_at))
               + make_interval(secs => r.timeout_seconds) AS deadline
        FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
        WHERE r.state IN ('running', 'paused', 'halted') AND t.published_at IS NOT NULL
          AND t.finished_at IS NULL
        UNION ALL
        -- the next stage to widen by itself: every device of it finished, its soak time from the last
        SELECT max(t.finished_at) + make_interval(secs => r.soak_seconds)
        FROM rollouts r JOIN rollout_targets t ON t.rollout_id = r.id
        WHERE r.state = 'running' AND r.soak_seconds IS NOT NULL AND r.stage < cardinality(r.stages) - 1
        GROUP BY r.id
        HAVING bool_and(t.finished_at IS NOT NULL)
        UNION ALL
        -- a document nobody has taken yet: its target was locked when the round read them (SKIP LOCKED),
        -- by the bot recording who follows the update or by another processor's read at that moment
        SELECT CAST(:now AS timestamptz) + make_interval(secs => :retry)
        WHERE EXISTS (
            SELECT 1 FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
            WHERE t.published_at IS NULL AND t.token_hash IS NULL AND r.state = 'running'
        )
    ) deadlines
    """
)
# How soon a round looks again at documents it found locked.
LOCKED_RETRY = timedelta(seconds=1)


async def judge(session: AsyncSession, now: datetime) -> dict[int, Verdict]:
    """Silent devices fail (core.services.ota.rules.is_silent, in SQL); each running rollout then halts
    (the operator is told), ends, widens to its next stage once the stage's soak time is over (the
    operator is told), or waits. Commits."""
    await session.execute(_SILENT, {"now": now, "error": SILENT})
    running = list(
        await session.scalars(
            select(Rollout).where(Rollout.state == RolloutState.RUNNING).with_for_update(skip_locked=True)
        )
    )
    verdicts = {}
    for rollout in running:
        tally = await counts(session, rollout.id)
        last = rollout.stage >= len(rollout.stages) - 1
        due = None if last else widens_at(await stage_ended_at(session, rollout.id), soak_of(rollout))
        outcome = verdict(tally, threshold=rollout.failure_threshold, last_stage=last, widen_at=due, now=now)
        if outcome is Verdict.HALT:
            rollout.state = RolloutState.HALTED
            await _tell_halted(session, rollout, tally.failures)
        elif outcome is Verdict.DONE:
            rollout.state, rollout.finished_at = RolloutState.DONE, now
        elif outcome is Verdict.WIDEN:
            firmware = await session.get(Firmware, rollout.firmware_id)
            if firmware is None or firmware.state == FirmwareState.WITHDRAWN:
                outcome = Verdict.STAGE_DONE  # a withdrawn image reaches nobody new, even by the operator
            else:
                added = await next_stage(session, rollout, firmware, now)
                await _tell_widened(session, rollout, firmware, added)
        verdicts[rollout.id] = outcome
    await session.commit()
    return verdicts


async def _tell_halted(session: AsyncSession, rollout: Rollout, failures: int) -> None:
    if rollout.started_by is None:
        return
    firmware = await session.get(Firmware, rollout.firmware_id)
    payload = {
        "rollout_id": rollout.id,
        "device_type": firmware.device_type if firmware else "",
        "version": firmware.version if firmware else "",
        "failures": failures,
        "threshold": rollout.failure_threshold,
    }
    session.add(OutboxMessage(user_id=rollout.started_by, kind=HALTED_KIND, payload=payload))
    await notify.notify(session, notify.OUTBOX, HALTED_KIND)


async def _tell_widened(session: AsyncSession, rollout: Rollout, firmware: Firmware, added: int) -> None:
    if rollout.started_by is None:
        return
    payload = {
        "rollout_id": rollout.id,
        "device_type": firmware.device_type,
        "version": firmware.version,
        "stage": rollout.stages[rollout.stage],
        "added": added,
        "soak_seconds": rollout.soak_seconds,
    }
    session.add(OutboxMessage(user_id=rollout.started_by, kind=WIDENED_KIND, payload=payload))
    await notify.notify(session, notify.OUTBOX, WIDENED_KIND)


async def next_deadline(session: AsyncSession, now: datetime) -> datetime | None:
    """When the next round has something to do: a published device falls silent, a stage's soak time ends,
    or a document it found locked is to be published after all."""
    return await session.scalar(_NEXT_DEADLINE, {"now": now, "retry": LOCKED_RETRY.total_seconds()})


async def authorize_download(
    session: AsyncSession, firmware_id: int, token: str, now: datetime
) -> str | None:
    """The file name behind `/firmware/{id}?token=…` when the token is this firmware's for some device of a
    rollout that is not cancelled (the first download is recorded; commits); None otherwise (403)."""
    if not token or len(token) > 128:
        return None
    row = (
        await session.execute(
            text(
                """
                UPDATE rollout_targets t SET downloaded_at = COALESCE(t.downloaded_at, :now)
                FROM rollouts r, firmware f
                WHERE t.token_hash = :hash AND r.id = t.rollout_id AND f.id = r.firmware_id
                  AND f.id = :firmware_id AND r.state <> 'cancelled' AND f.state <> 'withdrawn'
                RETURNING f.file_name
                """
            ),
            {"hash": token_hash(token), "firmware_id": firmware_id, "now": now},
        )
    ).first()
    await session.commit()
    return None if row is None else row.file_name
