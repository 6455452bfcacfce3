## /devices: список и карточка устройства.

devices-empty = У вас пока нет устройств. Привяжите первое командой /add КОД.
devices-title = Ваши устройства:
devices-line = { $dot } { $name } — { $role }
    { $reading }
devices-card =
    📟 { $name }
    Место: { $location }
    Тип: { $type } · ID { $uid }
    Ваша роль: { $role }
    Состояние: { $state }, { $seen }
    Показания: { $reading }
    Уведомления: { $notifications }
devices-location-unset = не указано
devices-card-agent = 🌐 Присылает данные по HTTP (Telegraf): перезапуск, пинг и обновление прошивки недоступны; интервал отчётов — "interval" в его telegraf.conf.

devices-button-rename = ✏️ Переименовать
devices-button-location = 📍 Место
devices-button-notifications-on = 🔔 Включить уведомления
devices-button-notifications-off = 🔕 Выключить уведомления
devices-button-share = 🔗 Пригласить
devices-button-members = 👥 Участники
devices-button-remove = 🗑 Удалить
devices-button-leave = 🚪 Покинуть
devices-button-confirm-remove = Да, удалить
devices-button-confirm-leave = Да, покинуть
devices-button-list = « Все устройства

devices-ask-name = Отправьте новое название для { $name } (до 64 символов).
devices-ask-location = Отправьте, где стоит { $name }, например «Спальня». Отправьте -, чтобы очистить.
devices-renamed = ✅ Новое название: { $name }.
devices-located = ✅ Место сохранено.
devices-notifications-now-on = Уведомления включены.
devices-notifications-now-off = Уведомления выключены.
devices-confirm-remove = Удалить { $name }? Все участники потеряют доступ, а устройство можно будет привязать заново по новому коду.
devices-confirm-leave = Покинуть { $name }? Доступ вернётся только по новому приглашению.
devices-removed = 🗑 { $name } удалено. Чтобы привязать его снова, перезапустите привязку и отправьте новый код командой /add.
devices-removed-member = Владелец удалил { $name }; доступа к нему у вас больше нет.
devices-left = Вы покинули { $name }.
device-refused-bad-name = Название должно быть длиной от 1 до 64 символов. Попробуйте ещё раз.
device-refused-mqtt-only = Это устройство присылает данные по HTTP (через агент Telegraf) и не подключается к MQTT: команды и обновления прошивки до него не доходят.

command-devices = Мои устройства
