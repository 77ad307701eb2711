"""Webhook authentication: every request must carry Twilio's signature over our public URL."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.requests import ClientDisconnect
from twilio.request_validator import RequestValidator

from hotline.config import Settings
from hotline.telephony.params import check_form

MAX_FORM_FIELDS = 200


def public_url(settings: Settings, request: Request) -> str:
    """The URL as Twilio called it: our configured public base, not the (proxied) inside URL."""
    url = settings.public_base_url.rstrip("/") + request.url.path
    return f"{url}?{request.url.query}" if request.url.query else url


async def signed_form(request: Request) -> dict[str, str]:
    """The webhook's form fields, only if the signature is valid (403 otherwise, nothing done)
    and every value can be Twilio's (400 otherwise)."""
    settings: Settings = request.app.state.settings
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise HTTPException(status_code=400, detail="expected a form-encoded Twilio webhook")
    try:
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    except ClientDisconnect as error:  # the sender gave up (hung up, timed out): nothing to do
        raise HTTPException(status_code=400, detail="client disconnected") from error
    params = {key: str(value) for key, value in form.items()}
    signature = request.headers.get("x-twilio-signature", "")
    validator = RequestValidator(settings.twilio_auth_token)
    if not signature or not validator.validate(public_url(settings, request), params, signature):
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    check_form(params)
    request.state.twilio_params = params  # for the degraded answer if handling then fails
    return params


SignedForm = Annotated[dict[str, str], Depends(signed_form)]


def require(params: dict[str, str], *names: str) -> None:
    missing = [name for name in names if not params.get(name)]
    if missing:
        raise HTTPException(status_code=400, detail=f"missing parameter(s): {', '.join(missing)}")
