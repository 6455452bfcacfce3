"""Crashes and outages lose nothing: kill -9, SIGTERM, a broker restart, PostgreSQL going away.

The processor runs as a real `python -m processor` process here, because what matters is what survives the
process: the broker's persistent session holds every message the processor has not acknowledged.
"""

from __future__ import annotations

import asyncio
import time

import aiomqtt
import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from processor.app import APPLICATION_NAME
from sandbox.broker import Broker
from sandbox.database import SERVER_URL
from sandbox.seed import new_uid, pair_device
from tests.kit.fixtures import Processors
from tests.kit.wait import eventually
from tests.processor.helpers import fetch

CONCURRENCY = 100


async def publish_stream(broker: Broker, uid: str, first_ts: int, count: int) -> int:
    """`count` QoS 1 readings, one per second of device time; each is re-sent until the broker PUBACKs it.

    Returns how many messages were sent a second time (the broker may have had them already).
    """
    pending = list(range(count))
    resent = 0
    while pending:
        try:
            async with aiomqtt.Client(
                broker.host, broker.port, identifier=new_uid("pub"), **broker.credentials
            ) as client:
                while pending:
                    chunk = pending[:CONCURRENCY]
                    await asyncio.gather(*(_send(client, uid, first_ts + i, i) for i in chunk))
                    del pending[:CONCURRENCY]
        except aiomqtt.MqttError:
            resent += len(pending[:CONCURRENCY])
            await asyncio.sleep(0.2)  # the broker is restarting; the unacknowledged chunk is sent again
    return resent


async def _send(client: aiomqtt.Client, uid: str, ts: int, index: int) -> None:
    payload = b'{"timestamp": %d, "co2": %d}' % (ts, 400 + index % 1000)
    await client.publish(topics.device_topic(uid, "telemetry"), payload, qos=1, timeout=10)


async def stored(url: str, device_id: int) -> int:
    rows = await fetch(url, "SELECT count(*) AS n FROM telemetry WHERE device_id = $1", device_id)
    return int(rows[0]["n"])


async def assert_all_stored_once(
    url: str, device_id: int, first_ts: int, count: int, within: float = 60.0
) -> None:
    async def complete() -> bool:
        return await stored(url, device_id) >= count

    await eventually(complete, within, interval=0.3)
    rows = await fetch(
        url,
        "SELECT extract(epoch FROM ts)::bigint AS t FROM telemetry WHERE device_id = $1 ORDER BY ts",
        device_id,
    )
    assert [row["t"] for row in rows] == list(range(first_ts, first_ts + count))

    # Every stored reading reaches the hourly rollup exactly once (deferred: folded every few seconds), and
    # nothing is left pending: a reading counted twice could only come from a pending row counted again.
    async def rolled_up_once() -> bool:
        rows = await fetch(
            url,
            "SELECT (SELECT coalesce(sum(count), 0) FROM telemetry_hourly"
            "        WHERE device_id = $1 AND metric = 'co2') AS counted,"
            "       (SELECT count(*) FROM telemetry_hourly_pending WHERE device_id = $1) AS pending",
            device_id,
        )
        return (rows[0]["counted"], rows[0]["pending"]) == (count, 0)

    await eventually(rolled_up_once, 30, interval=0.3)


async def _at_least(url: str, device_id: int, count: int) -> bool:
    return await stored(url, device_id) >= count


