"""/share: the owner invites someone to a device with a role (invitations) and manages its members."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.sharing import invitations, members

router = Router(name=__name__)
router.include_routers(invitations.router, members.router)
