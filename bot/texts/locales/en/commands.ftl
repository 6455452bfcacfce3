## The command menu (setMyCommands).

command-start = Start and register
command-help = What the bot can do
command-add = Pair a device by its code
command-devices = My devices
command-select = Choose the current device
command-status = Current readings
command-share = Share a device
command-language = Change the language
