"""Where conversations (FSM state: the /add prompt, typed values, composers) live: Redis with `REDIS_URL`, so
every replica sees them and a restart loses none; in this process's memory without it."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage

log = logging.getLogger(__name__)

# A conversation abandoned for a day is over: its keys expire instead of piling up in Redis.
CONVERSATION_TTL = timedelta(days=1)


def fsm_storage(redis_url: str) -> BaseStorage:
    """Redis with `redis_url`, else memory. The dispatcher's owner closes it (`storage.close()`)."""
    if not redis_url:
        return MemoryStorage()
    # Imported only here: a bot without REDIS_URL never loads redis (half a second of CPU at each start).
    from aiogram.fsm.storage.redis import RedisStorage  # noqa: PLC0415

    # The bot id in every key: bots sharing one Redis never read each other's conversations.
    return RedisStorage.from_url(
        redis_url,
        key_builder=DefaultKeyBuilder(with_bot_id=True),
        state_ttl=CONVERSATION_TTL,
        data_ttl=CONVERSATION_TTL,
    )


async def check_reachable(storage: BaseStorage) -> None:
    """At start: stop the program with one line if the storage is Redis and Redis cannot be reached, rather
    than fail every conversation later."""
    if isinstance(storage, MemoryStorage):
        return
    from aiogram.fsm.storage.redis import RedisStorage  # noqa: PLC0415 - see fsm_storage
    from redis.exceptions import RedisError  # noqa: PLC0415

    if not isinstance(storage, RedisStorage):
        return
    try:
        # redis-py types ping() as sync-or-async.
        await storage.redis.ping()  # type: ignore[misc]
    except (RedisError, OSError) as error:
        raise SystemExit(f"configuration error: REDIS_URL: Redis cannot be reached: {error}") from None
    log.info("conversations in redis")
