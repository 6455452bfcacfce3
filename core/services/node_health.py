"""Each program's heartbeat row (`node_health`): /admin's "node health" line reads uptime and last error here.

One row per program name; several replicas of one program share it (the newest start and beat win), which
is what an operator's one-line summary can show.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import NodeHealth

ERROR_MAX_LENGTH = 300


async def beat(session: AsyncSession, program: str, started_at: datetime, now: datetime) -> None:
    """The program is alive at `now`, running since `started_at`. Runs in the caller's transaction."""
    statement = insert(NodeHealth).values(program=program, started_at=started_at, beat_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[NodeHealth.program], set_={"started_at": started_at, "beat_at": now}
        )
    )


async def record_error(session: AsyncSession, program: str, error: str, at: datetime) -> None:
    """The program's newest unexpected error (recorded once the program has its heartbeat row)."""
    await session.execute(
        update(NodeHealth)
        .where(NodeHealth.program == program)
        .values(last_error=error[:ERROR_MAX_LENGTH], last_error_at=at)
    )
