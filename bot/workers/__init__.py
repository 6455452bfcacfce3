"""What a feature runs inside the bot beside its handlers, one module or folder per feature: background loops,
worker processes, follow-ups. Scheduled jobs are in bot.jobs; domain rules stay in core.services."""
