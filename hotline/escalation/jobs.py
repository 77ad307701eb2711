"""Escalation's timers: the steps that are due, and sending the pages they queued (an outbox)."""

from __future__ import annotations

import logging

from hotline.escalation import drills, paging
from hotline.escalation import service as escalations
from hotline.jobs import COMPARE_AND_SET, Job, JobContext, Registry
from hotline.push import sender as push_sender

log = logging.getLogger(__name__)
PAGE_LEASE = (
    "each page is claimed with FOR UPDATE SKIP LOCKED (SQLite write lock) and a sending lease "
    "(Page.sending_at): another instance takes it over only when the lease ran out"
)


def run_steps(ctx: JobContext) -> int:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        return escalations.run_due(session=session, now=now)


def run_drills(ctx: JobContext) -> int:
    """Drill steps: a job of their own, so a failing drill never holds up a real escalation."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        return drills.run_due(session=session, now=now)


def send_pages(ctx: JobContext) -> int:
    """Claim the pages to send; send each after the commit, on the dispatcher's pool."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        claimed = escalations.claim_pages(session=session, now=now)

    def send(page_id: int) -> None:
        send_page(ctx, page_id)

    for page_id in claimed:
        ctx.dispatcher.submit(send, page_id)
    return len(claimed)


def send_page(ctx: JobContext, page_id: int) -> None:
    """Send one claimed page by SMS, voice or web push; record the outcome either way."""
    telephony = ctx.telephony
    drill = False  # a drill's page records its outcome in the drill's log
    try:
        with ctx.db.session() as session:
            drill = drills.drill_of_page(session=session, page_id=page_id) is not None
            message = paging.outgoing(session=session, page_id=page_id)
        if message is None:
            return
        if message.channel == "push":
            sid = push_sender.send_page(
                db=ctx.db, settings=ctx.settings, clock=ctx.clock, page_id=page_id
            )
        elif message.channel == "sms":
            sid = telephony.send_sms(to=message.to, from_=message.from_, body=message.text)
        else:
            sid = telephony.place_call(
                to=message.to,
                from_=message.from_,
                url=telephony.url(f"/twilio/page/voice?page_id={page_id}"),
                status_callback=telephony.url(f"/twilio/page/status?page_id={page_id}"),
            )
    except Exception as error:
        log.warning("page %s not sent: %s", page_id, type(error).__name__)
        failed = drills.page_failed if drill else escalations.page_failed
        with ctx.db.session() as session:
            failed(
                session=session,
                page_id=page_id,
                error=f"{type(error).__name__}: {error}",
                now=ctx.clock.now(),
            )
        return
    sent = drills.page_sent if drill else escalations.page_sent
    with ctx.db.session() as session:
        wanted = sent(session=session, page_id=page_id, provider_sid=sid, now=ctx.clock.now())
    if not wanted and message.channel == "voice":
        ctx.dispatcher.end_paging_call(sid)


def register(registry: Registry) -> None:
    registry.add(
        Job(
            name="escalation.steps",
            run=run_steps,
            once=COMPARE_AND_SET,
            tick=True,
            order=60,
        )
    )
    registry.add(
        Job(
            name="escalation.drills",
            run=run_drills,
            once=COMPARE_AND_SET,
            tick=True,
            order=65,
        )
    )
    registry.add(
        Job(
            name="escalation.pages",
            run=send_pages,
            once=PAGE_LEASE,
            tick=True,
            order=70,
        )
    )
