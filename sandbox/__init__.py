"""Sandbox: a local Telegram Bot API server that tests, benchmarks and a developer's web chat talk to."""
