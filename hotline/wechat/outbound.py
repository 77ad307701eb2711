"""Counselors' replies to a WeChat follower: customer-service messages (客服消息) through the
platform's API with wechatpy, after the commit (the `conversations.deliver` job).

The platform takes them only within 48 hours of the follower's last message to the account;
later ones are not attempted (`OutsideWindow`). The access token is fetched with the account's
AppID and AppSecret and kept by wechatpy's client, one per account and API address.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from wechatpy import WeChatClient

from hotline.config import Settings

_clients: dict[tuple[str, str], WeChatClient] = {}
_lock = threading.Lock()


class OutsideWindow(Exception):
    """The follower last wrote too long ago: the platform would refuse (errcode 45015)."""


class NotConfigured(Exception):
    """No AppID and AppSecret: nothing can be sent."""


class _Client(WeChatClient):  # type: ignore[misc]
    """wechatpy's client against `api_url` (the platform, or the simulator): its token URL is
    otherwise fixed to the real platform's."""

    def __init__(self, app_id: str, secret: str, api_url: str) -> None:
        super().__init__(app_id, secret, timeout=10)
        self.API_BASE_URL = api_url

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def api_url(settings: Settings) -> str:
    if settings.telephony_mode == "simulator":
        return settings.simulator_url.rstrip("/") + "/cgi-bin/"
    return settings.wechat_api_url.rstrip("/") + "/"


def client(settings: Settings) -> WeChatClient:
    if not settings.wechat_app_id or not settings.wechat_app_secret:
        raise NotConfigured
    key = (settings.wechat_app_id, api_url(settings))
    with _lock:
        if key not in _clients:
            _clients[key] = _Client(settings.wechat_app_id, settings.wechat_app_secret, key[1])
        return _clients[key]


def send_text(
    *, settings: Settings, open_id: str, text: str, last_inbound_at: datetime, now: datetime
) -> None:
    """Send `text` to the follower; raises OutsideWindow past the reply window, or wechatpy's
    WeChatClientException when the platform refuses."""
    if now - last_inbound_at > timedelta(hours=settings.wechat_reply_window_h):
        raise OutsideWindow
    client(settings).message.send_text(open_id, text)
