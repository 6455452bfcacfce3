"""Every feature's Router, wired in one place; order matters where two could take the same update."""

from __future__ import annotations

from aiogram import Dispatcher, F
from aiogram.enums import ChatType

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
    # Readings, members and invitation links are personal: the bot talks in private chats only.
    dispatcher.message.filter(F.chat.type == ChatType.PRIVATE)
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
