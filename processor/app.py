"""The processor's lifecycle: wire the parts, run them, reconnect to the broker, shut down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import aiomqtt
import asyncpg
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from core import notify, rate_limit, task_stacks
from core.alerts.presence import MIN_SILENCE
from core.db import asyncpg_dsn, make_engine, make_sessionmaker
from core.listener import Listener
from core.retry import Backoff, retry_database, wait_event
from core.settings import COMMAND_TTL, DatabaseSettings, MqttSettings
from core.stop_deadline import on_stop_signals
from core.supervisor import Supervisor
from processor import mqtt, paho_internals
from processor.acks import Acknowledger
from processor.agent_leftovers import AgentLeftovers
from processor.agents import AgentApi
from processor.alerting import AlertFeed
from processor.broker_access import BrokerAccess
from processor.counters import Counters
from processor.desired_state import Reconciler
from processor.device_directory import DeviceDirectory
from processor.device_events import DeviceEvents
from processor.dynsec import DynamicSecurity
from processor.firmware_download import FirmwareDownloads
from processor.ingest import Ingest
from processor.ledger import Ledger
from processor.ota import OtaRollouts
from processor.over_budget import OverBudget
from processor.presence.sweep import PresenceSweep
from processor.provisioning import PairingAnnouncer, Provisioning
from processor.publisher import Publisher
from processor.sinks import AfterCommit
from processor.writer import BatchWriter, WriterOptions

log = logging.getLogger("processor")

# Tests find the processor's own PostgreSQL sessions by this name (pg_stat_activity.application_name).
APPLICATION_NAME = "smartair-processor"


@dataclass(frozen=True, slots=True)
class Options:
    writer: WriterOptions = field(default_factory=WriterOptions)
    counters_interval: float = 30.0
    # On SIGTERM, how long the last batch may wait for PostgreSQL before we leave it to redelivery.
    shutdown_flush_timeout: float = 15.0
    reconnect_ceiling: float = 30.0
    # How often silence and Last Wills become offline episodes (processor.presence.sweep).
    presence_sweep_interval: float = 5.0
    # The floor on the silence that makes a device offline: OFFLINE_MIN_SILENCE_SECONDS (SPEC: 90 s).
    min_silence: timedelta = MIN_SILENCE
    # Each device's budget, messages/s and burst (SPEC section 3); tests shrink it rather than send 6 000.
    device_rate: float = rate_limit.DEVICE_RATE
    device_burst: float = rate_limit.DEVICE_BURST
    # Asked to stop (SIGTERM/SIGINT) and still running this much later: exit 70, its tasks' stacks logged
    # (core.stop_deadline). Above a normal stop's worst case: flush, barrier, fold, disconnect, closes.
    stop_deadline: float = 60.0
    # A command older than this is never sent: COMMAND_TTL_SECONDS.
    command_ttl: timedelta = COMMAND_TTL


class Processor:
    def __init__(
        self,
        database: DatabaseSettings,
        broker: MqttSettings,
        options: Options = Options(),
        sinks: Sequence[AfterCommit] = (),
        *,
        public_url: str = "http://127.0.0.1",
        firmware_dir: str = "var/firmware",
    ) -> None:
        self._broker = broker
        self._options = options
        self._dsn = asyncpg_dsn(database.database_url)
        connect_args = {"server_settings": {"application_name": APPLICATION_NAME}, "timeout": 10}
        self._engine = make_engine(database.database_url, pool_size=3, connect_args=connect_args)
        sessionmaker = self.sessionmaker = make_sessionmaker(self._engine)
        # The alert engine's rounds are on the way of every notice: their own connection, without the pool's
        # pre-ping (three round trips; AlertFeed replaces a dropped connection itself).
        self._alert_engine = make_engine(
            database.database_url, pre_ping=False, pool_size=1, connect_args=connect_args
        )
        self.counters = Counters()
        self.stopping = asyncio.Event()
        self.connected = False
        self._fast_path = paho_internals.fast_path(broker.mqtt_fast_path)
        self._acknowledger = Acknowledger(self._fast_path)
        self._ledger = Ledger(self._acknowledger)
        self._publisher = Publisher()
        self._directory = DeviceDirectory(sessionmaker)
        self._alerts = AlertFeed(make_sessionmaker(self._alert_engine), self.counters)
        self._device_events = DeviceEvents(sessionmaker, self.counters)
        self._desired_state = Reconciler(sessionmaker, self._publisher, self.counters, options.command_ttl)
        self._agent_leftovers = AgentLeftovers(sessionmaker, self._publisher, self.counters)
        self._ota = OtaRollouts(sessionmaker, self._publisher, self.counters, public_url)
        self._downloads = FirmwareDownloads(sessionmaker, firmware_dir, self.counters)
        self._presence = PresenceSweep(
            sessionmaker, lambda: self.connected, options.presence_sweep_interval, options.min_silence
        )
        self._writer = BatchWriter(
            self._connect,
            self._ledger,
            self.counters,
            (self._alerts, self._device_events, *sinks),
            options.writer,
            urgent=self._alerts.urgent,
        )
        self._dynsec = DynamicSecurity(broker) if broker.mqtt_username else None
        self._access = BrokerAccess(sessionmaker, self._dynsec, self.counters)
        self._provisioning = Provisioning(
            sessionmaker, self._publisher, self._ledger, self.counters, self._access
        )
        self._announcer = PairingAnnouncer(
            sessionmaker, self._publisher, self._directory, self.counters, self._access
        )
        # One LISTEN connection for the processor: pairings for the directory and the announcer, desired
        # state changes for the reconciler, rule and state changes for the alert engine's memory.
        self._listener = Listener(
            self._connect,
            {
                notify.DEVICE_PAIRED: self._paired,
                notify.DEVICE_REMOVED: self._access.changed,
                notify.CONFIG_CHANGED: self._desired_state_changed,
                notify.COMMAND_QUEUED: self._desired_state_changed,
                notify.OTA_CHANGED: self._ota_changed,
                notify.ALERTING_CHANGED: self._alerts.changed,
            },
            self._listening,
        )
        self._tasks = Supervisor("processor")
        # One budget per device and one owner's notice, whichever way the device talks (MQTT or HTTP).
        device_budget = rate_limit.Buckets(options.device_rate, options.device_burst)
        self._over_budget = OverBudget(sessionmaker, self.counters)
        self._agents = AgentApi(
            sessionmaker,
            self._writer,
            self.counters,
            device_budget=device_budget,
            over_budget=self._over_budget,
        )
        self._ingest = Ingest(
            self._directory,
            self._writer,
            self._provisioning,
            self._ledger,
            self.counters,
            device_budget=device_budget,
            over_budget=self._over_budget,
        )

    async def run(self) -> None:
        """Until `stopping` is set; then the current batch is flushed and acked before returning."""
        if not await self._load_directory():
            return
        # What exists by now (modules, SQLAlchemy's metadata, the device directory) lives as long as the
        # process: frozen, it is left out of the cyclic collector's full collections, which under ingest
        # come every few seconds and each stopped the event loop, and every notice on its way, for as long as
        # they took to scan it all (136 000 objects: 180-470 ms at load 10-13; 12-130 ms frozen).
        gc.freeze()
        # The writer retries what waiting can cure by itself; anything else it raises must stop us, with
        # the batch unacked (see processor.writer). The others are restarted after a bug, a few times.
        self._tasks.start("writer", self._writer.run, restarts=0)
        for name, run in (
            ("rollup", self._writer.run_folds),
            ("ahead", self._writer.run_ahead),
            ("listener", self._listener.run),
            ("provisioning", self._provisioning.run),
            ("announcer", self._announcer.run),
            ("directory", self._directory.run),
            ("counters", self._log_counters),
            ("alerts", self._alerts.run),
            ("presence_sweep", self._presence.run),
            ("device_events", self._device_events.run),
            ("desired_state", self._desired_state.run),
            ("agent_leftovers", self._agent_leftovers.run),
            ("ota", self._ota.run),
            ("broker_access", self._access.run),
            ("over_budget", self._over_budget.run),
        ):
            self._tasks.start(name, run)
        if self._dynsec is not None:
            self._tasks.start("dynsec", self._dynsec.run)
        try:
            await self._stay_connected()
        finally:
            await self._tasks.stop()
            await self._writer.close()
            await self._engine.dispose()
            await self._alert_engine.dispose()
            self.counters.log_line()

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def acks_pending(self) -> int:
        """Messages received and not yet acknowledged to the broker (their batch is not committed yet)."""
        return self._ledger.waiting

    def add_routes(self, app: web.Application) -> None:
        """The processor's routes on its HTTP side (core.web): HTTP pairing and ingest (SPEC 3a), firmware
        downloads (SPEC 6)."""
        self._agents.add_routes(app)
        self._downloads.add_routes(app)

    def install_signal_handlers(self) -> None:
        on_stop_signals("processor", self._options.stop_deadline, self.stopping.set)
        task_stacks.log_on_request("processor")

    # ---- broker ----------------------------------------------------------------------------------------

    async def _stay_connected(self) -> None:
        backoff = Backoff(first=0.5, ceiling=self._options.reconnect_ceiling)
        while not self.stopping.is_set():
            client, inbox = mqtt.make_client(self._broker, fast_path=self._fast_path)
            self._acknowledger.attach(client)
            self._ledger.forget_older_generations()
            log.info("mqtt connecting host=%s port=%s", self._broker.mqtt_host, self._broker.mqtt_port)
            try:
                async with client:
                    await self._session(client, inbox, backoff)
            except aiomqtt.MqttError as error:
                log.warning("mqtt connection lost error=%r", error)
            finally:
                self.connected = False
                self._publisher.disconnected()
                self._acknowledger.detach()
            if not self.stopping.is_set():
                delay = backoff.next_delay()
                log.info("mqtt reconnecting delay=%.1f", delay)
                await wait_event(self.stopping, delay)

    async def _session(
        self,
        client: aiomqtt.Client,
        inbox: mqtt.Inbox,
        backoff: Backoff,
    ) -> None:
        filters = await mqtt.subscribe(client, self._broker)
        self._publisher.connected(client)
        self.connected = True
        self._announcer.trigger()
        backoff.reset()
        log.info("mqtt connected client_id=%s subscribed=%s", self._broker.mqtt_client_id, ",".join(filters))
        consume = asyncio.create_task(self._consume(client, inbox), name="consume")
        watching = asyncio.create_task(self._tasks.until(self.stopping), name="until_stopped")
        try:
            await asyncio.wait({consume, watching}, return_when=asyncio.FIRST_COMPLETED)
            if not consume.done():
                consume.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await consume
            if watching.done():
                watching.result()  # a background part kept dying of a bug: TaskFailed stops the processor
            if not consume.cancelled():
                consume.result()  # raises MqttError when the connection broke
        finally:
            watching.cancel()
        await self._final_flush(client)

    async def _consume(self, client: aiomqtt.Client, inbox: mqtt.Inbox) -> None:
        async for first in client.messages:
            await self._ingest.handle(inbox.drain(first))

    async def _final_flush(self, client: aiomqtt.Client) -> None:
        """Still connected: write the current batch and make sure the broker has its acks, then disconnect."""
        try:
            async with asyncio.timeout(self._options.shutdown_flush_timeout):
                await self._writer.flush()
            await mqtt.barrier(client)
        except (TimeoutError, aiomqtt.MqttError):
            log.warning("last batch not written or acked before shutdown; the broker will redeliver it")
        # Leave the hourly rollup complete (whatever is not folded now is by the next processor to run).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._options.shutdown_flush_timeout):
                await self._writer.fold()
        log.info("processor stopping acked=%s", self._ledger.acked)

    # ---- database --------------------------------------------------------------------------------------

    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            self._dsn,
            timeout=10,
            command_timeout=30,
            server_settings={"application_name": APPLICATION_NAME},
        )

    async def _load_directory(self) -> bool:
        """Nothing can be ingested before we know the devices: wait for PostgreSQL if it is not up yet.

        False if asked to stop while waiting.
        """

        async def load() -> bool:
            await self._directory.reload()
            return True

        if await retry_database(load, what="device_directory", log=log, stop=self.stopping):
            return True
        await self._engine.dispose()
        await self._alert_engine.dispose()
        return False

    def _paired(self, uid: str) -> None:
        self._directory.paired(uid)
        self._access.changed(uid)
        self._announcer.trigger()
        self._desired_state.trigger()

    def _desired_state_changed(self, _payload: str) -> None:
        self._desired_state.trigger()

    def _ota_changed(self, _payload: str) -> None:
        self._ota.trigger()

    async def _listening(self) -> None:
        """(Re)connected: catch up with whatever was NOTIFYed while nobody listened."""
        await self._directory.reload()
        self._alerts.reload()
        self._announcer.trigger()
        self._desired_state.trigger()
        self._ota.trigger()
        self._access.resync()

    async def _log_counters(self) -> None:
        while True:
            await asyncio.sleep(self._options.counters_interval)
            self.counters.log_line()
