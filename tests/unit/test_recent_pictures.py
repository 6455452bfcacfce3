"""Recent pictures: identical requests within the minute share one drawing; later or failed ones draw anew."""

from __future__ import annotations

import asyncio

import pytest

from bot.workers.rendering.recent import RecentPictures


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Drawer:
    """Counts drawings; each one waits for `release` so the test decides when it finishes."""

    def __init__(self) -> None:
        self.drawn = 0
        self.release = asyncio.Event()
        self.fail = False

    async def __call__(self) -> str:
        self.drawn += 1
        number = self.drawn
        await self.release.wait()
        if self.fail:
            raise RuntimeError("drawing failed")
        return f"picture {number}"


def instant() -> Drawer:
    """A drawer whose drawings finish at once."""
    drawer = Drawer()
    drawer.release.set()
    return drawer


async def test_twenty_identical_requests_at_once_cause_one_drawing() -> None:
    recent: RecentPictures[str] = RecentPictures(clock=Clock())
    drawer = Drawer()
    waiting = [asyncio.create_task(recent.get(("device", 1, "7d"), drawer)) for _ in range(20)]
    await asyncio.sleep(0)
    drawer.release.set()
    assert await asyncio.gather(*waiting) == ["picture 1"] * 20
    assert drawer.drawn == 1


async def test_a_picture_is_reused_within_the_minute_and_drawn_again_after_it() -> None:
    clock = Clock()
    recent: RecentPictures[str] = RecentPictures(ttl_s=60, clock=clock)
    drawer = instant()
    assert await recent.get("week", drawer) == "picture 1"
    clock.now += 59
    assert await recent.get("week", drawer) == "picture 1"
    assert await recent.get("day", drawer) == "picture 2"
    clock.now += 2
    assert await recent.get("week", drawer) == "picture 3"


async def test_a_failed_drawing_is_not_kept() -> None:
    recent: RecentPictures[str] = RecentPictures(clock=Clock())
    drawer = instant()
    drawer.fail = True
    with pytest.raises(RuntimeError):
        await recent.get("week", drawer)
    drawer.fail = False
    assert await recent.get("week", drawer) == "picture 2"


async def test_one_cancelled_requester_does_not_cancel_the_picture_for_the_others() -> None:
    recent: RecentPictures[str] = RecentPictures(clock=Clock())
    drawer = Drawer()
    impatient = asyncio.create_task(recent.get("week", drawer))
    patient = asyncio.create_task(recent.get("week", drawer))
    await asyncio.sleep(0)
    impatient.cancel()
    drawer.release.set()
    assert await patient == "picture 1"
    assert drawer.drawn == 1


async def test_old_pictures_make_room_when_the_bound_is_reached() -> None:
    clock = Clock()
    recent: RecentPictures[str] = RecentPictures(max_entries=2, clock=clock)
    drawer = instant()
    for key in ("a", "b", "c"):
        await recent.get(key, drawer)
    # "a" was the oldest and made room for "c": asked again, it is drawn again; "c" is still kept.
    assert await recent.get("c", drawer) == "picture 3"
    assert await recent.get("a", drawer) == "picture 4"
