## /start and /help.

start-welcome =
    Hello, { $name }! I am SmartAir: I show what your air-quality sensors measure and warn you when the air gets bad.

    To begin, switch your device on: it shows an 8-character pairing code. Send it to me as /add CODE.
    Someone shared a device with you? Just open their invitation link.
start-welcome-back =
    Welcome back, { $name }! You have { $count ->
        [one] one device
       *[other] { $count } devices
    }. /status shows their readings, /help everything else.
help-text =
    What I can do:
    /add CODE — pair a new device (you become its owner)
    /devices — your devices: rename, location, notifications, remove
    /select — choose the current device
    /status — current readings of all your devices
    /history — a chart of the current device (6 h to 30 days)
    /export — download a device's readings as a CSV file
    /alerts — alert history, mark read
    /digest — morning digest on/off and its hour
    /share — invite someone to a device you own, manage members
    /billing — your plan, invoices and payment, autopay on/off
    /language — change the language

command-start = Start and register
command-help = What the bot can do
