"""Scheduled jobs that can also be run once by hand: `python -m bot.jobs --help` lists them."""
