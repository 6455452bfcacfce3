## /alerts: the alert history, paged.

alerts-title = 🔔 Alerts, page { $page } of { $pages } · { $unread } unread
alerts-empty = 🔔 No alerts yet. They appear here when a device crosses a threshold or goes offline.
alerts-line = { $marker } { $time } · { $device }: { $what }
alerts-what-high = { $metric } { $value } above { $threshold }
alerts-what-low = { $metric } { $value } below { $threshold }
alerts-what-critical = critical { $metric } { $value }
alerts-what-normal = { $metric } back to normal, { $value }
alerts-what-offline = went offline
alerts-what-online = back online
alerts-what-other = { $type }
alerts-held = (held at night)
alerts-button-newer = « Newer
alerts-button-older = Older »
alerts-button-read-all = ✔️ Mark all read
alerts-all-read = All alerts are marked read.

command-alerts = Alert history
