"""Typed callback data, one module per feature. Values arrive from the client: handlers re-check them."""
