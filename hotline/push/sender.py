"""Send one page by web push to every device its person allowed (pywebpush: VAPID, aes128gcm).

Runs on the dispatcher's pool after the page was claimed, like an SMS or a paging call: the
database is read and written in short units of its own, the push services are called between
them. A page no device took raises `PushError`, which the caller records on the page (retried,
then failed), so escalation goes on to the next step and nothing fails silently.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from pywebpush import WebPushException, webpush

from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import Database
from hotline.escalation.models import Page
from hotline.push import service as push
from hotline.push.service import PushError

log = logging.getLogger(__name__)
GONE = (404, 410)
# A page is worth nothing after a few minutes: the escalation has moved on by then.
PUSH_TTL_S = 300


@dataclass(frozen=True)
class Device:
    id: int
    endpoint: str
    p256dh: str
    auth: str


def configured(settings: Settings) -> bool:
    return bool(settings.vapid_private_key.strip() and settings.vapid_public_key.strip())


def send_page(*, db: Database, settings: Settings, clock: Clock, page_id: int) -> str:
    """Push the page to its person's devices; what the page records as sent (how many took it)."""
    if not configured(settings):
        raise PushError("not_configured")
    with db.session() as session:
        page = session.get(Page, page_id)
        if page is None:
            raise PushError("not_found")
        devices = [
            Device(d.id or 0, d.endpoint, d.p256dh, d.auth)
            for d in push.devices(session=session, user_id=page.user_id)
        ]
        if not devices:
            raise PushError("no_device")
        data = json.dumps(
            push.payload(
                session=session,
                page=page,
                base_url=settings.public_base_url,
                secret_key=settings.secret_key,
                ttl_s=settings.push_ack_ttl_s,
                now=clock.now(),
            )
        )
    outcomes = [(device, _send(settings, device, data)) for device in devices]
    with db.session() as session:
        now = clock.now()
        for device, outcome in outcomes:
            if outcome is None:
                push.delivered(session=session, device_id=device.id, now=now)
            elif outcome == "gone":
                push.gone(session=session, device_id=device.id)
            else:
                push.failed(session=session, device_id=device.id, error=outcome, now=now)
    took = sum(1 for _device, outcome in outcomes if outcome is None)
    if not took:
        reasons = ", ".join(sorted({o or "" for _d, o in outcomes}))
        raise PushError("not_delivered", params={"reasons": reasons})
    return f"push:{took}/{len(devices)}"


def _send(settings: Settings, device: Device, data: str) -> str | None:
    """None when the push service took it; "gone" for a subscription it no longer knows."""
    try:
        webpush(
            subscription_info={
                "endpoint": device.endpoint,
                "keys": {"p256dh": device.p256dh, "auth": device.auth},
            },
            data=data,
            vapid_private_key=settings.vapid_private_key.strip(),
            vapid_claims={"sub": settings.vapid_subject},
            content_encoding="aes128gcm",
            ttl=PUSH_TTL_S,
            headers={"Urgency": "high"},
            timeout=settings.twilio_timeout_s,
        )
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in GONE:
            log.info("push device %s gone (%s): removed", device.id, status)
            return "gone"
        log.warning("push device %s refused the page (%s)", device.id, status)
        return f"refused {status}"
    except Exception as error:  # the network: the page is retried, then recorded failed
        log.warning("push device %s not reached: %s", device.id, type(error).__name__)
        return type(error).__name__
    return None
