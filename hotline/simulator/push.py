"""A web push service, as the browser makers run them (RFC 8030, RFC 8291, RFC 8292), for the
simulator: the app's real pywebpush requests arrive here instead of at FCM or Mozilla.

A simulated device is a browser's subscription: an endpoint under ``{root}/push/send/{id}``, a
P-256 key pair and an auth secret made here (``POST control/push/devices`` answers what
``PushSubscription.toJSON()`` gives a page). A push is accepted (201) only when its VAPID JWT
verifies with the key it names, is for this origin and has not expired, and its aes128gcm body
decrypts with the device's keys: what is recorded is the decrypted payload, so a test reads what
the device would show. A device marked gone answers 410, as a push service does for a
subscription that the browser dropped. ``POST control/push/messages/{id}/click`` plays the
service worker: the "ack" action posts the payload's token to its acknowledge URL.

Control endpoints (X-Simulator-Token): ``POST push/devices``, ``GET push/devices``,
``POST push/devices/{id}/gone``, ``GET push/messages``, ``POST push/messages/{id}/click``
{action}, ``POST push/reset``.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import http_ece
import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel

from hotline.simulator.config import SimulatorConfig

TOKEN_HEADER = "X-Simulator-Token"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    gone: bool = False

    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )


@dataclass
class PushMessage:
    id: int
    device_id: str
    payload: dict[str, Any]
    ttl: int
    urgency: str
    vapid_subject: str
    vapid_key: str
    received_at: float
    clicks: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "device_id": self.device_id,
            "payload": self.payload,
            "ttl": self.ttl,
            "urgency": self.urgency,
            "vapid_subject": self.vapid_subject,
            "vapid_key": self.vapid_key,
            "received_at": self.received_at,
            "clicks": self.clicks,
        }


class PushError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class PushService:
    config: SimulatorConfig
    devices: dict[str, Device] = field(default_factory=dict)
    messages: list[PushMessage] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)

    def endpoint(self, device: Device) -> str:
        return f"{self.config.base_url}/push/send/{device.id}"

    def new_device(self) -> dict[str, Any]:
        device = Device(
            id=secrets.token_urlsafe(12),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=secrets.token_bytes(16),
        )
        self.devices[device.id] = device
        return self.subscription(device)

    def subscription(self, device: Device) -> dict[str, Any]:
        return {
            "id": device.id,
            "gone": device.gone,
            "subscription": {
                "endpoint": self.endpoint(device),
                "expirationTime": None,
                "keys": {"p256dh": b64url(device.public_key()), "auth": b64url(device.auth)},
            },
        }

    def receive(self, device_id: str, headers: dict[str, str], body: bytes) -> PushMessage:
        """One push, checked as a push service checks it; raises PushError to refuse."""
        device = self.devices.get(device_id)
        if device is None or device.gone:
            raise PushError(410, "subscription gone")
        subject, key = self.check_vapid(headers.get("authorization", ""))
        if headers.get("content-encoding", "").lower() != "aes128gcm":
            raise PushError(415, "content-encoding must be aes128gcm")
        if "ttl" not in headers:
            raise PushError(400, "TTL header required")
        try:
            plain = http_ece.decrypt(
                body, private_key=device.private_key, auth_secret=device.auth, version="aes128gcm"
            )
        except Exception as error:
            raise PushError(400, f"payload does not decrypt: {type(error).__name__}") from None
        try:
            payload = json.loads(plain)
        except ValueError:
            payload = {"text": plain.decode(errors="replace")}
        message = PushMessage(
            id=len(self.messages) + 1,
            device_id=device.id,
            payload=payload,
            ttl=int(headers.get("ttl", "0") or 0),
            urgency=headers.get("urgency", "normal"),
            vapid_subject=subject,
            vapid_key=key,
            received_at=time.time(),
        )
        self.messages.append(message)
        return message

    def check_vapid(self, authorization: str) -> tuple[str, str]:
        """RFC 8292: "vapid t=<JWT>, k=<public key>", the JWT signed ES256 by that key, for
        this push service's origin, unexpired (at most 24 h ahead), with a contact subject."""
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise PushError(401, "VAPID authorization required")
        values = dict(
            part.strip().split("=", 1) for part in params.split(",") if "=" in part.strip()
        )
        token, key = values.get("t", ""), values.get("k", "")
        try:
            head, claims_part, signature = token.split(".")
            header = json.loads(unb64url(head))
            claims = json.loads(unb64url(claims_part))
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            raw = unb64url(signature)
            der = encode_dss_signature(
                int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
            )
            public.verify(der, f"{head}.{claims_part}".encode(), ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature, TypeError):
            raise PushError(403, "VAPID signature does not verify") from None
        if header.get("alg") != "ES256" or len(raw) != 64:
            raise PushError(403, "VAPID JWT must be ES256")
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.config.base_url))
        if claims.get("aud") != origin:
            raise PushError(403, "VAPID audience is not this push service")
        expires = claims.get("exp")
        if not isinstance(expires, int) or not time.time() < expires <= time.time() + 86_400:
            raise PushError(403, "VAPID JWT expired or too long-lived")
        subject = str(claims.get("sub", ""))
        if not subject.startswith(("mailto:", "https:")):
            raise PushError(403, "VAPID subject must be a mailto: or https: contact")
        return subject, key

    def message(self, message_id: int) -> PushMessage:
        if not 1 <= message_id <= len(self.messages):
            raise HTTPException(status_code=404, detail="no such push message")
        return self.messages[message_id - 1]


