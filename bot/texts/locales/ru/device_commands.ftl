## Перезапуск и пинг из карточки устройства (владелец и администратор).

device-command-button-restart = 🔄 Перезапустить
device-command-button-ping = 📶 Пинг
device-command-name-restart = Перезапуск
device-command-name-ping = Пинг
device-command-name-live = Режим реального времени
device-command-sent = ⏳ { $command }: команда отправлена на { $name } — ждём ответа…
device-command-pong = ✅ { $name } ответило на пинг за { $seconds } с.
device-command-restarting = ✅ { $name } перезапускается.
device-command-failed = ❌ { $name } не смогло выполнить команду: { $error }
device-command-no-answer = ⌛ { $name } не ответило за { $seconds } с. Оно в сети?
