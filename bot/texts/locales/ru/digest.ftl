## Утренняя сводка и /digest.

digest-all-good = ☀️ Доброе утро! Ночь прошла спокойно: показания в пределах нормы, все устройства были на связи.
digest-title = ☀️ Доброе утро! Ваша ночь, { $date }:
digest-device = 📟 { $device }
digest-co2 = CO2 в среднем { $avg }, максимум { $max }
digest-co2-none = показаний CO2 за ночь нет
digest-above = выше { $threshold } в течение { $duration }
digest-summary = 📊 за сутки: { $figures }
digest-day = 📊 { $device } за сутки: { $figures }
digest-summary-use = { $metric }: израсходовано { $value }
digest-summary-max = { $metric }: максимум { $value }
digest-summary-avg = { $metric }: в среднем { $value }
digest-summary-offline = не в сети { $duration } за ночь
digest-summary-online = на связи все сутки
digest-held = отложено ночью: { $what } в { $time }
digest-sent = тревога ночью: { $what } в { $time }
digest-offline = не в сети { $start }–{ $end }
digest-offline-ongoing = не в сети с { $start }

digest-settings = 🌅 Утренняя сводка: { $state }, в { $hour }:00 по вашему времени ({ $timezone }).
digest-state-on = включена
digest-state-off = выключена
digest-button-on = Включить
digest-button-off = Выключить
digest-button-earlier = ◀ на час раньше
digest-button-later = на час позже ▶

command-digest = Утренняя сводка: вкл/выкл и время
digest-more = …и ещё устройств: { $count }. Все они — в /status.
