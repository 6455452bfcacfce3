"""The Telegram side of SmartAir (`python -m bot`): aiogram routers, keyboards, texts, middlewares."""
