"""An outbox row as the message its user reads: their language, their time zone, the notice's buttons."""

from __future__ import annotations

from datetime import datetime

from bot.texts import Catalogue
from bot.views.billing import billing_notice
from bot.views.digest import digest_text
from bot.views.notices import Rendered, UnreadableNotice, alert_notice
from core.billing.notices import BILLING_KIND
from core.services.digest import DIGEST_KIND
from core.services.notices import ALERT_KIND
from core.services.outbox import Claimed


def render(catalogue: Catalogue, row: Claimed, now: datetime) -> Rendered:
    t = catalogue[row.language]
    if row.kind == ALERT_KIND:
        return alert_notice(t, row.payload, row.timezone, now)
    if row.kind == DIGEST_KIND:
        return Rendered(digest_text(t, row.payload, row.timezone, now))
    if row.kind == BILLING_KIND:
        return billing_notice(t, row.payload)
    raise UnreadableNotice(f"unknown outbox kind {row.kind!r}")