async def test_kill_9_mid_stream_then_restart_stores_every_message_exactly_once(
    processors: Processors, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    processor = processors()
    processor.start()
    await processor.ready()
    count, first_ts = 4000, int(time.time()) - 5000

    stream = asyncio.create_task(publish_stream(broker, uid, first_ts, count))
    await eventually(lambda: _at_least(database_url, device_id, count // 5), 60)
    processor.kill()
    killed_at = await stored(database_url, device_id)
    processor.start()
    await processor.ready()
    await stream

    assert killed_at < count  # the kill really happened mid-stream
    await assert_all_stored_once(database_url, device_id, first_ts, count)


async def test_sigterm_flushes_acks_and_exits_zero(
    processors: Processors, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    processor = processors()
    processor.start()
    await processor.ready()
    count, first_ts = 2000, int(time.time()) - 3000
    stream = asyncio.create_task(publish_stream(broker, uid, first_ts, count))
    await eventually(lambda: _at_least(database_url, device_id, 200), 60)

    assert await processor.stop() == 0
    log = processor.output()
    assert "processor stopping acked=" in log
    counters = processor.counters()
    # Whatever it acknowledged before leaving is in the database: that is what "flush, then ack" means.
    assert counters["stored"] <= await stored(database_url, device_id)
    # ...and it left the hourly rollup complete: nothing of its own waits to be folded.
    pending = await fetch(
        database_url, "SELECT count(*) AS n FROM telemetry_hourly_pending WHERE device_id = $1", device_id
    )
    assert pending[0]["n"] == 0

    processor.start()
    await processor.ready()
    resent = await stream
    await assert_all_stored_once(database_url, device_id, first_ts, count)
    assert await processor.stop() == 0
    # Everything the first run stored was acked before it left: the broker redelivered none of it, so the
    # second run saw a stored reading again only if the publisher itself had to send it twice.
    assert processor.counters()["duplicates"] <= resent, resent


async def test_a_stop_that_outlasts_its_deadline_exits_70_and_logs_where_each_task_waits(
    processors: Processors,
):
    """An await that never returns cannot keep a stopping processor alive: past STOP_DEADLINE_SECONDS it
    logs its tasks' stacks (what py-spy cannot show: the event loop itself is idle) and exits 70. A deadline
    shorter than any stop stands in for the hang here."""
    processor = processors(STOP_DEADLINE_SECONDS="0.001")
    processor.start()
    await processor.ready()
    assert await processor.stop() == 70
    log = processor.output()
    assert "processor did not stop within 0.0 s of being asked to; exiting status=70" in log
    # The whole chain of awaits, down to what each task waits for (asyncio alone shows its outermost frame).
    assert "task writer:" in log and "processor/app.py" in log and "  waits for <" in log, processor.tail()


async def test_a_running_processor_asked_with_sigusr1_logs_where_each_task_waits_and_goes_on(
    processors: Processors, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    """`kill -USR1` (core.task_stacks.ON_REQUEST) is how an operator, or the harness under a failed test, asks
    a processor that fell silent what it waits for."""
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    processor = processors()
    await processor.launch()
    tasks = processor.tell_tasks()
    assert "processor tasks on request:" in tasks and "task writer:" in tasks, processor.tail()
    assert "task listener:" in tasks and "  waits for <" in tasks
    assert "Current thread" in tasks  # and the threads' stacks
    first_ts = int(time.time()) - 100
    await publish_stream(broker, uid, first_ts, 20)
    await assert_all_stored_once(database_url, device_id, first_ts, 20)
    assert processor.alive


async def test_broker_restart_during_ingest_loses_nothing(
    processors: Processors, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    processor = processors()
    processor.start()
    await processor.ready()
    count, first_ts = 3000, int(time.time()) - 4000

    stream = asyncio.create_task(publish_stream(broker, uid, first_ts, count))
    await eventually(lambda: _at_least(database_url, device_id, 300), 60)
    await asyncio.to_thread(broker.restart)
    await stream

    await assert_all_stored_once(database_url, device_id, first_ts, count)
    assert "mqtt connection lost" in processor.output()
    assert processor.output().count("mqtt connected") >= 2

    # Messages the broker holds for the stopped processor survive a broker restart too (persistent session).
    assert await processor.stop() == 0
    await publish_stream(broker, uid, first_ts + count, 500)
    await asyncio.to_thread(broker.restart)
    processor.start()
    await processor.ready()
    await assert_all_stored_once(database_url, device_id, first_ts, count + 500)
    assert await processor.stop() == 0


async def test_database_loss_during_ingest_waits_and_loses_nothing(
    processors: Processors, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    # The machine's PostgreSQL server is shared with other people's test runs, so it is not restarted.
    # What a restart looks like to the processor is reproduced inside our own database only: new connections
    # are refused (ALLOW_CONNECTIONS false) and its existing sessions are killed (pg_terminate_backend,
    # picked by application_name and database), repeatedly, for a few seconds; then connections are allowed.
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    processor = processors()
    processor.start()
    await processor.ready()
    count, first_ts = 3000, int(time.time()) - 4000
    database = database_url.rsplit("/", 1)[1]

    half = count // 2
    stream = asyncio.create_task(publish_stream(broker, uid, first_ts, half))
    await eventually(lambda: _at_least(database_url, device_id, 300), 60)
    admin = await asyncpg.connect(SERVER_URL)
    try:
        await admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        # Readings sent during the outage must wait for PostgreSQL, so the writer meets the outage even on an
        # idle machine where the first half would already be written.
        late = asyncio.create_task(publish_stream(broker, uid, first_ts + half, count - half))
        try:
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = $1 AND application_name = $2",
                    database,
                    APPLICATION_NAME,
                )
                await asyncio.sleep(0.2)
        finally:
            await admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    finally:
        await admin.close()
    await asyncio.gather(stream, late)

    await assert_all_stored_once(database_url, device_id, first_ts, count)
    assert processor.alive  # it waited, it did not die
    assert await processor.stop() == 0
    assert processor.counters()["flush_retries"] > 0


async def test_a_database_error_waiting_cannot_cure_stops_the_processor_without_losing_messages(
    processors: Processors, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
):
    uid = new_uid()
    device_id = await pair_device(sessionmaker, device_type="multi", uid=uid)
    processor = processors()
    processor.start()
    await processor.ready()
    admin = await asyncpg.connect(database_url)
    try:
        # A broken deployment, as the processor sees it: a table it writes to is missing.
        await admin.execute("ALTER TABLE telemetry_hourly_pending RENAME TO telemetry_hourly_away")
        try:
            count, first_ts = 50, int(time.time()) - 100
            await publish_stream(broker, uid, first_ts, count)
            exit_code = await processor.wait_exit(60)
        finally:
            await admin.execute("ALTER TABLE telemetry_hourly_away RENAME TO telemetry_hourly_pending")
    finally:
        await admin.close()
    assert exit_code != 0
    assert "batch cannot be written" in processor.output()
    # Stopped loudly by its supervisor, not a writer silently gone while the rest runs on.
    assert "background task gave up, stopping supervisor=processor task=writer" in processor.output()
    assert await stored(database_url, device_id) == 0

    processor.start()  # the operator fixed the schema: what the broker kept is stored now
    await processor.ready()
    await assert_all_stored_once(database_url, device_id, first_ts, count)
    assert await processor.stop() == 0
