"""Twilio's status callbacks of the SMS a conversation sends (`/twilio/sms/status`): sent,
delivered, or not (undelivered, failed). Signed like every webhook (`SignedForm`: forged 403,
malformed 400), answered once per distinct request (`answer_webhook`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session
from twilio.twiml.messaging_response import MessagingResponse

from hotline.conversations import service as conversations
from hotline.conversations import sms
from hotline.conversations.models import Delivery
from hotline.routing.engine import DispatcherDep
from hotline.telephony.params import as_id
from hotline.telephony.service import answer_webhook
from hotline.telephony.signature import SignedForm, require

router = APIRouter(tags=["conversations"])
# Twilio's MessageStatus values that change what the console shows; the others (queued,
# sending, accepted, scheduled) say nothing new.
STATUSES = {
    "sent": Delivery.sent,
    "delivered": Delivery.delivered,
    "undelivered": Delivery.failed,
    "failed": Delivery.failed,
}


@router.post("/twilio/sms/status")
def sms_status(request: Request, params: SignedForm, dispatcher: DispatcherDep) -> Response:
    """A conversation's SMS went out, arrived, or could not be delivered."""
    require(params, "MessageSid", "MessageStatus")
    delivery = STATUSES.get(params["MessageStatus"])
    # Ours, in the URL we gave: the callback can come before the sender has recorded the SID.
    message_id = as_id(request.query_params.get("message_id"))

    def handle(session: Session) -> str:
        if delivery is not None:
            conversations.set_delivery(
                session=session,
                provider_id=sms.provider_id(params["MessageSid"]),
                delivery=delivery,
                message_id=message_id,
            )
        return str(MessagingResponse())

    return answer_webhook(request, params, handle, db=dispatcher.db, clock=dispatcher.clock)
