"""The WeChat Official Accounts platform (公众平台), for the simulator: it pushes a follower's
messages to an account's server URL and delivers the passive reply, as WeChat does.

Written from the platform's documentation, not with wechatpy (which the app uses), so a test
drives the app's real library against an independent sender: the server URL is checked when an
account is registered (GET with `echostr`, as saving it in the account's console does); every
push carries `signature` = SHA-1 of the sorted token, timestamp and nonce, and `openid`; the
body is the plain-text mode's XML. A push that gets no answer in 5 s, or an error, is sent again
up to twice with the same MsgId. The reply is read as the platform reads it: "success" or an
empty body is no reply; otherwise XML addressed back to the follower.

The platform's API, as wechatpy calls it (its base URL pointed here): ``GET /cgi-bin/token``
(grant_type=client_credential, appid, secret: an access token for 7,200 s, or errcode 40013 /
40125) and ``POST /cgi-bin/message/custom/send?access_token=`` (a customer-service text:
errcode 40001 for a token it never gave, 45015 when the follower has not written to the account
in the last 48 hours, 0 and kept in ``sent`` otherwise).

Control endpoints (X-Simulator-Token): ``POST wechat/accounts`` {id, url, token, app_id?,
app_secret?}, ``GET wechat/accounts``, ``POST wechat/messages`` {account, open_id, type,
content?, event?}, ``GET wechat/messages``, ``GET wechat/sent`` (customer-service messages),
``POST wechat/reset``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
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
TOKEN_TTL_S = 7200
# Customer-service messages reach a follower only this long after their last message.
REPLY_WINDOW_S = 48 * 3600


def sign(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class Account:
    id: str  # the account's original ID (gh_...), the ToUserName of every push
    url: str
    token: str
    app_id: str = ""  # the developer ID (AppID) and secret (AppSecret) the API's token needs
    app_secret: str = ""


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
    # Customer-service messages sent through the API: {account, open_id, type, content}.
    sent: list[dict[str, str]] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> account id
    last_heard: dict[tuple[str, str], float] = field(default_factory=dict)
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
        self.last_heard[(account.id, body.open_id)] = time.time()
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

    def token_for(self, app_id: str, secret: str) -> dict[str, Any]:
        account = next((a for a in self.accounts.values() if a.app_id and a.app_id == app_id), None)
        if account is None:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if not hmac.compare_digest(account.app_secret.encode(), secret.encode()):
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        token = secrets.token_urlsafe(48)
        self.tokens[token] = account.id
        return {"access_token": token, "expires_in": TOKEN_TTL_S}

    def custom_send(self, token: str, message: dict[str, Any]) -> dict[str, Any]:
        account = self.tokens.get(token)
        if account is None:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
        open_id = str(message.get("touser", ""))
        kind = str(message.get("msgtype", ""))
        text = message.get("text")
        if kind != "text" or not isinstance(text, dict) or not text.get("content"):
            return {"errcode": 44002, "errmsg": "empty post data"}
        heard = self.last_heard.get((account, open_id))
        if heard is None or time.time() - heard > REPLY_WINDOW_S:
            return {
                "errcode": 45015,
                "errmsg": "response out of time limit or subscription is canceled",
            }
        self.sent.append(
            {"account": account, "open_id": open_id, "type": kind, "content": str(text["content"])}
        )
        return {"errcode": 0, "errmsg": "ok"}


class AccountIn(BaseModel):
    id: str = Field(pattern=r"^gh_[0-9a-z]{6,20}$")
    url: str = Field(pattern=r"^https?://")
    token: str = Field(pattern=r"^[0-9A-Za-z]{3,32}$")
    app_id: str = Field(default="", pattern=r"^(wx[0-9a-f]{16})?$")
    app_secret: str = Field(default="", pattern=r"^[0-9a-f]{0,32}$")


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
        await platform.register(
            Account(
                id=body.id,
                url=body.url,
                token=body.token,
                app_id=body.app_id,
                app_secret=body.app_secret,
            )
        )
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

    @control.get("/sent")
    async def list_sent() -> list[dict[str, str]]:
        return list(platform.sent)

    @control.post("/reset")
    async def reset() -> dict[str, bool]:
        platform.accounts.clear()
        platform.pushed.clear()
        platform.sent.clear()
        platform.tokens.clear()
        platform.last_heard.clear()
        return {"ok": True}

    api = APIRouter(prefix="/cgi-bin")

    @api.get("/token")
    async def token(grant_type: str = "", appid: str = "", secret: str = "") -> dict[str, Any]:
        if grant_type != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        return platform.token_for(appid, secret)

    @api.post("/message/custom/send")
    async def custom_send(request: Request, access_token: str = "") -> dict[str, Any]:
        try:
            message = json.loads(await request.body())
        except ValueError:
            return {"errcode": 47001, "errmsg": "data format error"}
        if not isinstance(message, dict):
            return {"errcode": 47001, "errmsg": "data format error"}
        return platform.custom_send(access_token, message)

    both = APIRouter()
    both.include_router(control)
    both.include_router(api)  # the platform's own API: no simulator token
    return both, platform
