"""The browser phone: access tokens for the console's Twilio Voice SDK.

Where calls ring (phone or browser, per shift) is presence, kept by routing
(`hotline.routing.service.set_phone_mode`); the identity the network rings is
`hotline.telephony.endpoints.browser_identity`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from hotline.auth.models import Role, User
from hotline.config import Settings
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.telephony.endpoints import browser_identity

# Who takes calls, or joins them, from the console.
PHONE_ROLES = (Role.counselor, Role.crisis, Role.supervisor)


class SoftphoneError(DomainError):
    messages: ClassVar[Mapping[str, str]] = {
        "not_configured": N_(
            "The browser phone is not set up on this hotline. Ask an administrator."
        ),
        "not_simulator": N_("This only works with the phone simulator."),
        "no_leg": N_("Nothing is ringing your browser phone."),
        "simulator_down": N_("The phone simulator does not answer."),
    }
    fallback: ClassVar[str] = N_("This cannot be done now.")


def access_token(*, settings: Settings, user: User) -> tuple[str, str]:
    """A signed access token letting this user's browser receive calls, and its identity.

    Short-lived (`phone_token_ttl_s`): the console fetches a fresh one before it runs out.
    Incoming only; the TwiML app is named for outgoing calls, which the console never makes.
    """
    assert user.id is not None
    if not settings.browser_phone_ready:
        raise SoftphoneError("not_configured", status=503)
    identity = browser_identity(user.id)
    token = AccessToken(
        settings.twilio_account_sid,
        settings.twilio_api_key_sid,
        settings.twilio_api_key_secret,
        identity=identity,
        ttl=settings.phone_token_ttl_s,
    )
    token.add_grant(
        VoiceGrant(incoming_allow=True, outgoing_application_sid=settings.twilio_twiml_app_sid)
    )
    return token.to_jwt(), identity
