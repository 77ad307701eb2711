"""Telephony's timers: each number's fallback (partner line) kept in memory for when the database
is down, and pointing the numbers at this deployment at start (simulator mode)."""

from __future__ import annotations

import logging

from hotline.config import Settings
from hotline.jobs import Job, JobContext, Registry
from hotline.lines import service as lines

log = logging.getLogger(__name__)
FALLBACKS_INTERVAL_S = 60
SYNC_RETRY_S = 2
PER_INSTANCE = "none needed: read-only, into this instance's memory (every instance keeps its own)"
IDEMPOTENT = "none needed: configuring a number's webhooks is idempotent at the provider"


def refresh_fallbacks(ctx: JobContext) -> int:
    """Remember each number's partner line while the database can be read."""
    try:
        with ctx.db.session() as session:
            found = lines.list_lines(session=session)
            numbers = lines.numbers_by_line(session=session)
    except Exception as error:  # the webhooks say when the database is down
        log.debug("line fallbacks not refreshed: %s", type(error).__name__)
        return 0
    ctx.dispatcher.degraded.fallbacks.replace(found, numbers)
    return len(found)


def sync_numbers(ctx: JobContext) -> int:
    """Point every number of every active line at this deployment (a failure is retried in 2 s)."""
    with ctx.db.session() as session:
        numbers = lines.active_numbers(session=session)
    for number in numbers:
        ctx.telephony.sync_number(number)
    return len(numbers)


def _syncs_on_start(settings: Settings) -> bool:
    return settings.telephony_mode == "simulator" and settings.sync_numbers_on_start


def register(registry: Registry) -> None:
    registry.add(
        Job(
            name="telephony.fallbacks",
            run=refresh_fallbacks,
            once=PER_INSTANCE,
            every=FALLBACKS_INTERVAL_S,
            at_start=True,
        )
    )
    registry.add(
        Job(
            name="telephony.sync_numbers",
            run=sync_numbers,
            once=IDEMPOTENT,
            at_start=True,
            retry_s=SYNC_RETRY_S,
            enabled=_syncs_on_start,
        )
    )
