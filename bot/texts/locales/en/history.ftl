## /history: a chart of the current device.

command-history = Chart of the current device
history-empty = You have no devices yet. Pair one with /add CODE.
history-pick = Which device's history?
history-caption = 📈 { $name } · { $period } · times in { $zone }

history-span-6h = 6 h
history-span-24h = 24 h
history-span-7d = 7 d
history-span-30d = 30 d
history-span-this_month = this month
history-span-last_month = last month

history-metric-all = All
history-metric-co2 = CO₂
history-metric-temperature = 🌡 Temp
history-metric-humidity = 💧 Humidity
history-metric-pm25 = PM2.5
history-metric-energy_kwh = 🔢 kWh
history-metric-power_w = ⚡ Power
history-metric-cpu_percent = 🖥 CPU
history-metric-mem_percent = 🧠 RAM
history-metric-disk_percent = 💽 Disk
