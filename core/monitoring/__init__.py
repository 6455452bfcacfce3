"""What operators watch of both programs: errors reported to them, each program's heartbeat, /healthz and
/metrics. Each program wires these in its composition root; nothing here knows Telegram or MQTT."""
