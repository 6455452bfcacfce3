## /live, /watch, /stop: one message that edits itself with readings.

command-live = Live readings of the current device
command-watch = Live readings of all my devices
command-stop = Stop live readings

live-title = 🔴 Live readings
live-ended-title = ⏹ Live readings ended
live-device = { $dot } { $name } · { $time }
    { $reading }
live-footer = Updates every few seconds until { $until }. /stop ends it.
live-no-device = Choose a device first with /select.
live-no-devices = You have no devices yet. Pair one with /add CODE.
live-stopped = ⏹ Live readings stopped.
live-nothing-to-stop = Nothing to stop: no live readings are running.
