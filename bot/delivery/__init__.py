"""The outbox delivery worker: notices written by the processor (and the digest job) reach Telegram."""
