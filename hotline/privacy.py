"""Caller numbers are never stored or logged: only a keyed hash that finds repeat callers."""

from __future__ import annotations

import hashlib
import hmac
import re

_NOT_DIGITS = re.compile(r"[^\d+]")


def normalize_number(number: str) -> str:
    return _NOT_DIGITS.sub("", number.strip())


def caller_hash(secret: str, number: str) -> str:
    """HMAC-SHA256 of the normalised number under a server secret (hex)."""
    digest = hmac.new(
        b"caller:" + secret.encode(), normalize_number(number).encode(), hashlib.sha256
    )
    return digest.hexdigest()


def sender_hash(secret: str, kind: str, identity: str) -> str:
    """HMAC-SHA256 of a sender who has no phone number (`kind` "webchat": a conversation's
    resume token; "wechat": a follower's OpenID), whole and under a key of its own. Never
    `caller_hash`, which keeps only a number's digits: two tokens or OpenIDs with the same
    digits (or none, like a withheld number) would be one person, sharing a case and history."""
    digest = hmac.new(b"sender:" + secret.encode(), f"{kind}:{identity}".encode(), hashlib.sha256)
    return digest.hexdigest()


# A withheld caller ID arrives as "anonymous" (and the like, which have no digits) or as one of
# Twilio's keypad spellings of ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN, UNAVAILABLE; a browser
# caller arrives as "client:<identity>", which is no phone number either. None of them tells one
# caller from another: never a repeat caller, never someone's history, never blockable.
WITHHELD = ("", "+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253")
_WITHHELD_DIGITS = frozenset(normalize_number(number) for number in WITHHELD)


def is_withheld(number: str) -> bool:
    return (
        number.strip().lower().startswith("client:") or normalize_number(number) in _WITHHELD_DIGITS
    )


def withheld_hashes(secret: str) -> frozenset[str]:
    """The hashes that withheld caller IDs are stored under (each shared by many callers)."""
    return frozenset(caller_hash(secret, number) for number in WITHHELD)
