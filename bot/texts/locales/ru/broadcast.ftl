## Операторы: /broadcast.

broadcast-compose = 📣 Пришлите сообщение для всех: текст или фото с подписью. Получатели увидят его ровно таким.
broadcast-refused-empty = Сообщение пустое. Пришлите текст или фото.
broadcast-refused-too-long = Слишком длинно: Telegram принимает не больше 4096 символов в сообщении.
broadcast-refused-caption-too-long = Подпись слишком длинная: под фото Telegram принимает не больше 1024 символов.
broadcast-refused-audience = Такая аудитория недоступна.
broadcast-choose-audience = Кому отправить?
broadcast-audience-all = 👥 Всем активным пользователям
broadcast-audience-type = 📟 Владельцам устройств { $type }
broadcast-audience-unpaid = 💳 Пользователям с неоплаченным счётом
broadcast-confirm = ☝️ Так это будет выглядеть. Аудитория: { $audience } — получателей: { $count }. Отправить?
broadcast-button-send = ✅ Отправить
broadcast-button-discard = ✖️ Отменить
broadcast-button-cancel = ⏹ Остановить рассылку
broadcast-discarded = Черновик удалён, ничего не отправлено.
broadcast-progress = 📣 Рассылка #{ $id }: отправлено { $sent } · ошибок { $failed } · осталось { $left } из { $total } · ещё примерно { $eta }
broadcast-eta-unknown = время пока неизвестно
broadcast-report = 📣 Рассылка #{ $id } завершена: доставлено { $sent } из { $total }, ошибок { $failed } (заблокировали бота или недоступны).
broadcast-report-cancelled = ⏹ Рассылка #{ $id } остановлена: доставлено { $sent } из { $total }, ошибок { $failed }, не отправлено { $cancelled }.
broadcast-cancelled = Остановлено: { $count } сообщений не будут отправлены.
