"""VAPID keys (RFC 8292): the P-256 pair that signs this server's pushes. The private key is
kept as its raw 32 bytes in base64url (what pywebpush reads from a string), the public key as
the uncompressed point in base64url (what a browser's pushManager.subscribe wants)."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _public(private: ec.EllipticCurvePrivateKey) -> str:
    return _b64url(
        private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def generate_pair() -> tuple[str, str]:
    """(private, public), both base64url."""
    private = ec.generate_private_key(ec.SECP256R1())
    raw = private.private_numbers().private_value.to_bytes(32, "big")
    return _b64url(raw), _public(private)


def public_of(private_key: str) -> str | None:
    """The public key of a raw base64url private key, or None when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(private_key + "=" * (-len(private_key) % 4))
        if len(raw) != 32:
            return None
        private = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except (binascii.Error, ValueError):
        return None
    return _public(private)
