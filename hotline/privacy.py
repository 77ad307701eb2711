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
