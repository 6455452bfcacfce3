"""The MQTT side of SmartAir: ingest telemetry/status/events, answer provisioning, push desired state."""
