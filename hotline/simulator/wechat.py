"""The WeChat Official Accounts platform (公众平台), for the simulator: it pushes a follower's
messages to an account's server URL and delivers the passive reply, as WeChat does.

Written from the platform's documentation, not with wechatpy (which the app uses), so a test
drives the app's real library against an independent sender: the server URL is checked when an
account is registered (GET with `echostr`, as saving it in the account's console does); every
push carries `signature` = SHA-1 of the sorted token, timestamp and nonce, and `openid`; the
body is the plain-text mode's XML. A push that gets no answer in 5 s, or an error, is sent again
up to twice with the same MsgId. The reply is read as the platform reads it: "success" or an
empty body is no reply; otherwise XML addressed back to the follower.

Control endpoints (X-Simulator-Token): ``POST wechat/accounts`` {id, url, token},
``GET wechat/accounts``, ``POST wechat/messages`` {account, open_id, type, content?, event?},
``GET wechat/messages``, ``POST wechat/reset``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from hotline.simulator.config import SimulatorConfig

TOKEN_HEADER = "X-Simulator-Token"
PUSH_TIMEOUT_S = 5.0  # the platform waits this long for a passive reply
PUSH_ATTEMPTS = 3


def sign(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class Account:
    id: str  # the account's original ID (gh_...), the ToUserName of every push
    url: str
    token: str


@dataclass
class Pushed:
    id: int
    account: str
    open_id: str
    type: str
    content: str
    msg_id: int | None
    attempts: int = 0
    status: int | None = None
    reply: dict[str, str] | None = None
    error: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.account,
            "open_id": self.open_id,
            "type": self.type,
            "content": self.content,
            "msg_id": self.msg_id,
            "attempts": self.attempts,
            "status": self.status,
            "reply": self.reply,
            "error": self.error,
        }


@dataclass
class Platform:
    config: SimulatorConfig
    accounts: dict[str, Account] = field(default_factory=dict)
    pushed: list[Pushed] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _msg_ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(6_000_000_000_000_000_001)
    )

    def _signed(self, account: Account, **extra: str) -> str:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        query = {
            "signature": sign(account.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            **extra,
        }
        return f"{account.url}?{urlencode(query)}"

    async def register(self, account: Account) -> None:
        """Saving the server URL: the platform checks it echoes a random string."""
        echo = secrets.token_hex(8)
        async with httpx.AsyncClient(timeout=PUSH_TIMEOUT_S) as client:
            answer = await client.get(self._signed(account, echostr=echo))
        if answer.status_code != 200 or answer.text != echo:
            raise HTTPException(status_code=400, detail="token verification failed (URL check)")
        self.accounts[account.id] = account

    async def push(self, account: Account, body: MessageIn) -> Pushed:
        now = int(time.time())
        msg_id = None if body.type == "event" else next(self._msg_ids)
        pushed = Pushed(
            id=next(self._ids),
            account=account.id,
            open_id=body.open_id,
            type=body.type,
            content=body.content or body.event or "",
            msg_id=msg_id,
        )
        self.pushed.append(pushed)
        xml = _message_xml(account.id, body, now, msg_id)
        async with httpx.AsyncClient(timeout=PUSH_TIMEOUT_S) as client:
            while pushed.attempts < PUSH_ATTEMPTS:
                pushed.attempts += 1
                try:
                    answer = await client.post(
                        self._signed(account, openid=body.open_id),
                        content=xml.encode(),
                        headers={"Content-Type": "text/xml"},
                    )
                except httpx.HTTPError as error:
                    pushed.error = type(error).__name__
                    continue
                pushed.status = answer.status_code
                if answer.status_code < 500:
                    break
        if pushed.status == 200:
            pushed.reply = _read_reply(answer.text, account.id, body.open_id)
        return pushed


class AccountIn(BaseModel):
    id: str = Field(pattern=r"^gh_[0-9a-z]{6,20}$")
    url: str = Field(pattern=r"^https?://")
    token: str = Field(pattern=r"^[0-9A-Za-z]{3,32}$")


class MessageIn(BaseModel):
    account: str
    open_id: str = Field(pattern=r"^[0-9A-Za-z_-]{6,64}$")
    type: str = Field(default="text", pattern=r"^(text|image|voice|video|location|link|event)$")
    content: str | None = None
    event: str | None = None


def _message_xml(account: str, body: MessageIn, now: int, msg_id: int | None) -> str:
    """The push's body, in the documented element order."""
    parts = [
        f"<ToUserName>{_cdata(account)}</ToUserName>",
        f"<FromUserName>{_cdata(body.open_id)}</FromUserName>",
        f"<CreateTime>{now}</CreateTime>",
        f"<MsgType>{_cdata(body.type)}</MsgType>",
    ]
    if body.type == "text":
        parts.append(f"<Content>{_cdata(body.content or '')}</Content>")
    elif body.type == "event":
        parts.append(f"<Event>{_cdata(body.event or 'subscribe')}</Event>")
        parts.append(f"<EventKey>{_cdata('')}</EventKey>")
    elif body.type in ("image", "voice", "video"):
        parts.append(f"<MediaId>{_cdata('media_' + secrets.token_hex(8))}</MediaId>")
        if body.type == "image":
            parts.append(f"<PicUrl>{_cdata('http://mmbiz.qpic.cn/sim/0')}</PicUrl>")
    if msg_id is not None:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


def _read_reply(text: str, account: str, open_id: str) -> dict[str, str] | None:
    """The passive reply as the follower gets it; a reply not addressed to them is dropped
    (the platform shows "该公众号暂时无法提供服务" then: kept here as an error)."""
    if text.strip() in ("", "success"):
        return None
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return {"error": "not XML"}
    found = {child.tag: (child.text or "") for child in root}
    if found.get("ToUserName") != open_id or found.get("FromUserName") != account:
        return {"error": "misaddressed"}
    return {"type": found.get("MsgType", ""), "content": found.get("Content", "")}


def wechat_router(config: SimulatorConfig) -> tuple[APIRouter, Platform]:
    platform = Platform(config)

    def require_token(request: Request) -> None:
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), config.control_token.encode()):
            raise HTTPException(status_code=401, detail=f"{TOKEN_HEADER} header required")

    control = APIRouter(prefix="/control/wechat", dependencies=[Depends(require_token)])

    @control.post("/accounts")
    async def add_account(body: AccountIn) -> dict[str, str]:
        await platform.register(Account(id=body.id, url=body.url, token=body.token))
        return {"id": body.id, "url": body.url}

    @control.get("/accounts")
    async def list_accounts() -> list[dict[str, str]]:
        return [{"id": a.id, "url": a.url} for a in platform.accounts.values()]

    @control.post("/messages")
    async def send(body: MessageIn) -> dict[str, Any]:
        account = platform.accounts.get(body.account)
        if account is None:
            raise HTTPException(status_code=404, detail="no such account")
        return (await platform.push(account, body)).view()

    @control.get("/messages")
    async def list_messages() -> list[dict[str, Any]]:
        return [p.view() for p in platform.pushed]

    @control.post("/reset")
    async def reset() -> dict[str, bool]:
        platform.accounts.clear()
        platform.pushed.clear()
        return {"ok": True}

    return control, platform
