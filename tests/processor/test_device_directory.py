"""The processor's map of paired devices: a device paired while the processor was asking the database about
it is not remembered as unknown (its first messages would be dropped for NEGATIVE_TTL)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from processor.device_directory import DeviceDirectory
from sandbox.seed import new_uid, pair_device


async def test_a_look_up_under_way_when_the_device_is_paired_does_not_keep_it_unknown(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    directory = DeviceDirectory(sessionmaker)
    uid = new_uid("test")
    asking = asyncio.create_task(directory.resolve(uid))  # a message of a device not paired (yet)
    await asyncio.sleep(0)  # the look-up is on its way to PostgreSQL
    directory.paired(uid)  # the pairing's notice arrives meanwhile
    assert await asking is None  # what the database said when asked
    device_id = await pair_device(sessionmaker, uid=uid)
    known = await directory.resolve(uid)  # the device's next message
    assert known is not None and known.device_id == device_id


async def test_a_device_not_paired_is_looked_up_once_and_then_remembered_as_unknown(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    directory = DeviceDirectory(sessionmaker)
    uid = new_uid("test")
    assert await directory.resolve(uid) is None
    await pair_device(sessionmaker, uid=uid)
    assert await directory.resolve(uid) is None  # remembered: no query per message of an unknown device
    directory.paired(uid)  # until its pairing's notice
    assert await directory.resolve(uid) is not None