class Click(BaseModel):
    action: str = ""  # "ack": the acknowledge action; "": the notification itself


def push_router(config: SimulatorConfig) -> tuple[APIRouter, PushService]:
    service = PushService(config)
    router = APIRouter()

    def require_token(request: Request) -> None:
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), config.control_token.encode()):
            raise HTTPException(status_code=401, detail=f"{TOKEN_HEADER} header required")

    control = APIRouter(prefix="/control/push", dependencies=[Depends(require_token)])

    @router.post("/push/send/{device_id}", include_in_schema=False)
    async def send(device_id: str, request: Request) -> Response:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            message = service.receive(device_id, headers, body)
        except PushError as error:
            service.refused.append(
                {"device_id": device_id, "status": error.status, "why": str(error)}
            )
            return Response(str(error), status_code=error.status)
        return Response(
            status_code=201, headers={"Location": f"{config.base_url}/push/messages/{message.id}"}
        )

    @control.post("/devices")
    async def new_device() -> dict[str, Any]:
        return service.new_device()

    @control.get("/devices")
    async def list_devices() -> list[dict[str, Any]]:
        return [service.subscription(d) for d in service.devices.values()]

    @control.post("/devices/{device_id}/gone")
    async def device_gone(device_id: str) -> dict[str, Any]:
        device = service.devices.get(device_id)
        if device is None:
            raise HTTPException(status_code=404, detail="no such device")
        device.gone = True
        return service.subscription(device)

    @control.get("/messages")
    async def list_messages() -> dict[str, Any]:
        return {
            "messages": [m.view() for m in service.messages],
            "refused": service.refused,
        }

    @control.post("/messages/{message_id}/click")
    async def click(message_id: int, body: Click) -> dict[str, Any]:
        """What the service worker does on a click: the "ack" action posts the token."""
        message = service.message(message_id)
        if body.action != "ack":
            message.clicks.append({"action": body.action, "opened": message.payload.get("url")})
            return {"opened": message.payload.get("url")}
        async with httpx.AsyncClient(timeout=config.webhook_timeout_s) as client:
            answer = await client.post(
                str(message.payload.get("ack_url", "")),
                json={"token": message.payload.get("token", "")},
            )
        try:
            answered: Any = answer.json()
        except ValueError:
            answered = answer.text
        result = {"action": "ack", "status": answer.status_code, "body": answered}
        message.clicks.append(result)
        return result

    @control.post("/reset")
    async def reset() -> dict[str, Any]:
        service.devices.clear()
        service.messages.clear()
        service.refused.clear()
        return {"reset": True}

    router.include_router(control)
    return router, service
