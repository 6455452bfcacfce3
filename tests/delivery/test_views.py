"""Notice and digest texts, the send limiter and retry backoff: no database, no Telegram."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.limiter import SendLimiter
from bot.delivery.render import render
from bot.delivery.worker import MAX_BACKOFF, backoff
from bot.texts import Catalogue
from bot.views.digest import digest_text
from bot.views.fitting import MESSAGE_LENGTH, telegram_length
from bot.views.notices import UnreadableNotice, alert_notice, over_budget_notice
from core.services.ota.delivery import HALTED_KIND, WIDENED_KIND
from core.services.outbox import Claimed

NOW = datetime(2026, 3, 12, 5, 10, tzinfo=UTC)  # 08:10 in Moscow
CATALOGUE = Catalogue()


def _device(n: int, **extra: object) -> dict[str, object]:
    return {
        "device_id": n,
        "device_name": f"Room {n}",
        "co2_threshold": 1000,
        "co2_avg": 820.4,
        "co2_max": 1310,
        "minutes_above_threshold": 42.5,
        "held_alerts": [],
        "offline_periods": [],
        **extra,
    }


def test_a_digest_names_each_devices_night_in_the_users_language_and_zone() -> None:
    payload = {
        "date": "2026-03-12",
        "all_good": False,
        "devices": [
            _device(
                1,
                held_alerts=[
                    {
                        "alert_type": "co2_high",
                        "value": 1500,
                        "threshold": 1000,
                        "at": "2026-03-11T21:20:00+00:00",
                    }
                ],
                offline_periods=[{"start": "2026-03-11T22:00:00+00:00", "end": "2026-03-11T22:40:00+00:00"}],
            ),
            _device(2, co2_avg=None, co2_max=None, minutes_above_threshold=0),
        ],
    }
    english = digest_text(CATALOGUE["en"], payload, "Europe/Moscow", NOW).splitlines()
    assert english == [
        "☀️ Good morning! Your night, 12.03.2026:",
        "",
        "📟 Room 1",
        "CO2 average 820 ppm, highest 1310 ppm",
        "above 1000 ppm for 42 min",
        "held at night: CO2 1500 ppm above 1000 ppm at 00:20",
        "offline 01:00–01:40",
        "",
        "📟 Room 2",
        "no CO2 readings overnight",
    ]
    russian = digest_text(CATALOGUE["ru"], payload, "Europe/Moscow", NOW)
    assert "отложено ночью: CO2 1500 ppm выше 1000 ppm в 00:20" in russian


def test_an_alert_sent_at_night_is_told_again_in_the_digest_in_both_languages() -> None:
    sent = {
        "alert_type": "cpu_percent_high",
        "value": 97.5,
        "threshold": 90,
        "at": "2026-03-12T00:12:00+00:00",
    }
    host = {"device_name": "robot-7", "measures_co2": False, "sent_alerts": [sent]}
    payload = {"date": "2026-03-12", "all_good": False, "devices": [host]}
    english = digest_text(CATALOGUE["en"], payload, "Europe/Moscow", NOW).splitlines()
    assert english[-1] == "alert at night: CPU 97.5 % above 90 % at 03:12"
    russian = digest_text(CATALOGUE["ru"], payload, "Europe/Moscow", NOW).splitlines()
    assert russian[-1].startswith("тревога ночью: ЦП 97,5 %") and russian[-1].endswith("в 03:12")


def test_a_quiet_night_is_all_good_with_each_meter_and_computer_day_in_one_line() -> None:
    meter = {"device_name": "Flat 12", "summary": [{"summary": "use", "metric": "energy_kwh", "value": 13.5}]}
    room = _device(2, minutes_above_threshold=0)
    payload = {"date": "2026-03-12", "all_good": True, "devices": [meter, room]}
    assert digest_text(CATALOGUE["en"], payload, "Europe/Moscow", NOW).splitlines() == [
        "☀️ Good morning! All good overnight: every reading stayed within its limits and every device stayed"
        " online.",
        "📊 Flat 12, last 24 h: energy used 13.5 kWh",
    ]


def test_a_digest_of_many_devices_stays_within_telegrams_message_length() -> None:
    payload = {"date": "2026-03-12", "all_good": False, "devices": [_device(n) for n in range(200)]}
    text = digest_text(CATALOGUE["en"], payload, "Europe/Moscow", NOW)
    assert telegram_length(text) <= MESSAGE_LENGTH
    shown = text.count("📟 ")
    assert 10 < shown < 200
    assert text.endswith(f"…and {200 - shown} more devices: /status shows them all.")


def test_a_below_threshold_notice_says_below_and_an_unknown_metric_still_renders() -> None:
    payload = {
        "device_id": 7,
        "device_name": "Cellar",
        "alert_type": "humidity_low",
        "value": 18,
        "threshold": 30,
        "metric": "humidity",
        "direction": "below",
        "since": (NOW - timedelta(minutes=2)).isoformat(),
    }
    notice = alert_notice(CATALOGUE["en"], payload, "Europe/Moscow", NOW)
    assert notice.text == "⚠️ Cellar: humidity is 18 %, below the threshold of 30 % since 08:08."
    odd = alert_notice(
        CATALOGUE["en"], {**payload, "alert_type": "radon_high", "metric": "radon"}, "UTC", NOW
    )
    assert odd.text.startswith("⚠️ Cellar: radon is 18")


async def test_the_limiter_keeps_one_message_a_second_per_chat_and_30_a_second_overall() -> None:
    limiter = SendLimiter()
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire(chat) for chat in range(45)))  # 45 chats, one message each
    overall = time.monotonic() - started
    assert 0.4 <= overall < 2.0  # 30 at once (one second's budget), the other 15 at 30/s

    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire(1000) for _ in range(3)))  # three messages to one chat
    assert time.monotonic() - started >= 2.0

    limiter.pause_chat(2000, 1.5)  # Telegram said 429 retry_after=1.5 for this chat
    started = time.monotonic()
    await limiter.acquire(2000)
    assert time.monotonic() - started >= 1.4


def test_retry_backoff_grows_and_is_bounded() -> None:
    first, fourth, late = backoff(1), backoff(4), backoff(30)
    assert 1.6 <= first.total_seconds() <= 2.4
    assert 12.8 <= fourth.total_seconds() <= 19.2
    assert late.total_seconds() <= MAX_BACKOFF * 1.2


def test_a_halted_rollout_notice_names_the_rollout_its_failures_and_the_way_back() -> None:
    payload = {"rollout_id": 7, "device_type": "co2", "version": "2.0.2", "failures": 3, "threshold": 1}
    row = Claimed(1, 1, 42, "en", "Europe/Moscow", HALTED_KIND, payload, None, 0)
    text = render(CATALOGUE, row, NOW).text
    assert "#7" in text and "co2 2.0.2" in text and "3" in text and "/rollouts" in text
    russian = render(CATALOGUE, Claimed(1, 1, 42, "ru", "Europe/Moscow", HALTED_KIND, payload, None, 0), NOW)
    assert "остановлена" in russian.text


def test_a_rollout_widened_by_itself_tells_the_operator_its_new_stage_and_the_soak_it_waited() -> None:
    payload = {
        "rollout_id": 7,
        "device_type": "co2",
        "version": "2.0.2",
        "stage": 25,
        "added": 40,
        "soak_seconds": 5400,
    }
    text = render(
        CATALOGUE, Claimed(1, 1, 42, "en", "Europe/Moscow", WIDENED_KIND, payload, None, 0), NOW
    ).text
    assert "#7" in text and "co2 2.0.2" in text and "25 %" in text and "40 more" in text and "90 min" in text
    russian = render(CATALOGUE, Claimed(1, 1, 42, "ru", "Europe/Moscow", WIDENED_KIND, payload, None, 0), NOW)
    assert "сама перешла на 25 %" in russian.text and "90 мин" in russian.text


def test_over_budget_notice_names_the_device_and_how_much_was_dropped_in_both_languages():
    payload = {"device_id": 7, "device_name": "Kitchen", "dropped": 123}
    english = over_budget_notice(CATALOGUE["en"], payload)
    russian = over_budget_notice(CATALOGUE["ru"], payload)
    assert "Kitchen" in english.text and "123" in english.text and "once a day" in english.text
    assert "Kitchen" in russian.text and "123" in russian.text
    assert english.markup is not None
    with pytest.raises(UnreadableNotice):
        over_budget_notice(CATALOGUE["en"], {"device_id": 7})
