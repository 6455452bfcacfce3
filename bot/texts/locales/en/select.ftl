## /select: the current device.

select-title = Choose the device that /live, /history and /settings work with:
select-empty = You have no devices yet. Pair one with /add CODE.
select-done = ✅ Current device: { $name }.

command-select = Choose the current device
