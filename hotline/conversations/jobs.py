"""Conversations' timers: people who waited past the maximum are given the partner line and
the emergency numbers; people still waiting hear when their place in the queue improves; the
messages queued for SMS and WeChat are sent (`deliver`, after the commit, on the dispatcher's
pool)."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from hotline.calls.models import Channel
from hotline.clock import Clock
from hotline.config import Settings
from hotline.conversations import delivery, sms
from hotline.conversations import service as conversations
from hotline.db import Database
from hotline.jobs import COMPARE_AND_SET, Job, JobContext, Registry
from hotline.routing import service as routing
from hotline.telephony.port import TelephonyPort
from hotline.wechat import outbound

log = logging.getLogger(__name__)


class NoAddress(Exception):
    """The conversation has no way back to the person on its channel."""


def overdue(ctx: JobContext) -> int:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        due = routing.past_deadline(session=session, now=now, texts=True)
        return sum(conversations.give_up_waiting(session=session, call=c, now=now) for c in due)


def positions(ctx: JobContext) -> int:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        return conversations.tell_positions(session=session, now=now)


@dataclass(frozen=True)
class Courier:
    """Sends one conversation's claimed messages, in order, and records how each went. The
    person's number or OpenID goes to the channel only: a refusal is logged by its type."""

    db: Database
    clock: Clock
    settings: Settings
    telephony: TelephonyPort

    def send(self, batch: list[delivery.Outgoing]) -> None:
        for message in batch:
            self.send_one(message)

    def send_one(self, message: delivery.Outgoing) -> None:
        try:
            provider_id = self._hand_over(message)
        except outbound.OutsideWindow:
            log.warning(
                "message %s (call %s) not sent: the person last wrote more than %s h ago "
                "(WeChat's customer-service window)",
                message.message_id,
                message.call_id,
                self.settings.wechat_reply_window_h,
            )
            return self._failed(message)
        except Exception as error:
            log.warning(
                "message %s (call %s) not sent: %s",
                message.message_id,
                message.call_id,
                type(error).__name__,
            )
            return self._failed(message)
        with self.db.session() as session:
            delivery.sent(session=session, message_id=message.message_id, provider_id=provider_id)

    def _failed(self, message: delivery.Outgoing) -> None:
        with self.db.session() as session:
            delivery.failed(session=session, message_id=message.message_id)

    def _hand_over(self, message: delivery.Outgoing) -> str | None:
        """Hand the message to its channel: the channel's id for it (None when it gives
        none); raises when it could not be handed over."""
        if not message.to:
            raise NoAddress
        if message.channel == Channel.wechat:
            outbound.send_text(
                settings=self.settings,
                open_id=message.to,
                text=message.body,
                last_inbound_at=message.last_inbound_at,
                now=self.clock.now(),
            )
            return None  # the platform gives a customer-service message no id
        if message.channel == Channel.sms:
            sid = self.telephony.send_sms(
                to=message.to,
                from_=message.from_,
                body=message.body,
                status_callback=self.telephony.url(
                    f"/twilio/sms/status?message_id={message.message_id}"
                ),
            )
            return sms.provider_id(sid)
        raise NoAddress


def deliver(ctx: JobContext) -> int:
    """Claim the queued SMS and WeChat messages; send them after the commit, one task per
    conversation so each conversation's messages keep their order."""
    with ctx.db.session() as session:
        claimed = delivery.claim(session=session, now=ctx.clock.now())
    batches: dict[int, list[delivery.Outgoing]] = defaultdict(list)
    for message in claimed:
        batches[message.call_id].append(message)
    courier = Courier(ctx.db, ctx.clock, ctx.settings, ctx.telephony)
    for batch in batches.values():
        ctx.dispatcher.submit(courier.send, batch)
    return len(claimed)


def register(registry: Registry) -> None:
    for name, run, order in (
        ("conversations.overdue", overdue, 21),
        # After the offers: a conversation offered is no longer waiting.
        ("conversations.positions", positions, 110),
        # Last: what the other timers had the line say goes out in the same tick.
        ("conversations.deliver", deliver, 120),
    ):
        registry.add(
            Job(
                name=name,
                run=run,
                once=COMPARE_AND_SET,
                tick=True,
                order=order,
            )
        )
