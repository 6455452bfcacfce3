## /devices: the list and the device card.

devices-empty = You have no devices yet. Pair one with /add CODE.
devices-title = Your devices:
devices-line = { $dot } { $name } — { $role }
    { $reading }
devices-card =
    📟 { $name }
    Location: { $location }
    Type: { $type } · ID { $uid }
    Your role: { $role }
    State: { $state }, { $seen }
    Readings: { $reading }
    Notifications: { $notifications }
devices-location-unset = not set
devices-card-agent = 🌐 Reports over HTTP (Telegraf): restart, ping and firmware updates are not available; its report interval is the "interval" in its telegraf.conf.

devices-button-rename = ✏️ Rename
devices-button-location = 📍 Location
devices-button-notifications-on = 🔔 Turn notifications on
devices-button-notifications-off = 🔕 Turn notifications off
devices-button-share = 🔗 Invite
devices-button-members = 👥 Members
devices-button-remove = 🗑 Remove
devices-button-leave = 🚪 Leave
devices-button-confirm-remove = Yes, remove it
devices-button-confirm-leave = Yes, leave
devices-button-list = « All devices

devices-ask-name = Send the new name for { $name } (up to 64 characters).
devices-ask-location = Send where { $name } stands, for example "Bedroom". Send - to clear it.
devices-renamed = ✅ Renamed to { $name }.
devices-located = ✅ Location saved.
devices-notifications-now-on = Notifications are on.
devices-notifications-now-off = Notifications are off.
devices-confirm-remove = Remove { $name }? Every member loses access and the device can be paired again with a new code.
devices-confirm-leave = Leave { $name }? You will lose access until you are invited again.
devices-removed = 🗑 { $name } was removed. To pair it again, restart its pairing and send the new code with /add.
devices-removed-member = { $name } was removed by its owner; you no longer have access to it.
devices-left = You left { $name }.
device-refused-bad-name = The name must be 1 to 64 characters long. Try again.
device-refused-mqtt-only = This device reports over HTTP (its Telegraf agent) and never connects to MQTT: commands and firmware updates cannot reach it.

command-devices = My devices
