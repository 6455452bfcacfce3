"""Texts built from data: time in the user's zone, readings with their markers (no Telegram needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.texts import Catalogue
from bot.views.digest import digest_text
from bot.views.fitting import MESSAGE_LENGTH, fit_blocks, telegram_length
from bot.views.readings import reading_line
from bot.views.seen import seen_text
from core.services.readings import Reading, reading_of

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
catalogue = Catalogue()


def test_recent_contact_is_counted_in_minutes() -> None:
    en, ru = catalogue["en"], catalogue["ru"]
    assert seen_text(en, NOW - timedelta(seconds=20), NOW, "Europe/Moscow") == "seen just now"
    assert seen_text(en, NOW - timedelta(minutes=2, seconds=59), NOW, "Europe/Moscow") == "seen 2 min ago"
    assert seen_text(ru, NOW - timedelta(minutes=21), NOW, "Europe/Moscow") == "на связи 21 минуту назад"


def test_older_contact_is_shown_in_the_users_own_zone() -> None:
    en = catalogue["en"]
    five_hours_ago = NOW - timedelta(hours=5)  # 13:00 UTC
    assert seen_text(en, five_hours_ago, NOW, "Europe/Moscow") == "seen at 16:00"
    assert seen_text(en, five_hours_ago, NOW, "Asia/Tokyo") == "seen at 22:00"
    assert seen_text(en, NOW - timedelta(days=2), NOW, "America/New_York") == "seen on 21.11.2026 13:00"
    assert seen_text(en, None, NOW, "Europe/Moscow") == "never seen"


def test_co2_marker_follows_the_level() -> None:
    en = catalogue["en"]
    markers = [reading_line(en, Reading(NOW, co2=ppm)).split()[0] for ppm in (450, 850, 1500, 2500)]
    assert markers == ["🟢", "🟡", "🟠", "🔴"]


def test_missing_metrics_are_left_out() -> None:
    en = catalogue["en"]
    assert reading_line(en, Reading(NOW, humidity=40.4, pm25=12.34)) == "💧 40 % · PM2.5 12.3 µg/m³"
    assert reading_line(en, Reading(NOW)) == "no readings yet"
    assert reading_line(en, None) == "no readings yet"


def test_a_meter_and_a_computer_show_their_types_status_metrics_first() -> None:
    en, ru = catalogue["en"], catalogue["ru"]
    meter = reading_of(
        NOW, {"energy_kwh": 15234.567, "power_w": 2300.0, "voltage_v": 229.5, "current_a": 10.0}
    )
    assert reading_line(en, meter, "meter") == "⚡ 2,300 W · 🔢 15,234.567 kWh · 〰 229.5 V · 🔌 10 A"
    host = reading_of(NOW, {"temperature": 61.0, "cpu_percent": 96.5, "mem_percent": 16.0, "load1": 3.72})
    assert reading_line(ru, host, "host").startswith("🖥 ЦП 96,5 % · 🧠 память 16 % · 🌡 61 °C")


def test_a_meters_morning_digest_tells_its_held_alert_without_a_co2_line() -> None:
    en = catalogue["en"]
    held = {"alert_type": "power_w_high", "value": 7400, "threshold": 7000, "at": NOW.isoformat()}
    meter = {"device_name": "Flat 12", "measures_co2": False, "co2_max": None, "held_alerts": [held]}
    room = {"device_name": "Bedroom", "co2_max": None, "held_alerts": []}
    text = digest_text(en, {"date": "2026-11-23", "devices": [meter, room]}, "Europe/Moscow", NOW)
    flat, bedroom = text.split("\n\n")[1:]
    assert "CO2" not in flat and "7,400 W" in flat
    assert "no CO2 readings overnight" in bedroom


def test_a_computers_digest_line_reads_in_russian_from_its_types_figures() -> None:
    figures = [
        {"summary": "max", "metric": "cpu_percent", "value": 97.5},
        {"summary": "max", "metric": "disk_percent", "value": 72.5},
        {"summary": "offline", "metric": "", "value": 0},
    ]
    host = {"device_name": "robot-7", "measures_co2": False, "summary": figures}
    text = digest_text(catalogue["ru"], {"date": "2026-11-23", "devices": [host]}, "Europe/Moscow", NOW)
    assert (
        text.splitlines()[-1]
        == "📊 за сутки: ЦП: максимум 97,5 % · диск: максимум 72,5 % · на связи все сутки"
    )


def test_a_list_that_fits_is_shown_whole_with_its_tail() -> None:
    text = fit_blocks(catalogue["en"], "Title", ["one", "two"], tail="footer")
    assert text == "Title\n\none\n\ntwo\n\nfooter"


def test_a_long_list_is_cut_at_a_block_with_how_many_more_and_keeps_its_tail() -> None:
    # 🌬 lies outside the BMP: Telegram counts it twice, so a count of code points would overshoot.
    blocks = [f"🌬 Device {n:03} " + "x" * 60 for n in range(200)]
    for language, more in (("en", "…and {} more."), ("ru", "…и ещё {}.")):
        text = fit_blocks(catalogue[language], "Title", blocks, tail="footer")
        assert telegram_length(text) <= MESSAGE_LENGTH
        assert len(text) < MESSAGE_LENGTH - 40  # the emoji were counted twice
        shown = text.count("🌬 ")
        assert 10 < shown < 200
        assert text.endswith("\n\n" + more.format(200 - shown) + "\n\nfooter")
        # Cut where the next block would not have fitted: no room was wasted.
        assert telegram_length(text) + telegram_length(blocks[shown]) + 2 > MESSAGE_LENGTH - 10
