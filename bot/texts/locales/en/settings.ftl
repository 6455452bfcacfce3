## /settings (owner and admin): report interval, alerts, alert levels, night mode, time zone.

command-settings = Device settings

settings-no-device = Choose a device first with /select.
settings-refused-role = ⛔ Only the owner or an admin can change this device's settings.
settings-overview =
    ⚙️ Settings of { $name }
    Report interval: { $interval }
    Alerts: { $alerts }
    Night mode: { $night }
    Your time zone: { $timezone }
    { $sync }
settings-sync-applied = ✅ The device runs these settings.
settings-sync-waiting = ⏳ Waiting for the device to apply the latest change.
settings-sync-server = ✅ Applied on the server: this device reports over HTTP and needs nothing sent to it.
settings-minutes = { $minutes } min
settings-seconds = { $seconds } s
settings-interval-agent = set by its Telegraf agent ("interval" in telegraf.conf)
settings-night-hours = { $start }:00–{ $end }:00
settings-rule-above = { $metric } above { $threshold } (clears below { $clear })
settings-rule-below = { $metric } below { $threshold } (clears above { $clear })
settings-levels-title = 📏 Alert levels of { $name }. Press a threshold or a clear level to change it:
settings-no-rules = No alert rules.
settings-interval-title = ⏱ How often should the device report? Now: { $interval }.
settings-night-title = 🌙 Night mode holds alerts during these hours (your time zone, { $timezone }) and sums them up in the morning. Now: { $night }.
settings-timezone-title = 🕒 Your time zone, used for night mode and times: { $timezone }.

settings-button-interval = ⏱ Report interval
settings-button-alerts-on = 🔔 Turn alerts on
settings-button-alerts-off = 🔕 Turn alerts off
settings-button-levels = 📏 Alert levels
settings-button-night = 🌙 Night mode
settings-button-night-off = Turn night mode off
settings-button-timezone = 🕒 Time zone
settings-button-type = ⌨️ Type a value
settings-button-clear = clears at { $value }
settings-button-open = « Settings

settings-ask-interval = Send the report interval in seconds, from { $low } to { $high }.
settings-ask-night = Send night hours as START-END, for example 22-7. Send "off" to turn night mode off.
settings-ask-timezone = Send your time zone as an IANA name, for example Europe/Moscow or Asia/Almaty.
settings-ask-threshold = { $rule }
    Send the new threshold, from { $low } to { $high }.
settings-ask-clear = { $rule }
    Send the new clear level, from { $low } to { $high }.
settings-try-again = { $reason } Send another value, or a command to cancel.

settings-refused-not-a-number = ⚠️ That is not a number. Send digits only, like 60 or 27.5.
settings-refused-number-too-large = ⚠️ That number is far too large for any setting. Send a value in the range shown above.
settings-refused-interval-range = ⚠️ The report interval must be a whole number of seconds from { $low } to { $high }.
settings-refused-interval-agent = ⚠️ This device reports over HTTP: its report interval is the "interval" in its telegraf.conf, not something SmartAir can send it.
settings-refused-level-range = ⚠️ The level must be between { $low } and { $high }.
settings-refused-clear-below = ⚠️ The clear level must be below the threshold ({ $threshold }), or the alert would flap.
settings-refused-clear-above = ⚠️ The clear level must be above the threshold ({ $threshold }), or the alert would flap.
settings-refused-threshold-critical = ⚠️ The threshold must stay below the critical level ({ $critical }).
settings-refused-night-hours = ⚠️ Night hours are two different hours from 0 to 23, like 22-7.
settings-refused-timezone = ⚠️ I do not know that time zone. Use an IANA name like Europe/Moscow.
settings-refused-no-rule = ⚠️ This alert rule no longer exists. Open /settings again.

settings-saved = ✅ Saved.
settings-sent = ⏳ Sent to { $name } — waiting for the device…
settings-applied = ✅ Applied: { $name } confirmed the new settings.
settings-not-confirmed = ⌛ { $name } has not confirmed yet. It gets the new settings as soon as it is back online.
settings-timezone-saved = ✅ Time zone: { $timezone }.
