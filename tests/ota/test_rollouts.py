"""Rollouts over the real broker and the processor's HTTP side: documents, tokens, downloads, progress,
cancel, silent devices, a halted canary, a canary widening by itself after its soak time, a processor
restart mid-rollout."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import UTC, datetime, timedelta

import aiohttp
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core import topics
from core.services.ota import delivery, rollouts, signing
from core.services.ota.rules import Scope, TargetState, canary_stages
from sandbox.seed import make_user
from tests.kit.wait import eventually
from tests.ota.conftest import Ota
from tests.ota.helpers import (
    OtaWatcher,
    paired_devices,
    report,
    rollout_state,
    stored_firmware,
    target_states,
)
from tests.processor.helpers import fetch
from tests.processor.test_broker_security import (
    as_device,
    claim,
    registered_and_pending,
    subscribe_codes,
)


async def _document(watcher: OtaWatcher, uid: str) -> dict[str, object]:
    async def published() -> list[dict[str, object]]:
        return watcher.published(uid)

    return (await eventually(published, within=30))[-1]


async def _status(http: aiohttp.ClientSession, url: str, **headers: str) -> tuple[int, bytes]:
    async with http.get(url, headers=headers) as response:
        return response.status, await response.read()


async def test_a_device_downloads_its_signed_image_with_its_token_and_its_progress_is_recorded(ota: Ota):
    await ota.processor.start()
    image = b"firmware-2.0.2 " * 20_000
    info = await stored_firmware(ota.sessionmaker, ota.firmware, content=image)
    devices = await paired_devices(ota.sessionmaker, 1)
    ((uid, device_id),) = devices.items()
    async with OtaWatcher(ota.broker).watching() as watcher:
        async with ota.sessionmaker() as session:
            rollout_id = await rollouts.start(
                session, firmware_id=info.id, scope=Scope.DEVICE, device_id=device_id
            )
        document = await _document(watcher, uid)
        assert document["id"] == str(rollout_id) and document["version"] == info.version
        assert document["size"] == len(image)
        assert document["checksum"] == "sha256:" + hashlib.sha256(image).hexdigest()
        public = signing.load_public_key(
            signing.public_pem(signing.load_private_key(ota.firmware.firmware_signing_key.get_secret_value()))
        )
        assert signing.verify(public, hashlib.sha256(image).hexdigest(), str(document["signature"]))
        url = str(document["url"])
        assert url.startswith(f"{ota.processor.url}/firmware/{info.id}?token=")

        # A resumed download: the rest of the file from byte 1000 on.
        status, tail = await _status(ota.http, url, Range="bytes=1000-")
        assert (status, tail) == (206, image[1000:])
        status, whole = await _status(ota.http, url)
        assert (status, whole) == (200, image)
        rows = await fetch(
            ota.database_url, "SELECT downloaded_at FROM rollout_targets WHERE rollout_id = $1", rollout_id
        )
        assert rows[0]["downloaded_at"] is not None

        for state in ("downloading", "verifying", "installing"):
            await report(ota.broker, uid, rollout_id, state)
        await eventually(lambda: _state_is(ota.database_url, rollout_id, uid, "installing"))
        await report(ota.broker, uid, rollout_id, "success")
        await eventually(lambda: _state_is(ota.database_url, rollout_id, uid, "success"))
        await eventually(lambda: _rollout_is(ota.database_url, rollout_id, "done"))

        async def cleared() -> bool:
            return watcher.cleared(uid)

        await eventually(cleared, within=30)
        # A repeated or late event changes nothing once the device finished.
        await report(ota.broker, uid, rollout_id, "downloading")
        assert (await target_states(ota.database_url, rollout_id))[uid] == "success"


async def test_a_wrong_token_or_another_firmwares_token_gets_403(ota: Ota):
    await ota.processor.start()
    first = await stored_firmware(ota.sessionmaker, ota.firmware)
    devices = await paired_devices(ota.sessionmaker, 2)
    (uid, device_id), (_, other_id) = devices.items()
    async with OtaWatcher(ota.broker).watching() as watcher:
        async with ota.sessionmaker() as session:
            await rollouts.start(session, firmware_id=first.id, scope=Scope.DEVICE, device_id=device_id)
        token = str((await _document(watcher, uid))["url"]).split("token=", 1)[1]
    base = f"{ota.processor.url}/firmware"
    assert (await _status(ota.http, f"{base}/{first.id}?token={token}x"))[0] == 403
    assert (await _status(ota.http, f"{base}/{first.id}"))[0] == 403
    # The device's token is for its own rollout's image only, not for any other firmware.
    second = await stored_firmware(ota.sessionmaker, ota.firmware)
    assert (await _status(ota.http, f"{base}/{second.id}?token={token}"))[0] == 403
    assert (await _status(ota.http, f"{base}/{first.id}?token={token}"))[0] == 200
    assert other_id != device_id


async def test_cancelling_clears_the_retained_document_and_stops_its_token(ota: Ota):
    await ota.processor.start()
    info = await stored_firmware(ota.sessionmaker, ota.firmware)
    devices = await paired_devices(ota.sessionmaker, 3)
    async with OtaWatcher(ota.broker).watching() as watcher:
        async with ota.sessionmaker() as session:
            rollout_id = await rollouts.start(session, firmware_id=info.id, scope=Scope.ALL)
        documents = {uid: await _document(watcher, uid) for uid in devices}
        first = next(iter(devices))
        await report(ota.broker, first, rollout_id, "downloading")
        await eventually(lambda: _state_is(ota.database_url, rollout_id, first, "downloading"))
        async with ota.sessionmaker() as session:
            await rollouts.act(session, rollout_id, "cancel", now=_now())

        async def all_cleared() -> bool:
            return all(watcher.cleared(uid) for uid in devices)

        await eventually(all_cleared, within=30)
    for document in documents.values():
        assert (await _status(ota.http, str(document["url"])))[0] == 403
    # A fresh subscriber (a device coming online later) is handed nothing.
    async with OtaWatcher(ota.broker).watching() as late:
        await report(ota.broker, first, rollout_id, "success")  # ignored: the rollout was cancelled
        await eventually(lambda: _rollout_is(ota.database_url, rollout_id, "cancelled"))
        assert not any(late.documents.get(uid) for uid in devices)
    assert (await target_states(ota.database_url, rollout_id))[first] == "downloading"


async def test_a_canary_halts_when_more_devices_fail_than_its_threshold_and_the_operator_is_told(ota: Ota):
    await ota.processor.start()
    info = await stored_firmware(ota.sessionmaker, ota.firmware, device_type="meter")
    devices = await paired_devices(ota.sessionmaker, 10, device_type="meter")
    operator = await make_user(ota.sessionmaker)
    async with OtaWatcher(ota.broker).watching() as watcher:
        async with ota.sessionmaker() as session:
            rollout_id = await rollouts.start(
                session,
                firmware_id=info.id,
                scope=Scope.CANARY,
                stages=[30, 100],
                failure_threshold=1,
                started_by=operator,
            )
        canary = await eventually(lambda: target_states(ota.database_url, rollout_id))
        fleet = await fetch(
            ota.database_url,
            "SELECT count(*) FROM devices WHERE device_type = 'meter' AND paired_at IS NOT NULL",
        )
        assert len(canary) == math.ceil(fleet[0][0] * 0.3) >= 3  # 30 % of this package's meters, rounded up
        for uid in canary:
            await _document(watcher, uid)
        first, second, third = list(canary)[:3]
        await report(ota.broker, first, rollout_id, "failed", "flash write error")
        await report(ota.broker, second, rollout_id, "success")
        await eventually(lambda: _state_is(ota.database_url, rollout_id, second, "success"))
        assert await rollout_state(ota.database_url, rollout_id) == "running"  # one failure is within 1
        await report(ota.broker, third, rollout_id, "rolled_back", "health check failed")
        await eventually(lambda: _rollout_is(ota.database_url, rollout_id, "halted"))
        notices = await fetch(
            ota.database_url,
            "SELECT payload FROM notification_outbox WHERE user_id = $1 AND kind = 'ota_halted'",
            operator,
        )
        assert len(notices) == 1
        # Nobody beyond the canary was handed the image.
        assert {uid for uid in devices if watcher.documents.get(uid)} == set(canary) & set(devices)
    async with ota.sessionmaker() as session:
        assert (await rollouts.counts(session, rollout_id)).failures == 2


async def _canary(
    ota: Ota, device_type: str, size: int, soak: timedelta, operator: int
) -> tuple[int, list[str]]:
    """A canary of `size` % of the type's fleet with this soak time; (rollout id, the canary's uids)."""
    info = await stored_firmware(ota.sessionmaker, ota.firmware, device_type=device_type)
    async with ota.sessionmaker() as session:
        rollout_id = await rollouts.start(
            session,
            firmware_id=info.id,
            scope=Scope.CANARY,
            stages=canary_stages(size),
            soak=soak,
            started_by=operator,
        )
    return rollout_id, list(await eventually(lambda: target_states(ota.database_url, rollout_id)))


async def _stage(ota: Ota, rollout_id: int) -> int:
    rows = await fetch(ota.database_url, "SELECT stage FROM rollouts WHERE id = $1", rollout_id)
    return int(rows[0]["stage"])


async def _widened_notices(ota: Ota, rollout_id: int) -> list[dict[str, object]]:
    rows = await fetch(
        ota.database_url,
        "SELECT payload FROM notification_outbox WHERE kind = 'ota_widened'"
        " AND (payload->>'rollout_id')::int = $1",
        rollout_id,
    )
    return [orjson.loads(row["payload"]) for row in rows]


async def test_a_canary_that_succeeds_widens_by_itself_after_its_soak_and_the_operator_is_told(ota: Ota):
    await ota.processor.start()
    devices = await paired_devices(ota.sessionmaker, 8, device_type="temp")
    operator = await make_user(ota.sessionmaker)
    soak = timedelta(seconds=2)
    async with OtaWatcher(ota.broker).watching() as watcher:
        rollout_id, canary = await _canary(ota, "temp", 25, soak, operator)
        for uid in canary:
            await _document(watcher, uid)
            await report(ota.broker, uid, rollout_id, "success")
        await eventually(lambda: _stage_is(ota, rollout_id, 1), within=30)
        # Everyone else of the type is handed the image now, without anyone pressing ⏩.
        for uid in set(devices) - set(canary):
            await _document(watcher, uid)
    rows = await fetch(
        ota.database_url,
        "SELECT r.stage_started_at, max(t.finished_at) AS canary_ended FROM rollouts r"
        " JOIN rollout_targets t ON t.rollout_id = r.id AND t.stage = 0 WHERE r.id = $1"
        " GROUP BY r.stage_started_at",
        rollout_id,
    )
    assert rows[0]["stage_started_at"] >= rows[0]["canary_ended"] + soak  # it waited out the soak
    (notice,) = await _widened_notices(ota, rollout_id)
    total = len(await target_states(ota.database_url, rollout_id))
    assert notice["stage"] == 100 and notice["added"] == total - len(canary) >= len(
        set(devices) - set(canary)
    )


async def test_a_halted_canary_never_widens_and_widens_after_the_operator_resumes_it(ota: Ota):
    await ota.processor.start()
    devices = await paired_devices(ota.sessionmaker, 10, device_type="dust")
    await paired_devices(ota.sessionmaker, 4, device_type="multi")
    operator = await make_user(ota.sessionmaker)
    soak = timedelta(seconds=1)
    async with OtaWatcher(ota.broker).watching() as watcher:
        rollout_id, canary = await _canary(ota, "dust", 30, soak, operator)
        for uid in canary:
            await _document(watcher, uid)
        first, *others = canary
        await report(ota.broker, first, rollout_id, "failed", "flash write error")
        await eventually(lambda: _rollout_is(ota.database_url, rollout_id, "halted"))
        for uid in others:  # the rest of the canary still finishes: the stage is over, but halted
            await report(ota.broker, uid, rollout_id, "success")
            await eventually(lambda uid=uid: _state_is(ota.database_url, rollout_id, uid, "success"))

        # A control rollout started after the halted stage ended, with the same soak: once the processor
        # widened it, it has judged past the halted canary's soak too.
        control, control_canary = await _canary(ota, "multi", 25, soak, operator)
        for uid in control_canary:
            await _document(watcher, uid)
            await report(ota.broker, uid, control, "success")
        await eventually(lambda: _stage_is(ota, control, 1), within=30)
        assert await rollout_state(ota.database_url, rollout_id) == "halted"
        assert await _stage(ota, rollout_id) == 0 and await _widened_notices(ota, rollout_id) == []
        assert {uid for uid in devices if watcher.documents.get(uid)} == set(canary) & set(devices)

        # Resuming accepts the failures so far: the stage ended within them, so it widens after its soak.
        async with ota.sessionmaker() as session:
            await rollouts.act(session, rollout_id, "resume", now=_now())
        await eventually(lambda: _stage_is(ota, rollout_id, 1), within=30)
        for uid in set(devices) - set(canary):
            await _document(watcher, uid)
    assert await rollout_state(ota.database_url, rollout_id) == "running"


async def test_a_device_silent_past_the_timeout_counts_as_failed(ota: Ota):
    await ota.processor.start()
    info = await stored_firmware(ota.sessionmaker, ota.firmware)
    ((uid, device_id),) = (await paired_devices(ota.sessionmaker, 1)).items()
    async with ota.sessionmaker() as session:
        rollout_id = await rollouts.start(
            session,
            firmware_id=info.id,
            scope=Scope.DEVICE,
            device_id=device_id,
            silence=timedelta(seconds=2),
        )
    await eventually(lambda: _state_is(ota.database_url, rollout_id, uid, "failed"), within=30)
    rows = await fetch(
        ota.database_url, "SELECT error FROM rollout_targets WHERE rollout_id = $1", rollout_id
    )
    assert rows[0]["error"] == "no report within the timeout"
    assert await rollout_state(ota.database_url, rollout_id) == "halted"


async def test_a_device_reporting_before_its_document_is_stamped_published_is_heard_and_not_sent_it_again(
    ota: Ota,
):
    """The processor stamps a batch published once the broker acked all of it; a quick device's report can
    come first. (Driven through the service, without the processor: the race is a few milliseconds wide.)"""
    info = await stored_firmware(ota.sessionmaker, ota.firmware)
    ((uid, device_id),) = (await paired_devices(ota.sessionmaker, 1)).items()
    async with ota.sessionmaker() as session:
        rollout_id = await rollouts.start(
            session, firmware_id=info.id, scope=Scope.DEVICE, device_id=device_id
        )

    async def failed(session: AsyncSession) -> bool:
        return await delivery.record_event(
            session, device_id, rollout_id, state=TargetState.FAILED, error="flash write error", now=_now()
        )

    async with ota.sessionmaker() as session:  # not yet handed out: a report naming it is not believed
        assert not await failed(session)
    async with ota.sessionmaker() as session:
        handed = await delivery.unpublished(session, "http://files.test")
    assert [item.uid for item in handed] == [uid]
    async with ota.sessionmaker() as session:  # the device got it and failed before the broker's ack came
        assert await failed(session)
        await session.commit()
    async with ota.sessionmaker() as session:  # a processor that died before its stamp and starts again
        assert await delivery.unpublished(session, "http://files.test", leftovers=True) == []
        assert (await rollouts.counts(session, rollout_id)).failures == 1
    assert await target_states(ota.database_url, rollout_id) == {uid: "failed"}


async def test_a_document_on_its_way_from_one_processor_is_left_to_it_and_taken_again_after_a_restart(
    ota: Ota,
):
    """Between its token and its stamp a document is on its way from the processor that read it: another
    processor's round leaves it alone (a second document would spoil the first one's token), and a
    processor that starts takes it again (its predecessor may have died before the broker took it)."""
    info = await stored_firmware(ota.sessionmaker, ota.firmware)
    ((uid, device_id),) = (await paired_devices(ota.sessionmaker, 1)).items()
    async with ota.sessionmaker() as session:
        await rollouts.start(session, firmware_id=info.id, scope=Scope.DEVICE, device_id=device_id)
    async with ota.sessionmaker() as session:
        first = await delivery.unpublished(session, "http://files.test")
        assert await delivery.unpublished(session, "http://files.test") == []
        again = await delivery.unpublished(session, "http://files.test", leftovers=True)
    assert [item.uid for item in first] == [item.uid for item in again] == [uid]
    assert first[0].payload["url"] != again[0].payload["url"]  # a new token


async def test_a_document_locked_while_the_round_read_it_is_published_once_the_lock_is_gone(ota: Ota):
    """The round reads the documents to publish FOR UPDATE SKIP LOCKED (several processors share the work);
    the bot holds a target's row for a moment when it records who follows an /update. A document skipped
    so is published a moment later, not by the next minute's sweep."""
    info = await stored_firmware(ota.sessionmaker, ota.firmware)
    (locked_uid, locked_id), (free_uid, free_id) = (await paired_devices(ota.sessionmaker, 2)).items()
    async with ota.sessionmaker() as session:
        locked_rollout = await rollouts.start(
            session, firmware_id=info.id, scope=Scope.DEVICE, device_id=locked_id
        )
    async with OtaWatcher(ota.broker).watching() as watcher, ota.sessionmaker() as bot:
        await bot.execute(  # as core.services.ota.updates.follow does, not committed yet
            text("UPDATE rollout_targets SET progress_chat_id = 1 WHERE rollout_id = :r AND device_id = :d"),
            {"r": locked_rollout, "d": locked_id},
        )
        await ota.processor.start()
        processor = ota.processor.process
        await processor.wait_output("listening channels", after=processor.start_offset)
        async with ota.sessionmaker() as session:  # a round that certainly reads both documents
            await rollouts.start(session, firmware_id=info.id, scope=Scope.DEVICE, device_id=free_id)
        await _document(watcher, free_uid)
        assert not watcher.published(locked_uid)
        await bot.commit()
        await eventually(lambda: _published_to(watcher, locked_uid), within=20)  # the sweep comes at 60 s


