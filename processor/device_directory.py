"""Which uids belong to paired (owned) devices, with their type: an in-memory map, so the hot path asks no
database. The type decides the plausible ranges a device's readings are held to (SPEC 3a).

Loaded whole at start, reloaded periodically and whenever the LISTEN connection (re)connects; a device paired
meanwhile is announced by NOTIFY. A uid not in the map gets one database look-up, then is remembered as
unknown for a short while; look-ups are also rate-limited, so made-up uids cannot hammer the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import payloads
from core.models import Device, UserDevice
from core.retry import DATABASE_ERRORS, is_transient

log = logging.getLogger(__name__)

NEGATIVE_TTL = 30.0
RELOAD_INTERVAL = 60.0
LOOKUPS_PER_SECOND = 20
_MAX_NEGATIVE = 100_000


class Known(NamedTuple):
    """An owned device as ingest needs it."""

    device_id: int
    device_type: str
    # payloads.type_ranges(device_type), looked up once when the device is loaded rather than per message.
    ranges: payloads.Ranges


def _known(device_id: int, device_type: str) -> Known:
    return Known(device_id, device_type, payloads.type_ranges(device_type))


def _owned() -> Select[str, int, str]:
    return select(Device.device_uid, Device.id, Device.device_type).join(
        UserDevice, (UserDevice.device_id == Device.id) & (UserDevice.role == "owner")
    )


class DeviceDirectory:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._owned: dict[str, Known] = {}
        self._unknown_until: dict[str, float] = {}
        self._pairings = 0  # pairing notices so far: a look-up that saw one arrive meanwhile may be stale
        self._window_start = 0.0
        self._window_lookups = 0
        self._paused_until = 0.0

    def get(self, uid: str) -> Known | None:
        """An owned device, from memory only."""
        return self._owned.get(uid)

    @property
    def owned(self) -> dict[str, Known]:
        """The map itself, for ingest to look a whole batch up in (read only; replaced on reload)."""
        return self._owned

    async def resolve(self, uid: str) -> Known | None:
        """An owned device, asking PostgreSQL (sparingly) on a miss."""
        known = self._owned.get(uid)
        if known is not None:
            return known
        now = time.monotonic()
        if self._unknown_until.get(uid, 0.0) > now or not self._may_look_up(now):
            return None
        pairings = self._pairings
        try:
            known = await self._look_up(uid)
        except DATABASE_ERRORS as error:
            if not is_transient(error):
                raise
            # PostgreSQL is away: the map loaded before is the best knowledge we have, and ingest must not
            # stall on a connection attempt per unknown uid meanwhile.
            self._paused_until = now + NEGATIVE_TTL
            return None
        if known is None and self._pairings != pairings:
            # A device paired while we asked: our answer may predate its commit, and remembering it would
            # drop its first messages (the config it just applied, its first reading) for NEGATIVE_TTL.
            return None
        if known is None:
            if len(self._unknown_until) >= _MAX_NEGATIVE:
                self._unknown_until.clear()
            self._unknown_until[uid] = now + NEGATIVE_TTL
        else:
            self._owned[uid] = known
        return known

    def paired(self, uid: str) -> None:
        """NOTIFY said `uid` was just paired: forget that it was unknown."""
        self._pairings += 1
        self._unknown_until.pop(uid, None)

    async def reload(self) -> None:
        """Replace the map with the database's truth (a device unpaired since is dropped here)."""
        async with self._sessionmaker() as session:
            rows = await session.execute(_owned())
            self._owned = {uid: _known(device_id, device_type) for uid, device_id, device_type in rows}
        self._unknown_until.clear()
        self._paused_until = 0.0
        log.info("device directory loaded owned=%s", len(self._owned))

    async def refresh(self, uid: str) -> None:
        self.paired(uid)
        known = await self._look_up(uid)
        if known is not None:
            self._owned[uid] = known

    async def run(self) -> None:
        """Periodic reload; a failure (PostgreSQL away) just waits for the next round."""
        while True:
            await asyncio.sleep(RELOAD_INTERVAL)
            try:
                await self.reload()
            except DATABASE_ERRORS as error:
                if not is_transient(error):
                    raise
                log.warning("device directory reload failed error=%r", error)

    def _may_look_up(self, now: float) -> bool:
        if now < self._paused_until:
            return False
        if now - self._window_start >= 1.0:
            self._window_start, self._window_lookups = now, 0
        self._window_lookups += 1
        return self._window_lookups <= LOOKUPS_PER_SECOND

    async def _look_up(self, uid: str) -> Known | None:
        async with self._sessionmaker() as session:
            row = (await session.execute(_owned().where(Device.device_uid == uid))).first()
        return None if row is None else _known(row[1], row[2])
