"""Webhook handling shared by every endpoint: idempotent receipts and post-commit work."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import Request, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hotline.clock import Clock
from hotline.db import Database
from hotline.telephony.models import WebhookReceipt

log = logging.getLogger(__name__)
TWIML = "application/xml"


def seconds(value: str | None) -> int | None:
    """A duration Twilio reports (RecordingDuration), or None for anything that is not one (more
    than a day, or no number): the rest of the callback is still kept."""
    # isascii: "²".isdigit() is true, yet int("²") fails.
    if not value or len(value) > 6 or not (value.isascii() and value.isdigit()):
        return None
    if int(value) > 86_400:
        return None
    return int(value)


def receipt_key(endpoint: str, query: str, params: dict[str, str]) -> str:
    canonical = endpoint + "?" + query + "\n" + urlencode(sorted(params.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(
    *,
    db: Database,
    clock: Clock,
    endpoint: str,
    query: str,
    params: dict[str, str],
    handle: Callable[[Session], str],
) -> Response:
    """Run `handle` once per distinct webhook; a retry gets the first answer and changes nothing.

    The receipt row is inserted before the work, so a concurrent twin blocks on its unique key
    and then finds the finished receipt.
    """
    key = receipt_key(endpoint, query, params)
    call_sid = params.get("CallSid") or params.get("ConferenceSid") or ""
    try:
        with db.session() as session:
            found = session.exec(select(WebhookReceipt).where(WebhookReceipt.key == key)).first()
            if found is not None:
                return Response(found.body, media_type=found.media_type)
            receipt = WebhookReceipt(
                key=key,
                call_sid=call_sid,
                endpoint=endpoint,
                status_code=200,
                media_type=TWIML,
                body="",
                created_at=clock.now(),
            )
            session.add(receipt)
            session.flush()
            receipt.body = handle(session)
            body = receipt.body
    except IntegrityError:
        with db.session() as session:
            found = session.exec(select(WebhookReceipt).where(WebhookReceipt.key == key)).first()
            if found is None:
                raise
            return Response(found.body, media_type=found.media_type)
    return Response(body, media_type=TWIML)


def answer_webhook(
    request: Request,
    params: dict[str, str],
    handle: Callable[[Session], str],
    *,
    db: Database,
    clock: Clock,
) -> Response:
    """`idempotent` for the webhook being served: keyed by the path and query Twilio called."""
    return idempotent(
        db=db,
        clock=clock,
        endpoint=request.url.path,
        query=request.url.query,
        params=params,
        handle=handle,
    )
