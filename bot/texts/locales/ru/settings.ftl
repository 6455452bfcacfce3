## /settings (владелец и администратор): интервал, оповещения, пороги, ночной режим, часовой пояс.

command-settings = Настройки устройства

settings-no-device = Сначала выберите устройство командой /select.
settings-refused-role = ⛔ Менять настройки этого устройства может только владелец или администратор.
settings-overview =
    ⚙️ Настройки { $name }
    Интервал отправки: { $interval }
    Оповещения: { $alerts }
    Ночной режим: { $night }
    Ваш часовой пояс: { $timezone }
    { $sync }
settings-sync-applied = ✅ Устройство работает с этими настройками.
settings-sync-waiting = ⏳ Ждём, пока устройство применит последнее изменение.
settings-sync-server = ✅ Применяются на сервере: устройство присылает данные по HTTP, отправлять ему ничего не нужно.
settings-minutes = { $minutes } мин
settings-seconds = { $seconds } с
settings-interval-agent = задаётся агентом Telegraf ("interval" в telegraf.conf)
settings-night-hours = { $start }:00–{ $end }:00
settings-rule-above = { $metric } выше { $threshold } (сброс ниже { $clear })
settings-rule-below = { $metric } ниже { $threshold } (сброс выше { $clear })
settings-levels-title = 📏 Пороги оповещений { $name }. Нажмите на порог или уровень сброса, чтобы изменить его:
settings-no-rules = Правил оповещений нет.
settings-interval-title = ⏱ Как часто устройству отправлять показания? Сейчас: { $interval }.
settings-night-title = 🌙 Ночной режим придерживает оповещения в эти часы (ваш часовой пояс, { $timezone }) и присылает сводку утром. Сейчас: { $night }.
settings-timezone-title = 🕒 Ваш часовой пояс для ночного режима и времени: { $timezone }.

settings-button-interval = ⏱ Интервал отправки
settings-button-alerts-on = 🔔 Включить оповещения
settings-button-alerts-off = 🔕 Выключить оповещения
settings-button-levels = 📏 Пороги
settings-button-night = 🌙 Ночной режим
settings-button-night-off = Выключить ночной режим
settings-button-timezone = 🕒 Часовой пояс
settings-button-type = ⌨️ Ввести значение
settings-button-clear = сброс при { $value }
settings-button-open = « Настройки

settings-ask-interval = Пришлите интервал отправки в секундах, от { $low } до { $high }.
settings-ask-night = Пришлите ночные часы как НАЧАЛО-КОНЕЦ, например 22-7. Пришлите «выкл», чтобы выключить ночной режим.
settings-ask-timezone = Пришлите часовой пояс в формате IANA, например Europe/Moscow или Asia/Almaty.
settings-ask-threshold = { $rule }
    Пришлите новый порог, от { $low } до { $high }.
settings-ask-clear = { $rule }
    Пришлите новый уровень сброса, от { $low } до { $high }.
settings-try-again = { $reason } Пришлите другое значение или команду для отмены.

settings-refused-not-a-number = ⚠️ Это не число. Пришлите только цифры, например 60 или 27,5.
settings-refused-number-too-large = ⚠️ Это число слишком велико для любой настройки. Пришлите значение из указанного выше диапазона.
settings-refused-interval-range = ⚠️ Интервал — целое число секунд от { $low } до { $high }.
settings-refused-interval-agent = ⚠️ Устройство присылает данные по HTTP: его интервал отчётов — "interval" в telegraf.conf, SmartAir не может его изменить.
settings-refused-level-range = ⚠️ Уровень должен быть от { $low } до { $high }.
settings-refused-clear-below = ⚠️ Уровень сброса должен быть ниже порога ({ $threshold }), иначе оповещение будет мигать.
settings-refused-clear-above = ⚠️ Уровень сброса должен быть выше порога ({ $threshold }), иначе оповещение будет мигать.
settings-refused-threshold-critical = ⚠️ Порог должен оставаться ниже критического уровня ({ $critical }).
settings-refused-night-hours = ⚠️ Ночные часы — два разных часа от 0 до 23, например 22-7.
settings-refused-timezone = ⚠️ Не знаю такого часового пояса. Используйте имя IANA, например Europe/Moscow.
settings-refused-no-rule = ⚠️ Этого правила больше нет. Откройте /settings заново.

settings-saved = ✅ Сохранено.
settings-sent = ⏳ Отправлено на { $name } — ждём устройство…
settings-applied = ✅ Применено: { $name } подтвердило новые настройки.
settings-not-confirmed = ⌛ { $name } ещё не подтвердило. Оно получит новые настройки, как только выйдет на связь.
settings-timezone-saved = ✅ Часовой пояс: { $timezone }.
