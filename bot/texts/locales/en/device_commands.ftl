## Restart and ping from the device card (owner and admin).

device-command-button-restart = 🔄 Restart
device-command-button-ping = 📶 Ping
device-command-name-restart = Restart
device-command-name-ping = Ping
device-command-name-live = Live
device-command-sent = ⏳ { $command } sent to { $name } — waiting for an answer…
device-command-pong = ✅ { $name } answered the ping in { $seconds } s.
device-command-restarting = ✅ { $name } is restarting.
device-command-failed = ❌ { $name } could not do it: { $error }
device-command-no-answer = ⌛ No answer from { $name } within { $seconds } s. Is it online?
