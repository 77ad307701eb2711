"""Authenticated encryption of sensitive fields at rest (AES-256-GCM, rotatable keys).

A stored value is ``"v1:<key_id>:<urlsafe base64 of 12-byte nonce + ciphertext and tag>"``. New
values are encrypted with the keyring's current key; a value is decrypted with the key named in it,
so values written before a key rotation stay readable as long as their key stays in the keyring.
The version and key id are authenticated too (they are part of the associated data).

Keys come from the settings as ``"id1:base64key,id2:base64key"`` (the last one is current); see
`keyring_from`. Create a key with `generate_key` (``python -c "from hotline.crypto import
generate_key; print(generate_key())"``).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
DEV_KEY_ID = "dev"
DEV_KEY_INFO = b"hotline data key"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_URLSAFE_B64 = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_STD_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class DecryptionError(Exception):
    """A stored value could not be decrypted: malformed, tampered with, wrong key or AAD."""


def _check_key(key_id: str, key: bytes) -> None:
    if not _KEY_ID.fullmatch(key_id):
        raise ValueError(f"invalid data key id {key_id!r}: use 1-32 of A-Z a-z 0-9 _ -")
    if len(key) != KEY_BYTES:
        raise ValueError(f"data key {key_id!r} must be {KEY_BYTES} bytes (AES-256)")


class Keyring:
    """Data keys by key id, and the id of the current key (the one new values use)."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        for key_id, key in keys.items():
            _check_key(key_id, key)
        if current not in keys:
            raise ValueError(f"the current data key {current!r} is not in the keyring")
        self._keys: Mapping[str, bytes] = MappingProxyType(dict(keys))
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current

    @property
    def current_id(self) -> str:
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def with_key(self, key_id: str, key: bytes) -> Keyring:
        """A new keyring with `key` added (or replaced) under `key_id` and made current."""
        return Keyring({**self._keys, key_id: key}, key_id)

    def __repr__(self) -> str:  # never show key material
        return f"Keyring(key_ids={list(self._keys)!r}, current={self._current!r})"

    def encrypt(self, plaintext: str, *, aad: bytes = b"") -> str:
        nonce = os.urandom(NONCE_BYTES)
        header = f"{VERSION}:{self._current}:"
        sealed = self._ciphers[self._current].encrypt(
            nonce, plaintext.encode("utf-8"), header.encode("ascii") + aad
        )
        return header + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str, *, aad: bytes = b"") -> str:
        parts = token.split(":")
        if len(parts) != 3:
            raise DecryptionError("not an encrypted value")
        version, key_id, body = parts
        if version != VERSION:
            raise DecryptionError("unknown encrypted value version")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(f"unknown data key id {key_id!r}")
        raw = _strict_urlsafe_b64decode(body)
        if raw is None or len(raw) < NONCE_BYTES + 16:
            raise DecryptionError("malformed encrypted value")
        header = f"{version}:{key_id}:".encode("ascii")
        try:
            plaintext = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], header + aad)
        except InvalidTag:
            raise DecryptionError(
                "encrypted value failed authentication (tampered, wrong key or wrong AAD)"
            ) from None
        return plaintext.decode("utf-8")


def _strict_urlsafe_b64decode(body: str) -> bytes | None:
    """Decode only the canonical encoding, so that no character can change without notice."""
    if not _URLSAFE_B64.fullmatch(body):
        return None
    try:
        raw = base64.urlsafe_b64decode(body)
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).decode("ascii") != body:
        return None
    return raw


def _decode_key(key_id: str, encoded: str) -> bytes:
    # Accept the standard and the URL-safe alphabets; never echo the key in an error.
    standard = encoded.replace("-", "+").replace("_", "/")
    if not _STD_B64.fullmatch(standard):
        raise ValueError(f"data key {key_id!r} is not base64")
    try:
        key = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"data key {key_id!r} is not base64") from None
    _check_key(key_id, key)
    return key


def derive_dev_key(secret_key: str) -> bytes:
    """The development/test data key: HKDF-SHA256 of the secret key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=DEV_KEY_INFO)
    return hkdf.derive(secret_key.encode("utf-8"))


def keyring_from(secret_key: str, data_keys: str | None, env: str) -> Keyring:
    """The keyring the settings describe.

    `data_keys` is ``"id1:base64key,id2:base64key"``; the last key is current, the others only
    decrypt older values. When it is empty, development and test derive one key (id "dev") from
    `secret_key`; any other environment (production) refuses to start without data keys.
    """
    if not data_keys or not data_keys.strip():
        if env in ("development", "test"):
            return Keyring({DEV_KEY_ID: derive_dev_key(secret_key)}, DEV_KEY_ID)
        raise ValueError(
            "data keys must be set in production (HOTLINE_DATA_KEYS='id:base64key'; "
            "create a key with hotline.crypto.generate_key())"
        )
    keys: dict[str, bytes] = {}
    current = ""
    for entry in data_keys.split(","):
        key_id, sep, encoded = entry.strip().partition(":")
        key_id, encoded = key_id.strip(), encoded.strip()
        if not sep or not key_id or not encoded:
            raise ValueError("data keys must look like 'id1:base64key,id2:base64key'")
        if key_id in keys:
            raise ValueError(f"data key id {key_id!r} is given twice")
        keys[key_id] = _decode_key(key_id, encoded)
        current = key_id
    return Keyring(keys, current)


def generate_key() -> str:
    """A new random data key (base64 of 32 random bytes), for an operator to add to the keys."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


_keyring: Keyring | None = None


def configure(keyring: Keyring) -> None:
    """Set the process-wide keyring (at start-up, from the settings)."""
    global _keyring
    _keyring = keyring


def current_keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError(
            "no data keyring configured: call hotline.crypto.configure(keyring_from(...)) "
            "at start-up before reading or writing encrypted columns"
        )
    return _keyring


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted with the current keyring; None stays None (NULL).

    The stored values are randomised, so the column cannot be compared, searched or indexed.
    """

    impl = Text
    cache_ok = True

    @property
    def python_type(self) -> type[str]:
        return str

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return current_keyring().encrypt(value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return current_keyring().decrypt(value)
