"""What the phone network can ring: the `to` of `TelephonyPort.dial_into_conference`.

A counselor is reached at their user's `endpoint`: an E.164 number, a SIP URI, or a Twilio
Client identity (`client:<identity>`). Anything else (empty, a local number, a typo) makes every
offer they accept fail, so nobody without one of these takes calls.
"""

from __future__ import annotations

import re

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
SIP_URI = re.compile(r"sips?:[^@\s:;]+@[A-Za-z0-9.-]+(:[0-9]{1,5})?(;[^\s]*)?")
CLIENT = re.compile(r"client:[A-Za-z0-9_.@-]+")


def dialable(endpoint: str) -> bool:
    """True if `endpoint` is a number, SIP URI or client identity Twilio can dial."""
    return any(pattern.fullmatch(endpoint) for pattern in (E164, SIP_URI, CLIENT))


def browser_identity(user_id: int) -> str:
    """The Twilio Client identity of a user's browser phone: stable, and not their name."""
    return f"user-{user_id}"


def browser_client(user_id: int) -> str:
    """What the phone network rings to reach a user's browser phone."""
    return f"client:{browser_identity(user_id)}"
