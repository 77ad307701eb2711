"""A line's uploaded prompt recordings, served to the phone network (`<Play>`).

Twilio fetches the file with neither a session nor a signature, so the address is the secret: a
random token (hotline/lines/prompts.py) replaced at every upload; an unknown token is a 404.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from hotline.db import SessionDep
from hotline.lines import prompts

router = APIRouter(tags=["lines"])


@router.get("/twilio/prompts/{token}", include_in_schema=False)
def prompt_audio(token: str, session: SessionDep) -> Response:
    audio = prompts.audio_by_token(session=session, token=token)
    if audio is None:
        raise HTTPException(status_code=404, detail="no such recording")
    return Response(
        audio.data,
        media_type=audio.content_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
