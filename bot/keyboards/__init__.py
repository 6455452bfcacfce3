"""Inline keyboards as pure functions of (translator, data), one module per feature: no database, no Bot.

Each is built with aiogram's `InlineKeyboardBuilder`: `button(text=…, callback_data=<typed CallbackData>)`
packs the data, `adjust(…)` lays the buttons out in rows.
"""
