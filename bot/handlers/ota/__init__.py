"""OTA firmware updates (SPEC 6): operators' /firmware and /rollouts, owners' /update."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.ota import firmware, rollouts, update

router = Router(name=__name__)
router.include_routers(update.router, firmware.router, rollouts.router)
