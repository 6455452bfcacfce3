"""`python -m bot`: the composition root. Settings, database, Bot API session, dispatcher, long polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web as aiohttp_web
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cluster import webhook
from bot.cluster.storage import check_reachable, fsm_storage
from bot.commands import set_commands
from bot.delivery.metrics import bot_metrics
from bot.delivery.service import delivering
from bot.delivery.settings import DeliverySettings
from bot.handlers import setup_routers
from bot.handlers.billing import notifications as billing_notifications
from bot.handlers.billing.context import BillingContext
from bot.jobs.billing import billing_jobs
from bot.jobs.digest import scheduled_jobs
from bot.jobs.retention import retention_job
from bot.middlewares import setup_middlewares
from bot.middlewares.response_models import ResponseModels
from bot.middlewares.retry_after import RetryAfter
from bot.texts import Catalogue
from bot.workers.ota_progress import OtaProgress
from bot.workers.rendering.pool import Renderer
from core import task_stacks, web
from core.billing import grace, revenue, yookassa
from core.billing.metrics import billing_metrics
from core.db import make_engine, make_sessionmaker
from core.monitoring.metrics import Refresh
from core.monitoring.watch import watch
from core.services import archive
from core.settings import (
    BillingSettings,
    DatabaseSettings,
    FirmwareSettings,
    GeneralSettings,
    HttpSettings,
    OperatorSettings,
    PresenceSettings,
    ReplicaSettings,
    RetentionSettings,
    TelegramSettings,
    load,
)
from core.stop_deadline import on_stop_signals
from core.supervisor import Supervisor


def create_bot(settings: TelegramSettings, *, wait_on_flood: bool = True) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(ResponseModels())
    if wait_on_flood:
        session.middleware(RetryAfter())
    return Bot(settings.bot_token.get_secret_value(), session=session)


async def run(
    telegram: TelegramSettings,
    database: DatabaseSettings,
    general: GeneralSettings,
    delivery: DeliverySettings,
    http: HttpSettings,
    *,
    operators: OperatorSettings,
    billing: BillingSettings,
    retention: RetentionSettings,
    replicas: ReplicaSettings,
    firmware: FirmwareSettings,
    presence: PresenceSettings,
) -> None:
    task_stacks.log_on_request("bot")
    stopping = asyncio.Event()
    on_stop_signals("bot", general.stop_deadline, stopping.set)
    engine = make_engine(database.database_url)
    sessionmaker = make_sessionmaker(engine)
    catalogue = Catalogue()
    # Charts and reports are drawn in worker processes, started now rather than on the first request.
    renderer = Renderer(glyph_cache=general.chart_glyph_cache)
    billing_context = BillingContext(billing, http.public_url.rstrip("/") + "/billing/return")
    storage = fsm_storage(replicas.redis_url)
    archive.configure(general.clickhouse_url, retention.telemetry_retention_days)
    dispatcher = Dispatcher(
        storage=storage,
        catalogue=catalogue,
        sessionmaker=sessionmaker,
        renderer=renderer,
        operators=operators.operators,
        billing=billing_context,
        firmware_settings=firmware,
        command_ttl=general.command_ttl,
        # /admin's dashboard shows this month's revenue while billing is on.
        **({"revenue": revenue.month_revenue} if billing.enabled else {}),
    )
    dispatcher.startup.register(renderer.start)
    setup_middlewares(dispatcher, database.database_url, catalogue, general.tz)
    setup_routers(dispatcher)
    dispatcher.startup.register(set_commands)
    # The delivery worker reschedules a 429'd row itself instead of sleeping inside the request.
    sender, receiver = create_bot(telegram, wait_on_flood=False), create_bot(telegram)
    tasks = Supervisor("bot")
    try:
        await check_reachable(storage)
        async with contextlib.AsyncExitStack() as background:
            await background.enter_async_context(tasks)
            tasks.start("ota_progress", OtaProgress(receiver, sessionmaker, catalogue).run)
            # Features add their routes (payment notifications, metrics, webhook) to this one application,
            # and their figures to the one registry its /metrics serves.
            web_app, registry = web.new_app(), CollectorRegistry()
            refresh = await _billing(web_app, registry, sessionmaker, billing)
            if replicas.bot_webhook_url:
                webhook.add_routes(web_app, dispatcher, receiver)
            outcomes: Counter[str] = Counter()
            if delivery.enabled:
                worker = await background.enter_async_context(
                    delivering(sender, sessionmaker, catalogue, database.database_url, delivery, tasks=tasks)
                )
                outcomes = worker.outcomes
            refresh.append(bot_metrics(registry, sessionmaker, outcomes))
            watch(
                "bot",
                web_app,
                tasks=tasks,
                engine=engine,
                sessionmaker=sessionmaker,
                operators=operators.operators,
                registry=registry,
                refresh=refresh,
            )
            await background.enter_async_context(web.serving(web_app, http.bot_http_port))
            if billing.enabled:
                await background.enter_async_context(billing_jobs(sessionmaker, billing))
            if delivery.digest_job:
                await background.enter_async_context(scheduled_jobs(sessionmaker, presence.min_silence))
            await background.enter_async_context(retention_job(sessionmaker, retention))
            # SIGTERM/SIGINT stop receiving updates gracefully; leaving the block then stops the worker
            # and the scheduler, within STOP_DEADLINE_SECONDS of the signal.
            if replicas.bot_webhook_url:
                await webhook.receive_while_healthy(
                    dispatcher, receiver, replicas.bot_webhook_url, tasks, stopping
                )
            else:
                await webhook.unregister(receiver)
                await _poll_while_healthy(dispatcher, receiver, tasks, stopping)
    finally:
        renderer.close()
        await sender.session.close()
        await receiver.session.close()
        await storage.close()
        await engine.dispose()


async def _billing(
    web_app: aiohttp_web.Application,
    registry: CollectorRegistry,
    sessionmaker: async_sessionmaker[AsyncSession],
    billing: BillingSettings,
) -> list[Refresh]:
    """With billing on: YooKassa's client, `/yookassa` and billing's /metrics (their refresh returned).
    Off: whatever was paused while it was on is lifted."""
    if not billing.enabled:
        await _lift_pauses(sessionmaker)
        return []
    yookassa.configure(billing)
    verdicts: Counter[str] = Counter()
    billing_notifications.add_routes(web_app, sessionmaker, verdicts)
    return [billing_metrics(registry, sessionmaker, verdicts)]


async def _poll_while_healthy(
    dispatcher: Dispatcher, bot: Bot, tasks: Supervisor, stopping: asyncio.Event
) -> None:
    """Long polling until `stopping` is set (SIGTERM/SIGINT), or until a background task gives up: then
    polling stops and `TaskFailed` is raised, so the process exits with an error rather than run on without
    it."""
    # The signals are ours (core.stop_deadline.on_stop_signals), so that a stop has its deadline.
    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False), name="polling")
    watching = asyncio.create_task(tasks.until(stopping), name="until_stopped")
    try:
        await asyncio.wait({polling, watching}, return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            # Asked while the dispatcher starts up, aiogram stops polling once it is up; if the start-up
            # fails instead, its stop_polling() would wait for ever: polling's own end is what counts.
            asked = asyncio.ensure_future(dispatcher.stop_polling())
            try:
                await asyncio.wait({asked, polling}, return_when=asyncio.FIRST_COMPLETED)
                if asked.done() and isinstance(asked.exception(), RuntimeError):  # polling had not started
                    polling.cancel()
                await asyncio.wait({polling})
            finally:
                asked.cancel()
        if watching.done():
            watching.result()  # TaskFailed, if a task gave up
        if not polling.cancelled():
            polling.result()
    finally:
        watching.cancel()


async def _lift_pauses(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """With billing off nothing is ever paused, also what was paused while it was on."""
    async with sessionmaker() as session:
        lifted = await grace.lift_all(session)
    if lifted:
        logging.getLogger(__name__).info("billing off: pauses lifted devices=%s", lifted)


def main() -> None:
    settings = (
        load(TelegramSettings),
        load(DatabaseSettings),
        load(GeneralSettings),
        load(DeliverySettings),
        load(HttpSettings),
    )
    operators, billing, retention = load(OperatorSettings), load(BillingSettings), load(RetentionSettings)
    replicas, firmware, presence = load(ReplicaSettings), load(FirmwareSettings), load(PresenceSettings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(
        run(
            *settings,
            operators=operators,
            billing=billing,
            retention=retention,
            replicas=replicas,
            firmware=firmware,
            presence=presence,
        )
    )


if __name__ == "__main__":
    main()
