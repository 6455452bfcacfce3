## /status: current readings of all devices.

status-title = 📊 Current readings
status-empty = You have no devices yet. Pair one with /add CODE.
status-device =
    { $dot } { $name }{ $location }
    { $reading }
    { $state } · { $seen }
status-location = { " " }({ $location })

command-status = Current readings
