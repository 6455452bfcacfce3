## Alert and offline notices (delivered from the outbox) and the buttons under them; metric names and values.

metric-co2 = CO2
metric-temperature = temperature
metric-humidity = humidity
metric-pm25 = PM2.5
metric-voc = VOC
metric-energy_kwh = energy
metric-power_w = power
metric-voltage_v = voltage
metric-current_a = current
metric-cpu_percent = CPU
metric-mem_percent = memory
metric-disk_percent = disk
metric-load1 = load
metric-other = { $metric }

value-co2 = { NUMBER($value, maximumFractionDigits: 0, useGrouping: 0) } ppm
value-temperature = { NUMBER($value, maximumFractionDigits: 1) } °C
value-humidity = { NUMBER($value, maximumFractionDigits: 0) } %
value-pm25 = { NUMBER($value, maximumFractionDigits: 1) } µg/m³
value-voc = { NUMBER($value, maximumFractionDigits: 0) }
value-energy_kwh = { NUMBER($value, maximumFractionDigits: 3) } kWh
value-power_w = { NUMBER($value, maximumFractionDigits: 0) } W
value-voltage_v = { NUMBER($value, maximumFractionDigits: 1) } V
value-current_a = { NUMBER($value, maximumFractionDigits: 2) } A
value-cpu_percent = { NUMBER($value, maximumFractionDigits: 1) } %
value-mem_percent = { NUMBER($value, maximumFractionDigits: 1) } %
value-disk_percent = { NUMBER($value, maximumFractionDigits: 1) } %
value-load1 = { NUMBER($value, maximumFractionDigits: 2) }
value-other = { NUMBER($value, maximumFractionDigits: 1) }
value-unknown = —

notice-high = ⚠️ { $device }: { $metric } is { $value }, above the threshold of { $threshold } since { $since }.
notice-low = ⚠️ { $device }: { $metric } is { $value }, below the threshold of { $threshold } since { $since }.
notice-critical = 🚨 CRITICAL — { $device }: { $metric } is { $value } (threshold { $threshold }), beyond it since { $since }.
notice-normal = ✅ { $device }: { $metric } is back to normal, { $value }. It lasted { $duration } (worst { $peak }).
notice-offline-last-will = 📴 { $device } went offline at { $at } (its connection dropped). Last heard from: { $last_seen }.
notice-offline-silence = 📴 { $device } stopped reporting: offline since { $at }. Last heard from: { $last_seen }.
notice-online = 📶 { $device } is back online after { $duration } offline.
notice-never = never

notice-button-history = 📈 History
notice-button-mute = 🔕 Mute 1 h
notice-muted = 🔕 { $device } is muted for you until { $until }.
notice-over-budget = ⚠️ { $device } sends far more often than any device should (more than 10 messages a second for a long while): { $dropped } of its messages were dropped. Check its report interval or firmware. You will hear about this at most once a day.
