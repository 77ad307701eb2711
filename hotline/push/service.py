"""Web push pages: the devices a person allowed, what a push says, and acknowledging from it.

A push goes through the browser maker's push service, so what it says is what a lock screen
may show: that there is a crisis page, never who calls or why. Its acknowledge action posts a
token back: signed with the secret key, naming the page and the person, short-lived
(`push_ack_ttl_s`) and single-use (its nonce is kept in `push_ack_uses`, whose primary key
refuses a second use on any instance).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.audit.models import AuditAction
from hotline.audit.service import record as audit
from hotline.auth.models import User
from hotline.errors import DomainError
from hotline.escalation import drills
from hotline.escalation import service as escalations
from hotline.escalation.models import Page
from hotline.i18n import N_, gettext_for
from hotline.push.models import PushAckUse, PushSubscription

ACK_PATH = "/api/push/ack"
CONSOLE_PATH = "/console"
ACK_ACTION = "ack"
_TOKEN_KEY_INFO = b"hotline push acknowledge token"


class PushError(DomainError):
    messages: ClassVar[Mapping[str, str]] = {
        "bad_token": N_("This acknowledge link is not valid."),
        "expired_token": N_("This acknowledge link has expired: open the console to acknowledge."),
        "used_token": N_("This acknowledge link has already been used."),
        "bad_subscription": N_("This device's push subscription is not valid."),
        "not_found": N_("There is no such device."),
        "not_configured": N_("Push notifications are not configured on this server."),
        "no_device": N_("No device of this person allows push notifications."),
        "not_delivered": N_("No device of this person took the push notification."),
        "forbidden": N_("You are not allowed to do this."),
    }

    def __str__(self) -> str:  # what the page's error records (never caller data)
        reasons = self.params.get("reasons")
        return f"push: {self.code}" + (f" ({reasons})" if reasons else "")


# --- devices ------------------------------------------------------------------------------------


def _valid_key(value: str, length: int) -> bool:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return False
    return len(raw) == length


def subscribe(
    *,
    session: Session,
    user: User,
    endpoint: str,
    p256dh: str,
    auth: str,
    label: str,
    now: datetime,
) -> PushSubscription:
    """Keep this browser's subscription for `user` (the same endpoint again replaces it: a
    browser shared by two people pages the one who subscribed last)."""
    if not endpoint.startswith(("https://", "http://")) or not (
        _valid_key(p256dh, 65) and _valid_key(auth, 16)
    ):
        raise PushError("bad_subscription", 422)
    assert user.id is not None
    existing = session.exec(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    ).first()
    before = None
    if existing is not None:
        before = f"user={existing.user_id}"
        session.delete(existing)
        session.flush()
    subscription = PushSubscription(
        user_id=user.id,
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        label=label.strip()[:100],
        created_at=now,
    )
    session.add(subscription)
    session.flush()
    audit(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="push_device",
        object_id=subscription.id,
        user=user,
        detail=f"subscribed: before={before or 'none'} after=user={user.id}",
    )
    return subscription


def devices(*, session: Session, user_id: int) -> list[PushSubscription]:
    return list(
        session.exec(
            select(PushSubscription)
            .where(PushSubscription.user_id == user_id)
            .order_by(col(PushSubscription.id))
        )
    )


def remove(*, session: Session, user: User, device_id: int, now: datetime) -> None:
    """A person removes one of their own devices (another's is "not found")."""
    subscription = session.get(PushSubscription, device_id)
    if subscription is None or subscription.user_id != user.id:
        raise PushError("not_found", 404)
    session.delete(subscription)
    audit(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type="push_device",
        object_id=device_id,
        user=user,
        detail="removed: before=subscribed after=none",
    )


# --- acknowledge tokens -------------------------------------------------------------------------


def _token_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _TOKEN_KEY_INFO, hashlib.sha256).digest()


