"""Benchmarks that print a figure beside its baseline (SPEC section 9)."""

import os

# A benchmark starts its own processor and bot beside whatever else runs here: their HTTP sides take any free
# port unless the caller chose one.
os.environ.setdefault("BOT_HTTP_PORT", "0")
os.environ.setdefault("PROCESSOR_HTTP_PORT", "0")
