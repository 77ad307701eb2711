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
