"""The bot identity the sandbox serves (its port is `core.settings.SandboxSettings`)."""

# The token `./start.sh local` gives the bot when no real one is set: it opens only this sandbox.
TOKEN = "100000001:sandbox-token"
USERNAME = "smartair_sandbox_bot"
