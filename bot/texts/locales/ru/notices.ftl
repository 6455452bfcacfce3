## Уведомления о порогах и о связи (доставка из outbox) и кнопки под ними; названия и значения показателей.

metric-co2 = CO2
metric-temperature = температура
metric-humidity = влажность
metric-pm25 = PM2.5
metric-voc = VOC
metric-energy_kwh = энергия
metric-power_w = мощность
metric-voltage_v = напряжение
metric-current_a = ток
metric-cpu_percent = ЦП
metric-mem_percent = память
metric-disk_percent = диск
metric-load1 = нагрузка
metric-other = { $metric }

value-co2 = { NUMBER($value, maximumFractionDigits: 0, useGrouping: 0) } ppm
value-temperature = { NUMBER($value, maximumFractionDigits: 1) } °C
value-humidity = { NUMBER($value, maximumFractionDigits: 0) } %
value-pm25 = { NUMBER($value, maximumFractionDigits: 1) } мкг/м³
value-voc = { NUMBER($value, maximumFractionDigits: 0) }
value-energy_kwh = { NUMBER($value, maximumFractionDigits: 3) } кВт·ч
value-power_w = { NUMBER($value, maximumFractionDigits: 0) } Вт
value-voltage_v = { NUMBER($value, maximumFractionDigits: 1) } В
value-current_a = { NUMBER($value, maximumFractionDigits: 2) } А
value-cpu_percent = { NUMBER($value, maximumFractionDigits: 1) } %
value-mem_percent = { NUMBER($value, maximumFractionDigits: 1) } %
value-disk_percent = { NUMBER($value, maximumFractionDigits: 1) } %
value-load1 = { NUMBER($value, maximumFractionDigits: 2) }
value-other = { NUMBER($value, maximumFractionDigits: 1) }
value-unknown = —

notice-high = ⚠️ { $device }: { $metric } { $value }, выше порога { $threshold } с { $since }.
notice-low = ⚠️ { $device }: { $metric } { $value }, ниже порога { $threshold } с { $since }.
notice-critical = 🚨 КРИТИЧНО — { $device }: { $metric } { $value } (порог { $threshold }), за порогом с { $since }.
notice-normal = ✅ { $device }: { $metric } снова в норме, { $value }. Длилось { $duration } (хуже всего { $peak }).
notice-offline-last-will = 📴 { $device } отключилось в { $at } (связь оборвалась). Последний раз на связи: { $last_seen }.
notice-offline-silence = 📴 { $device } перестало присылать данные: не в сети с { $at }. Последний раз на связи: { $last_seen }.
notice-online = 📶 { $device } снова в сети, пробыло offline { $duration }.
notice-never = никогда

notice-button-history = 📈 История
notice-button-mute = 🔕 Тишина 1 ч
notice-muted = 🔕 Уведомления от { $device } для вас выключены до { $until }.
notice-over-budget = ⚠️ { $device } отправляет данные намного чаще, чем положено устройству (больше 10 сообщений в секунду долгое время): { $dropped } сообщений отброшено. Проверьте интервал отправки или прошивку. Это сообщение приходит не чаще раза в день.
