"""The quick replies of a conversation's line, for the counselor holding it (the console's
picker inserts one into the reply box; nothing is sent from here)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hotline.auth.deps import CurrentUser
from hotline.conversations import service as conversations
from hotline.db import SessionDep
from hotline.quickreplies import service as quick
from hotline.quickreplies.schemas import QuickRepliesOut, QuickReplyOut

router = APIRouter(prefix="/api/conversations", tags=["conversations"])


@router.get("/{call_id}/quick-replies", response_model=QuickRepliesOut)
def quick_replies_api(
    call_id: int, response: Response, user: CurrentUser, session: SessionDep
) -> QuickRepliesOut:
    call = conversations.held(session=session, user=user, call_id=call_id)
    replies = [
        QuickReplyOut(id=row.id, title=row.title, text=row.text, language=row.language)
        for row in quick.for_call(session=session, call=call)
        if row.id is not None
    ]
    response.headers["Cache-Control"] = "no-store"
    return QuickRepliesOut(call_id=call_id, replies=replies)
