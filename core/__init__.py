"""SmartAir's shared domain: settings, database, models, MQTT contract and services."""
