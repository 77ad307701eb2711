"""Recordings' timer: the provider's copies of purged calls' recordings are deleted there
(never on a request; retried until they go)."""

from __future__ import annotations

from hotline.jobs import Job, JobContext, Registry
from hotline.retention import service as retention

INTERVAL_S = 300
IDEMPOTENT = (
    "none needed: deleting at the provider is idempotent (not found counts as done) and the "
    "queue row (recording_deletions) goes after it"
)


def delete_provider_recordings(ctx: JobContext) -> int:
    return retention.delete_provider_recordings(
        db=ctx.db, delete_at_provider=ctx.telephony.delete_recording
    )


def register(registry: Registry) -> None:
    registry.add(
        Job(
            name="review.recordings",
            run=delete_provider_recordings,
            once=IDEMPOTENT,
            every=INTERVAL_S,
        )
    )
