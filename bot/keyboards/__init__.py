"""Inline keyboards as pure functions of (translator, data): no database, no Bot."""
