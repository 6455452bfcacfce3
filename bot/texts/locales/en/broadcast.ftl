## Operators: /broadcast.

broadcast-compose = 📣 Send the message for everyone: text, or a photo with a caption. The recipients see it exactly as you send it.
broadcast-refused-empty = The message is empty. Send text or a photo.
broadcast-refused-too-long = Too long: Telegram takes at most 4096 characters in a message.
broadcast-refused-caption-too-long = The caption is too long: Telegram takes at most 1024 characters under a photo.
broadcast-refused-audience = That audience is not available.
broadcast-choose-audience = Who should get it?
broadcast-audience-all = 👥 All active users
broadcast-audience-type = 📟 Owners of { $type } devices
broadcast-audience-unpaid = 💳 Users with an unpaid invoice
broadcast-confirm = ☝️ This is how it will look. Audience: { $audience } — { $count } recipients. Send it?
broadcast-button-send = ✅ Send
broadcast-button-discard = ✖️ Discard
broadcast-button-cancel = ⏹ Cancel the broadcast
broadcast-discarded = The draft is discarded; nothing was sent.
broadcast-progress = 📣 Broadcast #{ $id }: sent { $sent } · failed { $failed } · left { $left } of { $total } · about { $eta } to go
broadcast-eta-unknown = time unknown yet
broadcast-report = 📣 Broadcast #{ $id } finished: delivered to { $sent } of { $total }, failed { $failed } (blocked the bot or unreachable).
broadcast-report-cancelled = ⏹ Broadcast #{ $id } cancelled: delivered to { $sent } of { $total }, failed { $failed }, not sent { $cancelled }.
broadcast-cancelled = Cancelled: { $count } messages will not be sent.
