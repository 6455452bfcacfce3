## The morning digest and /digest.

digest-all-good = ☀️ Good morning! All good overnight: every reading stayed within its limits and every device stayed online.
digest-title = ☀️ Good morning! Your night, { $date }:
digest-device = 📟 { $device }
digest-co2 = CO2 average { $avg }, highest { $max }
digest-co2-none = no CO2 readings overnight
digest-above = above { $threshold } for { $duration }
digest-summary = 📊 last 24 h: { $figures }
digest-day = 📊 { $device }, last 24 h: { $figures }
digest-summary-use = { $metric } used { $value }
digest-summary-max = { $metric } peak { $value }
digest-summary-avg = { $metric } average { $value }
digest-summary-offline = offline { $duration } in all
digest-summary-online = online all day
digest-held = held at night: { $what } at { $time }
digest-sent = alert at night: { $what } at { $time }
digest-offline = offline { $start }–{ $end }
digest-offline-ongoing = offline since { $start }

digest-settings = 🌅 Morning digest: { $state }, at { $hour }:00 your time ({ $timezone }).
digest-state-on = on
digest-state-off = off
digest-button-on = Turn on
digest-button-off = Turn off
digest-button-earlier = ◀ 1 h earlier
digest-button-later = 1 h later ▶

command-digest = Morning digest on/off and hour
digest-more = …and { $count } more devices: /status shows them all.
