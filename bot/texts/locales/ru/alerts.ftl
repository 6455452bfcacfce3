## /alerts: история уведомлений по страницам.

alerts-title = 🔔 Уведомления, страница { $page } из { $pages } · непрочитанных: { $unread }
alerts-empty = 🔔 Уведомлений пока нет. Они появятся, когда устройство перейдёт порог или пропадёт из сети.
alerts-line = { $marker } { $time } · { $device }: { $what }
alerts-what-high = { $metric } { $value } выше { $threshold }
alerts-what-low = { $metric } { $value } ниже { $threshold }
alerts-what-critical = критично: { $metric } { $value }
alerts-what-normal = { $metric } снова в норме, { $value }
alerts-what-offline = не в сети
alerts-what-online = снова в сети
alerts-what-other = { $type }
alerts-held = (отложено ночью)
alerts-button-newer = « Новее
alerts-button-older = Старше »
alerts-button-read-all = ✔️ Отметить все прочитанными
alerts-all-read = Все уведомления отмечены прочитанными.

command-alerts = История уведомлений
