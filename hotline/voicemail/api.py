"""A voicemail's audio, for the supervisors' voicemail page (`agent_console/voicemail/pages.py`).

The audio proxy stays in the core beside the call recordings' (`hotline/review/api.py`): it is
not a page but the message itself, fetched from the provider with the account's credentials
(`hotline.review.playback`, which keeps those credentials to this account's recordings), and a
player asks for it by URL. Like the page, it sends a browser without a session to sign in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import RequirePageRole
from hotline.auth.models import User
from hotline.db import SessionDep
from hotline.review import playback
from hotline.voicemail import service as voicemails

router = APIRouter(tags=["voicemail"])
Handler = Annotated[User, Depends(RequirePageRole(*voicemails.HANDLERS))]


@router.get("/supervisor/voicemails/{voicemail_id}/audio", include_in_schema=False)
def voicemail_audio(
    voicemail_id: int, request: Request, user: Handler, session: SessionDep
) -> Response:
    """The message itself; played once this playback's audit entry is committed."""
    url = voicemails.audio_url(session=session, voicemail_id=voicemail_id)
    if url is None:
        raise HTTPException(status_code=404, detail="no such voicemail")
    record_request(
        request,
        action=AuditAction.view,
        object_type="voicemail",
        object_id=voicemail_id,
        user=user,
        detail="played",
        session=session,
    )
    return playback.stream(request, url, what=f"voicemail {voicemail_id}")
