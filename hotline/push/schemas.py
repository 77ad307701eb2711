"""API shapes of web push: a browser's subscription as `PushSubscription.toJSON()` gives it, the
devices listed back (never their keys), and the acknowledge action's token."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hotline.push.models import PushSubscription


class SubscriptionKeys(BaseModel):
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)


class SubscribeRequest(BaseModel):
    # toJSON() also carries expirationTime (null in the browsers that page us): ignored.
    model_config = ConfigDict(extra="ignore")
    endpoint: str = Field(min_length=1, max_length=1000)
    keys: SubscriptionKeys
    label: str = Field(default="", max_length=100)


class DeviceOut(BaseModel):
    id: int
    label: str
    created_at: str
    last_success_at: str | None
    last_failure_at: str | None

    @classmethod
    def of(cls, device: PushSubscription) -> DeviceOut:
        return cls(
            id=device.id or 0,
            label=device.label,
            created_at=device.created_at.isoformat(),
            last_success_at=device.last_success_at.isoformat() if device.last_success_at else None,
            last_failure_at=device.last_failure_at.isoformat() if device.last_failure_at else None,
        )


class PushConfigOut(BaseModel):
    configured: bool
    public_key: str  # the VAPID public key the browser subscribes with ("" when not configured)


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=200)


class AckOut(BaseModel):
    kind: str  # "escalation" or "drill"
    id: int
    acknowledged: bool = True


class RemovedOut(BaseModel):
    removed: int
