"""The device agent (`python -m device`): sensor → MQTT, configs and commands back, a buffer for outages."""
