"""The channels' names as people read them (translated where shown)."""

from __future__ import annotations

from hotline.calls.models import Channel
from hotline.i18n import N_

CHANNEL_LABELS = {
    Channel.voice: N_("Phone"),
    Channel.sms: N_("SMS"),
    Channel.webchat: N_("Web chat"),
    Channel.wechat: N_("WeChat"),
}
