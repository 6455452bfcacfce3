"""What a feature runs beside its handlers, one module (or folder) per feature: background loops, worker
processes, scheduled jobs and follow-ups. Domain rules stay in core.services."""
