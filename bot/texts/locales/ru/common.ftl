## Общие слова, отказы и ошибки.

role-owner = владелец
role-admin = администратор
role-viewer = наблюдатель

state-online = в сети
state-offline = не в сети
state-on = включены
state-off = выключены

# Moving through a long list's pages (bot/keyboards/paging.py).
page-previous = « Назад
page-next = Дальше »

button-back = « Назад
button-cancel = Отмена

# Последняя строка списка, который не помещается в одно сообщение.
list-more = …и ещё { $count }.

seen-never = ещё не выходил на связь
seen-just-now = на связи только что
seen-minutes = на связи { $minutes ->
    [one] { $minutes } минуту назад
    [few] { $minutes } минуты назад
   *[other] { $minutes } минут назад
}
seen-at-time = на связи в { $time }
seen-at-date = на связи { $date }

reading-co2 = { $marker } CO2 { NUMBER($value, maximumFractionDigits: 0, useGrouping: 0) } ppm
reading-temperature = 🌡 { NUMBER($value, maximumFractionDigits: 1) } °C
reading-humidity = 💧 { NUMBER($value, maximumFractionDigits: 0) } %
reading-pm25 = PM2.5 { NUMBER($value, maximumFractionDigits: 1) } мкг/м³
reading-voc = VOC { NUMBER($value, maximumFractionDigits: 0) }
reading-energy_kwh = 🔢 { NUMBER($value, maximumFractionDigits: 3) } кВт·ч
reading-power_w = ⚡ { NUMBER($value, maximumFractionDigits: 0) } Вт
reading-voltage_v = 〰 { NUMBER($value, maximumFractionDigits: 1) } В
reading-current_a = 🔌 { NUMBER($value, maximumFractionDigits: 2) } А
reading-cpu_percent = 🖥 ЦП { NUMBER($value, maximumFractionDigits: 1) } %
reading-mem_percent = 🧠 память { NUMBER($value, maximumFractionDigits: 1) } %
reading-disk_percent = 💽 диск { NUMBER($value, maximumFractionDigits: 1) } %
reading-load1 = 📈 нагрузка { NUMBER($value, maximumFractionDigits: 2) }
reading-none = показаний пока нет

access-refused-denied = ⛔ У вас нет прав на это действие с этим устройством.
stale-button = Эта кнопка больше не действует. Отправьте /devices, чтобы начать заново.
not-understood = Я не понял. /help — список того, что я умею.
error-unexpected = У нас что-то пошло не так. Попробуйте ещё раз через минуту.

duration-seconds = меньше минуты
duration-minutes = { $minutes } мин
duration-hours = { $hours } ч { $minutes } мин
