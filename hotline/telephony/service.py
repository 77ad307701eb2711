"""Webhook handling shared by every endpoint: idempotent receipts and post-commit work.

Webhooks own their transaction: they take no `SessionDep`, and every webhook that reads or
writes the database does so in the one `answer_webhook` opens. That transaction is the
idempotency boundary (the receipt, the work and the answer commit together, so a retry replays
the answer and changes nothing), and it is why the unit of work cannot be the request's:
- a concurrent twin's receipt insert fails on the unique key once the first commits; the twin
  then needs a fresh transaction to read the first answer, which a request-scoped session (dead
  after the error) cannot give;
- the TwiML is answered only once the commit has succeeded. If the database fails (down, locked,
  a lost race), the exception leaves `answer_webhook` before any answer exists, and the guard
  (`telephony/guard.py`) answers instead with safe TwiML: the line's fallback for a caller, an
  empty answer for a status callback. A caller never hears an application error.
Phone-network work a webhook decides on (hang up, dial, end paging calls) is collected inside
`handle` and done after `answer_webhook` returns, i.e. after the commit.
"""

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
    """The webhook's unit of work: `handle(session)` runs once per distinct request (`idempotent`,
    keyed by the path and query Twilio called plus the signed form) and returns the TwiML. Run
    phone-network work after this returns: the transaction has committed by then. Never call it
    with a session open (it raises `NestedSessionError`)."""
    return idempotent(
        db=db,
        clock=clock,
        endpoint=request.url.path,
        query=request.url.query,
        params=params,
        handle=handle,
    )
