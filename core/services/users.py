"""Bot users: registration on first contact, language, reachability."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Profile:
    """What Telegram tells about a person on every update."""

    telegram_id: int
    username: str | None
    first_name: str | None
    language_code: str | None


def language_for(language_code: str | None) -> str:
    """Russian for a Russian Telegram client, English for everyone else."""
    if language_code and language_code.lower().split("-")[0] == "ru":
        return "ru"
    return DEFAULT_LANGUAGE


# Built once: every update looks its sender up with it (bench/status_findings.md).
_BY_TELEGRAM_ID = select(User).where(User.telegram_id == bindparam("telegram_id"))


async def register(session: AsyncSession, profile: Profile, timezone: str) -> User:
    """The user for `profile`, created on first contact; idempotent and safe under concurrent updates.

    A known user's name is refreshed and they count as reachable again (they just wrote to us).
    """
    user = await session.scalar(_BY_TELEGRAM_ID, {"telegram_id": profile.telegram_id})
    if user is not None and _up_to_date(user, profile):
        return user
    statement = (
        insert(User)
        .values(
            telegram_id=profile.telegram_id,
            username=profile.username,
            first_name=profile.first_name,
            language=language_for(profile.language_code),
            timezone=timezone,
        )
        .on_conflict_do_update(
            index_elements=[User.telegram_id],
            set_={"username": profile.username, "first_name": profile.first_name, "is_active": True},
        )
        .returning(User)
        .execution_options(populate_existing=True)
    )
    user = (await session.scalars(statement)).one()
    await session.commit()
    return user


def _up_to_date(user: User, profile: Profile) -> bool:
    return user.is_active and (user.username, user.first_name) == (profile.username, profile.first_name)


async def set_language(session: AsyncSession, user: User, language: str) -> None:
    """Store the user's choice; only languages the bot has texts for are accepted."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    user.language = language
    await session.commit()


async def mark_inactive(session: AsyncSession, telegram_id: int) -> None:
    """The user blocked the bot: nothing is sent to them until they write again."""
    await session.execute(update(User).where(User.telegram_id == telegram_id).values(is_active=False))
    await session.commit()


def display_name(user: User) -> str:
    """How other members see this user."""
    if user.username:
        return "@" + user.username
    return user.first_name or f"#{user.telegram_id}"
