## Operators: /admin, /users, /all_devices.

admin-title = 🛠 SmartAir operations · { $time }
admin-users = 👥 Users: { $active } active · { $unreachable } blocked the bot · { $blocked } blocked by operators
admin-devices = 📟 Devices: { $online } online · { $offline } offline · { $never } never seen
admin-telemetry = 📈 Readings: { $minute } in the last minute · { $day } in the last 24 h
admin-alerts = 🔔 Alerts today: { $count }
admin-outbox = 📤 Notices waiting: { $depth }
admin-revenue = 💰 Revenue this month: { NUMBER($amount, minimumFractionDigits: 0, maximumFractionDigits: 2) } ₽
admin-nodes-title = 🩺 Node health:
admin-nodes-none = no program has reported yet
admin-node = • { $program }: { $state } · { $error }
admin-node-up = up { $uptime }
admin-node-silent = ⚠️ silent since { $since }
admin-node-error = last error { $at }: { $error }
admin-node-no-error = no errors

admin-button-refresh = 🔄 Refresh
admin-button-users = 👥 Users
admin-button-devices = 📟 Devices
admin-button-search = 🔎 Search
admin-button-dashboard = 🛠 Dashboard
admin-button-block = 🚫 Block
admin-button-unblock = ✅ Unblock

admin-users-title = 👥 Users: { $total } · page { $page } of { $pages }
admin-devices-title = 📟 Devices: { $total } · page { $page } of { $pages }
admin-search-for = 🔎 “{ $query }”
admin-nothing-found = Nothing found.
admin-search-users = 🔎 Send a name, @username or Telegram id.
admin-search-devices = 🔎 Send a device name, uid, or its owner's Telegram id.
admin-gone = It no longer exists.

admin-user-card = { $marker } { $name } · Telegram id { $telegram_id }
admin-user-details = #{ $id } · language { $language } · since { $joined } · { $state }
admin-user-active = active
admin-user-unreachable = blocked the bot
admin-user-blocked = 🚫 blocked by an operator: the bot ignores them
admin-user-devices = Devices: { $count }
admin-blocked = Blocked: the bot ignores this user now.
admin-unblocked = Unblocked.

admin-device-card = { $marker } { $name } · { $uid }
admin-device-details = type { $type } · firmware { $firmware } · { $state }, { $seen }
admin-device-owner = Owner: { $owner }
admin-device-members = Members: { $count }
admin-device-reading = Last reading: { $reading }

error-report = 🚨 { $program } · { $at } · { $kind }
error-report-repeats = It happened { $count } more times since the last notice of this kind (at most one per 10 minutes).
