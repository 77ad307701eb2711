"""The official account's server URL, /wechat/{line_id}: the platform's check when the URL is
saved (GET, echo) and its message push (POST, XML), each signed with the account's token.

A push without a valid signature is refused (403) before anything is read or written; a signed
body that is not a WeChat message gets 400. The platform retries a push it got no answer to:
each message is answered once (`MsgId`, or sender and time for an event) and a retry gets the
same reply. Plain-text mode only: the account's message encryption (安全模式) is not supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from sqlmodel import Session
from starlette.requests import ClientDisconnect
from wechatpy import parse_message
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from hotline.config import Settings
from hotline.lines.models import Line
from hotline.routing.engine import DispatcherDep
from hotline.telephony.service import idempotent
from hotline.wechat import service as wechat

router = APIRouter(tags=["wechat"])
MAX_BODY = 16 * 1024  # a text message holds at most 2,048 bytes of content
SIGNATURE = re.compile(r"[0-9a-f]{40}")
TIMESTAMP = re.compile(r"[0-9]{1,12}")
NONCE = re.compile(r"[0-9A-Za-z_-]{1,64}")
ECHO = re.compile(r"[0-9A-Za-z_-]{1,128}")
LineId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _verify(request: Request) -> None:
    """403 unless the query carries the account token's signature over timestamp and nonce."""
    token = _settings(request).wechat_token
    query = request.query_params
    signature, timestamp, nonce = (query.get(k, "") for k in ("signature", "timestamp", "nonce"))
    shaped = (
        SIGNATURE.fullmatch(signature) and TIMESTAMP.fullmatch(timestamp) and NONCE.fullmatch(nonce)
    )
    if not token or not shaped:
        raise HTTPException(status_code=403, detail="invalid WeChat signature")
    try:
        check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException as error:
        raise HTTPException(status_code=403, detail="invalid WeChat signature") from error


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/wechat/{line_id}", response_class=Response)
def verify_url(line_id: LineId, request: Request) -> Response:
    """Saving the server URL in the account's console: echo `echostr` if signed with our token."""
    _verify(request)
    echo = request.query_params.get("echostr", "")
    if not ECHO.fullmatch(echo):
        raise HTTPException(status_code=400, detail="invalid echostr")
    return Response(echo, media_type="text/plain")


@dataclass(frozen=True)
class Push:
    """A signed push, parsed: the message and the key its retries share."""

    message: object
    key: str


async def signed_push(request: Request) -> Push:
    _verify(request)
    try:
        body = await request.body()
    except ClientDisconnect as error:
        raise HTTPException(status_code=400, detail="client disconnected") from error
    if len(body) > MAX_BODY:
        raise HTTPException(status_code=413, detail="message too large")
    try:
        message = parse_message(body)
        key = _retry_key(message)
    except Exception as error:  # expat, a missing field: anything not a WeChat message
        raise HTTPException(status_code=400, detail="not a WeChat message") from error
    return Push(message=message, key=key)


def _retry_key(message: object) -> str:
    """What a retry of this push has in common with it (the platform's own rule)."""
    message_id = getattr(message, "id", None)
    if message_id:
        return f"msg:{message_id}"
    source, created = getattr(message, "source", ""), getattr(message, "create_time", None)
    if not source or created is None:
        raise ValueError("a push without MsgId, FromUserName or CreateTime")
    return f"event:{source}:{created.timestamp():.0f}"


@router.post("/wechat/{line_id}", response_class=Response)
def receive(
    line_id: LineId,
    request: Request,
    push: Annotated[Push, Depends(signed_push)],
    dispatcher: DispatcherDep,
) -> Response:
    """A message or event for the line's account: the passive reply, once per message."""
    settings = _settings(request)
    stored: list[bool] = []

    def handle(session: Session) -> str:
        line = session.get(Line, line_id)
        if line is None or not line.active:
            return wechat.NO_REPLY
        answered = wechat.answer(
            session=session,
            line=line,
            message=push.message,
            settings=settings,
            now=dispatcher.clock.now(),
        )
        stored.append(answered.stored)
        return answered.xml

    response = idempotent(
        db=dispatcher.db,
        clock=dispatcher.clock,
        endpoint=request.url.path,
        query="",
        params={"key": push.key},
        handle=handle,
    )
    if any(stored):  # committed: offer the conversation
        dispatcher.kick()
    return response
