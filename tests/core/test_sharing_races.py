"""Accepting an invitation while the owner removes the device never leaves a member on an ownerless device."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import User, UserDevice
from core.services import devices, live, pairing, sharing


async def _user(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> User:
    async with sessionmaker() as session:
        user = User(telegram_id=10**12 + secrets.randbelow(10**12), first_name=name)
        session.add(user)
        await session.commit()
        return user


async def _owned_device(sessionmaker: async_sessionmaker[AsyncSession], owner: User) -> int:
    now = datetime.now(UTC)
    async with sessionmaker() as session:
        offer = await pairing.offer_code(session, f"race-{secrets.token_hex(4)}", "co2", "2.0.1", now)
    assert offer is not None
    async with sessionmaker() as session:
        return (await pairing.claim_code(session, owner, offer.code, now)).id


async def _accept(sessionmaker: async_sessionmaker[AsyncSession], guest: User, token: str) -> None:
    async with sessionmaker() as session:
        with contextlib.suppress(sharing.SharingError):  # refused: the device was removed first
            await sharing.accept(session, guest, token, datetime.now(UTC))


async def _remove(sessionmaker: async_sessionmaker[AsyncSession], owner: User, device_id: int) -> None:
    async with sessionmaker() as session:
        await devices.remove(session, owner.id, device_id)


async def test_an_invitation_accepted_while_the_device_is_removed_links_nobody(
    sessionmaker: async_sessionmaker[AsyncSession],
):
    for _ in range(8):
        owner, guest = await _user(sessionmaker, "Owner"), await _user(sessionmaker, "Guest")
        device_id = await _owned_device(sessionmaker, owner)
        async with sessionmaker() as session:
            invite = await sharing.invite(session, owner.id, device_id, "viewer", datetime.now(UTC))

        await asyncio.gather(
            _accept(sessionmaker, guest, invite.token), _remove(sessionmaker, owner, device_id)
        )

        async with sessionmaker() as session:
            links = await session.scalar(
                select(func.count()).select_from(UserDevice).where(UserDevice.device_id == device_id)
            )
        assert links == 0


async def test_a_revoked_member_s_live_view_ends_at_its_next_renewal(
    sessionmaker: async_sessionmaker[AsyncSession],
):
    owner, guest = await _user(sessionmaker, "Owner"), await _user(sessionmaker, "Guest")
    device_id = await _owned_device(sessionmaker, owner)
    async with sessionmaker() as session:
        invite = await sharing.invite(session, owner.id, device_id, "viewer", datetime.now(UTC))
    await _accept(sessionmaker, guest, invite.token)
    async with sessionmaker() as session:
        view = await live.start(session, guest.id, [device_id], datetime.now(UTC))
    async with sessionmaker() as session:
        assert await live.renew(session, view.id, datetime.now(UTC)) == [device_id]

    async with sessionmaker() as session:
        await sharing.revoke(session, owner.id, device_id, guest.id)

    async with sessionmaker() as session:
        assert await live.renew(session, view.id, datetime.now(UTC)) == []
