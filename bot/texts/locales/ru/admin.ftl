## Операторы: /admin, /users, /all_devices.

admin-title = 🛠 SmartAir: эксплуатация · { $time }
admin-users = 👥 Пользователи: { $active } активны · { $unreachable } заблокировали бота · { $blocked } заблокированы операторами
admin-devices = 📟 Устройства: { $online } на связи · { $offline } не на связи · { $never } ни разу не выходили на связь
admin-telemetry = 📈 Показания: { $minute } за последнюю минуту · { $day } за 24 ч
admin-alerts = 🔔 Оповещений сегодня: { $count }
admin-outbox = 📤 Уведомлений в очереди: { $depth }
admin-revenue = 💰 Выручка за месяц: { NUMBER($amount, minimumFractionDigits: 0, maximumFractionDigits: 2) } ₽
admin-nodes-title = 🩺 Состояние узлов:
admin-nodes-none = ни одна программа ещё не отчиталась
admin-node = • { $program }: { $state } · { $error }
admin-node-up = работает { $uptime }
admin-node-silent = ⚠️ молчит с { $since }
admin-node-error = последняя ошибка { $at }: { $error }
admin-node-no-error = ошибок нет

admin-button-refresh = 🔄 Обновить
admin-button-users = 👥 Пользователи
admin-button-devices = 📟 Устройства
admin-button-search = 🔎 Поиск
admin-button-dashboard = 🛠 Сводка
admin-button-block = 🚫 Заблокировать
admin-button-unblock = ✅ Разблокировать

admin-users-title = 👥 Пользователи: { $total } · страница { $page } из { $pages }
admin-devices-title = 📟 Устройства: { $total } · страница { $page } из { $pages }
admin-search-for = 🔎 «{ $query }»
admin-nothing-found = Ничего не найдено.
admin-search-users = 🔎 Пришлите имя, @username или Telegram id.
admin-search-devices = 🔎 Пришлите название устройства, uid или Telegram id владельца.
admin-gone = Этого больше нет.

admin-user-card = { $marker } { $name } · Telegram id { $telegram_id }
admin-user-details = #{ $id } · язык { $language } · с { $joined } · { $state }
admin-user-active = активен
admin-user-unreachable = заблокировал бота
admin-user-blocked = 🚫 заблокирован оператором: бот его не слушает
admin-user-devices = Устройств: { $count }
admin-blocked = Заблокирован: бот больше не отвечает этому пользователю.
admin-unblocked = Разблокирован.

admin-device-card = { $marker } { $name } · { $uid }
admin-device-details = тип { $type } · прошивка { $firmware } · { $state }, { $seen }
admin-device-owner = Владелец: { $owner }
admin-device-members = Участники: { $count }
admin-device-reading = Последнее показание: { $reading }

error-report = 🚨 { $program } · { $at } · { $kind }
error-report-repeats = Повторилась ещё { $count } раз с прошлого уведомления об этой ошибке (не чаще одного раза в 10 минут).