def _signature(secret_key: str, body: str) -> str:
    digest = hmac.new(_token_key(secret_key), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def ack_token(*, secret_key: str, page_id: int, user_id: int, expires: datetime) -> str:
    """page.user.expiry.nonce.signature: what the notification's acknowledge action posts."""
    body = f"{page_id}.{user_id}.{int(expires.timestamp())}.{secrets.token_hex(16)}"
    return f"{body}.{_signature(secret_key, body)}"


@dataclass(frozen=True)
class TokenClaims:
    page_id: int
    user_id: int
    expires: int
    nonce: str


def read_token(*, secret_key: str, token: str, now: datetime) -> TokenClaims:
    parts = token.split(".")
    if len(parts) != 5 or len(token) > 200:
        raise PushError("bad_token", 403)
    body = ".".join(parts[:4])
    if not hmac.compare_digest(parts[4], _signature(secret_key, body)):
        raise PushError("bad_token", 403)
    try:
        claims = TokenClaims(int(parts[0]), int(parts[1]), int(parts[2]), parts[3])
    except ValueError:
        raise PushError("bad_token", 403) from None
    if claims.expires <= now.timestamp():
        raise PushError("expired_token", 403)
    return claims


@dataclass
class Acknowledged:
    kind: str  # "escalation" or "drill"
    id: int
    to_end: list[str] = field(default_factory=list)  # paging calls to stop ringing


def acknowledge(*, session: Session, secret_key: str, token: str, now: datetime) -> Acknowledged:
    """The notification's acknowledge action: as the console's acknowledge, on channel push."""
    claims = read_token(secret_key=secret_key, token=token, now=now)
    page = session.get(Page, claims.page_id)
    user = session.get(User, claims.user_id)
    if page is None or user is None or page.user_id != user.id:
        raise PushError("bad_token", 403)
    if escalations.skip_reason(user) is not None:  # disabled since, or no longer a responder
        raise PushError("forbidden", 403)
    if session.get(PushAckUse, claims.nonce) is not None:
        raise PushError("used_token", 409)
    try:  # two uses at once: the primary key lets one through
        with session.begin_nested():
            session.add(PushAckUse(nonce=claims.nonce, page_id=claims.page_id, used_at=now))
    except IntegrityError:
        raise PushError("used_token", 409) from None
    if page.escalation_id is not None:
        escalations.acknowledge(
            session=session, escalation_id=page.escalation_id, user=user, now=now, channel="push"
        )
        return Acknowledged(
            "escalation",
            page.escalation_id,
            escalations.paging_calls_to_end(session=session, escalation_id=page.escalation_id),
        )
    assert page.drill_id is not None
    drills.acknowledge(session=session, drill_id=page.drill_id, user=user, now=now, channel="push")
    return Acknowledged(
        "drill", page.drill_id, drills.calls_to_end(session=session, drill_id=page.drill_id)
    )


# --- what a push says ---------------------------------------------------------------------------


def payload(
    *, session: Session, page: Page, base_url: str, secret_key: str, ttl_s: int, now: datetime
) -> dict[str, Any]:
    """What the lock screen may show: a crisis (or drill) page, nothing of the caller; the
    acknowledge action's URL and token."""
    user = session.get(User, page.user_id)
    assert user is not None and page.id is not None and user.id is not None
    _ = gettext_for(user.locale)
    drill = page.drill_id is not None
    body = (
        _("Hotline: drill page — open the console")
        if drill
        else _("Hotline: crisis page — open the console")
    )
    return {
        "title": _("Hotline"),
        "body": body,
        "tag": f"page-{page.id}",
        "url": base_url.rstrip("/") + CONSOLE_PATH,
        "ack_url": base_url.rstrip("/") + ACK_PATH,
        "ack_label": _("Acknowledge"),
        "ack_done": _("Acknowledged. Open the console to join the call."),
        "ack_failed": _("Not acknowledged: open the console."),
        "token": ack_token(
            secret_key=secret_key,
            page_id=page.id,
            user_id=user.id,
            expires=now + timedelta(seconds=ttl_s),
        ),
    }


# --- delivery outcomes --------------------------------------------------------------------------


def delivered(*, session: Session, device_id: int, now: datetime) -> None:
    subscription = session.get(PushSubscription, device_id)
    if subscription is not None:
        subscription.last_success_at = now


def failed(*, session: Session, device_id: int, error: str, now: datetime) -> None:
    subscription = session.get(PushSubscription, device_id)
    if subscription is not None:
        subscription.last_failure_at = now
        subscription.last_error = error[:200]


def gone(*, session: Session, device_id: int) -> None:
    """The push service answered 404/410: the browser unsubscribed or the subscription expired."""
    subscription = session.get(PushSubscription, device_id)
    if subscription is not None:
        session.delete(subscription)
