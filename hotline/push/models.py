"""Web push: the devices (browser push subscriptions) a person allowed to receive pages on, and
the acknowledge tokens already used (each may acknowledge once)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.crypto import EncryptedText
from hotline.models_base import UTCDateTime


class PushSubscription(SQLModel, table=True):
    """One browser's subscription. The endpoint is the push service's address for that browser
    (unique: a browser that subscribes again replaces its row); its keys encrypt the payload and
    are stored encrypted, like notes."""

    __tablename__ = "push_subscriptions"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    endpoint: str = Field(max_length=1000, unique=True)
    p256dh: str = Field(sa_type=EncryptedText)
    auth: str = Field(sa_type=EncryptedText)
    # What the person sees in their device list ("Chrome on Android"); never sent anywhere.
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_failure_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=200)


class PushAckUse(SQLModel, table=True):
    """A used acknowledge token (its nonce): a second use is refused, across instances."""

    __tablename__ = "push_ack_uses"
    nonce: str = Field(primary_key=True, max_length=32)
    page_id: int = Field(foreign_key="escalation_pages.id", index=True)
    used_at: datetime = Field(sa_type=UTCDateTime)
