## /export: the readings of a device as a CSV file.

command-export = Download readings as CSV
export-empty = You have no devices yet. Pair one with /add CODE.
export-pick-device = Which device's readings?
export-pick-period = Readings of { $name } for which period?
export-nothing = { $name } has no readings for { $period }.
export-caption = 📄 { $name } · { $period } · { $rows } readings, times in { $zone }
