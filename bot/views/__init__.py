"""Texts built from domain data: pure functions of (translator, data, now, time zone)."""
