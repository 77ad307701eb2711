"""Text conversations as JSON under /api/conversations: the transcript (its counselor, the
crisis worker who joined it on an escalation, and supervisors; the others' reads are audited like
a case view), the counselor's or crisis worker's reply, 'the counselor is typing', and
supervisors' private note to the counselor and take-over (both audited). Replies to SMS and
WeChat leave after the commit (the dispatcher is kicked); the web chat page gets them from the
bus."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from sqlmodel import Session

from hotline.audit.models import AuditAction
from hotline.audit.service import record as audit
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser
from hotline.auth.models import User
from hotline.conversations import service as conversations
from hotline.conversations.models import ConversationMessage
from hotline.conversations.schemas import (
    MessageOut,
    ReplyIn,
    TakeOverIn,
    TakeOverOut,
    TranscriptOut,
)
from hotline.db import SessionDep
from hotline.routing.engine import DispatcherDep

router = APIRouter(prefix="/api/conversations", tags=["conversations"])


def _written(message: ConversationMessage, user: User) -> MessageOut:
    """What `user` just wrote, as the API returns it (they are its author)."""
    names = {user.id: user.display_name} if user.id is not None else {}
    return conversations.message_out(message, names)


@router.get("/{call_id}/messages", response_model=TranscriptOut)
def messages_api(
    call_id: int,
    request: Request,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> TranscriptOut:
    """The transcript; with `after` (the last message id the reader has), only what it lacks:
    each message sent to a counselor costs this read, and the whole of a long conversation
    decrypted and sent again every time is most of its cost."""
    # (The session first: the user is then looked up in it, one transaction for the read that
    # every message sent to a counselor costs, not two.)
    call = conversations.readable(session=session, user=user, call_id=call_id)
    holder = call.counselor_id == user.id
    private = holder or user.role in conversations.SUPERVISING
    out = conversations.transcript_out(session=session, call=call, private=private, after=after)
    if not holder:  # a supervisor or the crisis worker who joined reading it: audited
        record_request(
            request,
            action=AuditAction.view,
            object_type="conversation",
            object_id=call_id,
            user=user,
            session=session,
        )
    response.headers["Cache-Control"] = "no-store"
    return out


@router.post(
    "/{call_id}/messages",
    dependencies=[CsrfChecked],
    response_model=MessageOut,
    status_code=201,
)
def reply_api(
    call_id: int,
    body: ReplyIn,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    tasks: BackgroundTasks,
) -> MessageOut:
    conversations.held(session=session, user=user, call_id=call_id)
    message = conversations.reply(
        session=session, user=user, call_id=call_id, body=body.body, now=dispatcher.clock.now()
    )
    tasks.add_task(dispatcher.kick)  # SMS and WeChat leave by the dispatcher, after the commit
    response.headers["Cache-Control"] = "no-store"
    return _written(message, user)


@router.post("/{call_id}/typing", dependencies=[CsrfChecked], status_code=204)
def typing_api(call_id: int, user: CurrentUser, session: SessionDep) -> Response:
    conversations.typing(session=session, user=user, call_id=call_id)
    return Response(status_code=204)


def _audit(request: Request, session: Session, user: CurrentUser, call_id: int, what: str) -> None:
    audit(
        session=session,
        now=request.app.state.clock.now(),
        user=user,
        ip=request.client.host if request.client else None,
        action=AuditAction.edit,
        object_type="conversation",
        object_id=call_id,
        detail=what,
    )


@router.post(
    "/{call_id}/notes",
    dependencies=[CsrfChecked],
    response_model=MessageOut,
    status_code=201,
)
def private_note_api(
    call_id: int,
    body: ReplyIn,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
) -> MessageOut:
    """A supervisor's private note to the counselor holding the conversation."""
    message = conversations.note_to_counselor(
        session=session, user=user, call_id=call_id, body=body.body, now=dispatcher.clock.now()
    )
    _audit(request, session, user, call_id, "private_note")
    response.headers["Cache-Control"] = "no-store"
    return _written(message, user)


@router.post("/{call_id}/take-over", dependencies=[CsrfChecked], response_model=TakeOverOut)
def take_over_api(
    call_id: int,
    body: TakeOverIn,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    tasks: BackgroundTasks,
) -> TakeOverOut:
    """A supervisor becomes the conversation's holder (409 when another was first)."""
    call = conversations.take_over(
        session=session,
        user=user,
        call_id=call_id,
        from_user_id=body.from_user_id,
        now=dispatcher.clock.now(),
    )
    _audit(request, session, user, call_id, "take_over")
    tasks.add_task(dispatcher.kick)  # the counselor's place is free; SMS/WeChat words leave
    assert call.id is not None
    return TakeOverOut(call_id=call.id, state=call.state.value)
