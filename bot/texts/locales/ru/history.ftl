## /history: график текущего устройства.

command-history = График текущего устройства
history-empty = У вас пока нет устройств. Привяжите первое командой /add КОД.
history-pick = Историю какого устройства показать?
history-caption = 📈 { $name } · { $period } · время { $zone }

history-span-6h = 6 ч
history-span-24h = 24 ч
history-span-7d = 7 дн
history-span-30d = 30 дн
history-span-this_month = этот месяц
history-span-last_month = прошлый месяц

history-metric-all = Все
history-metric-co2 = CO₂
history-metric-temperature = 🌡 Темп.
history-metric-humidity = 💧 Влажность
history-metric-pm25 = PM2.5
history-metric-energy_kwh = 🔢 кВт·ч
history-metric-power_w = ⚡ Мощность
history-metric-cpu_percent = 🖥 ЦП
history-metric-mem_percent = 🧠 ОЗУ
history-metric-disk_percent = 💽 Диск
