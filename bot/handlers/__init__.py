"""Every feature's Router, wired in one place; order matters where two could take the same update."""

from __future__ import annotations

from aiogram import Dispatcher

from bot.filters.private_chats import PrivateChats
from bot.handlers import (
    admin,
    alerts,
    billing,
    broadcast,
    device_commands,
    devices,
    digest,
    errors,
    export,
    fallback,
    history,
    language,
    live,
    notices,
    ota,
    pairing,
    report,
    select,
    settings,
    sharing,
    start,
    status,
)


def setup_routers(dispatcher: Dispatcher) -> None:
    # Filters are coroutines (PrivateChats, StateFilter(…) rather than F.chat.type or a bare State): aiogram
    # runs a synchronous filter in a worker thread, one hop there and back per check of every message.
    dispatcher.message.filter(PrivateChats())
    dispatcher.include_routers(
        errors.router,
        sharing.router,  # `/start inv_…` before the plain /start
        start.router,
        pairing.router,
        devices.router,
        select.router,
        status.router,
        language.router,
        alerts.router,
        notices.router,
        digest.router,
        settings.router,
        device_commands.router,
        live.router,
        history.router,
        export.router,
        report.router,
        admin.router,  # operators only; anyone else falls through to `fallback`
        billing.router,
        broadcast.router,  # operators only, as admin
        ota.router,  # /firmware and /rollouts for operators only; /update for owners
        # New features go above this line: fallback answers whatever nobody else took.
        fallback.router,
    )