async def _published_to(watcher: OtaWatcher, uid: str) -> bool:
    return bool(watcher.published(uid))


async def test_a_processor_restart_mid_rollout_hands_every_device_its_document_once(ota: Ota):
    info = await stored_firmware(ota.sessionmaker, ota.firmware, device_type="host")
    devices = await paired_devices(ota.sessionmaker, 6, device_type="host")
    async with OtaWatcher(ota.broker).watching() as watcher:
        # Started while the processor is down: published when it starts.
        async with ota.sessionmaker() as session:
            rollout_id = await rollouts.start(session, firmware_id=info.id, scope=Scope.ALL)
        await ota.processor.start()
        for uid in devices:
            await _document(watcher, uid)
        half = list(devices)[:3]
        for uid in half:
            await report(ota.broker, uid, rollout_id, "success")
        for uid in half:
            await eventually(lambda uid=uid: _state_is(ota.database_url, rollout_id, uid, "success"))
        ota.processor.kill()
        for uid in devices:
            if uid not in half:
                await report(ota.broker, uid, rollout_id, "installing")  # queued for the processor's session
        await ota.processor.start()
        for uid in devices:
            if uid not in half:
                await eventually(lambda uid=uid: _state_is(ota.database_url, rollout_id, uid, "installing"))
                await report(ota.broker, uid, rollout_id, "success")
        await eventually(lambda: _rollout_is(ota.database_url, rollout_id, "done"))

        async def all_cleared() -> bool:
            return all(watcher.cleared(uid) for uid in devices)

        await eventually(all_cleared, within=30)
        assert {uid: len(watcher.published(uid)) for uid in devices} == dict.fromkeys(devices, 1)


async def test_a_paired_device_may_read_its_own_ota_topic_only(ota: Ota):
    await ota.processor.start()
    uid, secret = "ota-" + _token(), _token() * 2
    neighbour = "ota-" + _token()
    await claim(ota.sessionmaker, await registered_and_pending(ota.broker, uid, secret))
    async with as_device(ota.broker, uid, secret) as device:
        await eventually(lambda: _can_subscribe(device, topics.device_topic(uid, topics.OTA)), within=20)
        assert await subscribe_codes(device, topics.device_topic(neighbour, topics.OTA)) == [128]


async def _can_subscribe(device, topic: str) -> bool:  # type: ignore[no-untyped-def]
    return await subscribe_codes(device, topic) == [1]


def _token() -> str:
    return secrets.token_hex(8)


def _now() -> datetime:
    return datetime.now(UTC)


async def _state_is(database_url: str, rollout_id: int, uid: str, state: str) -> bool:
    return (await target_states(database_url, rollout_id)).get(uid) == state


async def _rollout_is(database_url: str, rollout_id: int, state: str) -> bool:
    return await rollout_state(database_url, rollout_id) == state


async def _stage_is(ota: Ota, rollout_id: int, stage: int) -> bool:
    return await _stage(ota, rollout_id) == stage
