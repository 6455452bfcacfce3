## Shared words, refusals and errors.

role-owner = owner
role-admin = admin
role-viewer = viewer

state-online = online
state-offline = offline
state-on = on
state-off = off

# Moving through a long list's pages (bot/keyboards/paging.py).
page-previous = « Previous
page-next = Next »

button-back = « Back
button-cancel = Cancel

# The last line of a list too long for one message.
list-more = …and { $count } more.

seen-never = never seen
seen-just-now = seen just now
seen-minutes = seen { $minutes } min ago
seen-at-time = seen at { $time }
seen-at-date = seen on { $date }

reading-co2 = { $marker } CO2 { NUMBER($value, maximumFractionDigits: 0, useGrouping: 0) } ppm
reading-temperature = 🌡 { NUMBER($value, maximumFractionDigits: 1) } °C
reading-humidity = 💧 { NUMBER($value, maximumFractionDigits: 0) } %
reading-pm25 = PM2.5 { NUMBER($value, maximumFractionDigits: 1) } µg/m³
reading-voc = VOC { NUMBER($value, maximumFractionDigits: 0) }
reading-energy_kwh = 🔢 { NUMBER($value, maximumFractionDigits: 3) } kWh
reading-power_w = ⚡ { NUMBER($value, maximumFractionDigits: 0) } W
reading-voltage_v = 〰 { NUMBER($value, maximumFractionDigits: 1) } V
reading-current_a = 🔌 { NUMBER($value, maximumFractionDigits: 2) } A
reading-cpu_percent = 🖥 CPU { NUMBER($value, maximumFractionDigits: 1) } %
reading-mem_percent = 🧠 memory { NUMBER($value, maximumFractionDigits: 1) } %
reading-disk_percent = 💽 disk { NUMBER($value, maximumFractionDigits: 1) } %
reading-load1 = 📈 load { NUMBER($value, maximumFractionDigits: 2) }
reading-none = no readings yet

access-refused-denied = ⛔ You have no rights for this on that device.
stale-button = This button is no longer valid. Send /devices to start again.
not-understood = I did not understand that. /help lists what I can do.
error-unexpected = Something went wrong on our side. Please try again in a minute.

duration-seconds = less than a minute
duration-minutes = { $minutes } min
duration-hours = { $hours } h { $minutes } min
