## /add: pairing a device by its code.

pairing-ask-code = Send me the 8-character code your device shows (for example K7M2Q9XD).
pairing-success =
    ✅ Paired: { $name }. You are its owner.
    It will show up in /status as soon as it reports. /devices lets you rename it and set its location.
pairing-refused-malformed = That does not look like a pairing code: it has 8 letters and digits, like K7M2Q9XD.
pairing-refused-wrong = ❌ No device has that code. Check it on the device's screen and try again.
pairing-refused-expired = ⌛ That code has expired. Restart the device's pairing to get a new one.
pairing-refused-used = That code has already been used. Restart the device's pairing to get a new one.
pairing-refused-owned = That device already has an owner. They must remove it in /devices before it can be paired again.
pairing-refused-too-many = Too many wrong codes. Please wait 15 minutes and try again.

command-add = Pair a device by its code
