"""Encryption of sensitive fields at rest."""

from __future__ import annotations

import base64
import string
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

from hotline import crypto
from hotline.crypto import (
    DecryptionError,
    EncryptedText,
    Keyring,
    configure,
    current_keyring,
    generate_key,
    keyring_from,
)

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
TEXTS = [
    "",
    "a",
    "来电者说最近睡不着，觉得活着没有意义。",
    "mixed 中文 and emoji 🙂 and\nnewlines\tand tabs",
    "long " * 20_000,
]


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture
def ring() -> Keyring:
    return Keyring({"a": KEY_A}, "a")


@pytest.fixture
def configured(ring: Keyring, monkeypatch: pytest.MonkeyPatch) -> Iterator[Keyring]:
    monkeypatch.setattr(crypto, "_keyring", None)
    configure(ring)
    yield ring


@pytest.mark.parametrize("plaintext", TEXTS, ids=lambda t: f"{len(t)} chars")
def test_round_trip(ring: Keyring, plaintext: str) -> None:
    token = ring.encrypt(plaintext)
    assert token.startswith("v1:a:")
    if len(plaintext) > 4:  # a short text could occur in base64 by chance
        assert plaintext not in token
    assert ring.decrypt(token) == plaintext


def test_round_trip_with_aad(ring: Keyring) -> None:
    token = ring.encrypt("总结", aad=b"call_note:5:summary")
    assert ring.decrypt(token, aad=b"call_note:5:summary") == "总结"


def test_the_token_format(ring: Keyring) -> None:
    token = ring.encrypt("hello")
    version, key_id, body = token.split(":")
    assert (version, key_id) == ("v1", "a")
    raw = base64.urlsafe_b64decode(body)
    assert len(raw) == 12 + len(b"hello") + 16  # nonce + ciphertext + GCM tag
    assert set(body) <= set(string.ascii_letters + string.digits + "-_=")


def test_the_same_text_encrypts_differently_each_time(ring: Keyring) -> None:
    tokens = {ring.encrypt("same text") for _ in range(20)}
    assert len(tokens) == 20
    assert {ring.decrypt(t) for t in tokens} == {"same text"}


def test_rotation_keeps_old_values_readable(ring: Keyring) -> None:
    old = ring.encrypt("written under key a")
    rotated = ring.with_key("b", KEY_B)
    assert rotated.current_id == "b"
    assert rotated.key_ids == ("a", "b")
    assert rotated.decrypt(old) == "written under key a"
    new = rotated.encrypt("written under key b")
    assert new.startswith("v1:b:")
    assert rotated.decrypt(new) == "written under key b"
    # the old keyring cannot read values under the new key
    with pytest.raises(DecryptionError, match="unknown data key id 'b'"):
        ring.decrypt(new)
    # the same from the settings: the last key is current
    from_settings = keyring_from("x", f"a:{b64(KEY_A)}, b:{b64(KEY_B)}", "production")
    assert from_settings.current_id == "b"
    assert from_settings.decrypt(old) == "written under key a"
    assert from_settings.encrypt("new").startswith("v1:b:")


@pytest.mark.parametrize("plaintext", ["", "secret", "来电者的秘密", "x" * 1000])
def test_tampering_with_any_character_is_detected(ring: Keyring, plaintext: str) -> None:
    # a second key with another id, so that changing the id to a known one is tried too
    both = Keyring({"b": KEY_B, "a": KEY_A}, "a")
    token = both.encrypt(plaintext)
    alphabet = string.ascii_letters + string.digits + "-_=:+/"
    positions = (
        range(len(token))
        if len(token) < 300
        else [*range(100), *range(len(token) - 100, len(token))]
    )
    for i in positions:
        for replacement in alphabet:
            if replacement == token[i]:
                continue
            tampered = token[:i] + replacement + token[i + 1 :]
            with pytest.raises(DecryptionError) as info:
                both.decrypt(tampered)
            if plaintext:
                assert plaintext not in str(info.value)
    for tampered in (
        token[:-1],
        token + "A",
        token + "=",
        token[:-4],
        "",
        "v1:a:",
        token.replace(":", ";"),
    ):
        with pytest.raises(DecryptionError):
            both.decrypt(tampered)


def test_the_key_id_is_authenticated() -> None:
    """The same key under two ids: moving a value to the other id is still detected."""
    ring = Keyring({"a": KEY_A, "a2": KEY_A}, "a")
    token = ring.encrypt("text")
    with pytest.raises(DecryptionError):
        ring.decrypt(token.replace("v1:a:", "v1:a2:"))


def test_a_wrong_aad_fails(ring: Keyring) -> None:
    token = ring.encrypt("text", aad=b"note:1")
    with pytest.raises(DecryptionError):
        ring.decrypt(token, aad=b"note:2")
    with pytest.raises(DecryptionError):
        ring.decrypt(token)
    with pytest.raises(DecryptionError):
        ring.decrypt(ring.encrypt("text"), aad=b"note:1")


def test_a_wrong_key_fails() -> None:
    token = Keyring({"a": KEY_A}, "a").encrypt("text")
    with pytest.raises(DecryptionError):
        Keyring({"a": KEY_B}, "a").decrypt(token)


def test_production_refuses_to_run_without_data_keys() -> None:
    for empty in (None, "", "  "):
        with pytest.raises(ValueError, match="production"):
            keyring_from("a" * 40, empty, "production")


@pytest.mark.parametrize("env", ["development", "test"])
def test_the_dev_key_is_derived_from_the_secret(env: str) -> None:
    one = keyring_from("secret one", None, env)
    assert one.current_id == "dev"
    token = one.encrypt("text")
    assert token.startswith("v1:dev:")
    assert keyring_from("secret one", "", env).decrypt(token) == "text"  # stable
    with pytest.raises(DecryptionError):
        keyring_from("secret two", None, env).decrypt(token)  # another secret, another key
    assert crypto.derive_dev_key("secret one") == crypto.derive_dev_key("secret one")
    assert crypto.derive_dev_key("secret one") != crypto.derive_dev_key("secret two")
    assert len(crypto.derive_dev_key("secret one")) == 32


def test_configured_data_keys_are_used_in_development_too() -> None:
    ring = keyring_from("secret", f"k1:{b64(KEY_A)}", "development")
    assert ring.current_id == "k1"
    assert Keyring({"k1": KEY_A}, "k1").decrypt(ring.encrypt("x")) == "x"


def test_data_keys_accept_urlsafe_and_unpadded_base64() -> None:
    key = bytes([0xFB, 0xFF] * 16)  # encodes with + and / in the standard alphabet
    token = Keyring({"k": key}, "k").encrypt("x")
    urlsafe = base64.urlsafe_b64encode(key).decode().rstrip("=")
    assert keyring_from("s", f"k:{urlsafe}", "production").decrypt(token) == "x"
    assert keyring_from("s", f"k:{b64(key)}", "production").decrypt(token) == "x"


@pytest.mark.parametrize(
    "data_keys",
    [
        "nokey",
        "a:",
        ":" + b64(KEY_A),
        "a:not base64!",
        "a:" + b64(b"short"),
        "a:" + b64(KEY_A) + ",a:" + b64(KEY_B),
        "bad id:" + b64(KEY_A),
        "a:" + b64(KEY_A) + ",",
    ],
)
def test_malformed_data_keys_are_refused(data_keys: str) -> None:
    with pytest.raises(ValueError) as info:
        keyring_from("secret", data_keys, "production")
    assert b64(KEY_A) not in str(info.value)


def test_keyring_checks_its_keys() -> None:
    with pytest.raises(ValueError):
        Keyring({"a": b"short"}, "a")
    with pytest.raises(ValueError):
        Keyring({"a": KEY_A}, "b")
    with pytest.raises(ValueError):
        Keyring({"a:b": KEY_A}, "a:b")
    assert KEY_A.hex() not in repr(Keyring({"a": KEY_A}, "a"))


def test_generate_key() -> None:
    key = generate_key()
    assert len(base64.b64decode(key, validate=True)) == 32
    assert generate_key() != key
    ring = keyring_from("s", f"new:{key}", "production")
    assert ring.decrypt(ring.encrypt("x")) == "x"


def test_current_keyring_must_be_configured(monkeypatch: pytest.MonkeyPatch, ring: Keyring) -> None:
    monkeypatch.setattr(crypto, "_keyring", None)
    with pytest.raises(RuntimeError, match="configure"):
        current_keyring()
    configure(ring)
    assert current_keyring() is ring


def test_encrypted_text_column(configured: Keyring) -> None:
    engine = create_engine("sqlite://")
    metadata = MetaData()
    notes = Table(
        "notes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("summary", EncryptedText, nullable=True),
    )
    metadata.create_all(engine)
    values = {1: "来电者说最近睡不着。", 2: "", 3: None, 4: "long " * 5000}
    with engine.begin() as conn:
        conn.execute(insert(notes), [{"id": k, "summary": v} for k, v in values.items()])

    with engine.connect() as conn:
        raw: dict[int, str | None] = dict(conn.execute(text("select id, summary from notes")).all())
        loaded = dict(conn.execute(select(notes.c.id, notes.c.summary)).all())
    assert loaded == values
    assert raw[3] is None
    for key, plaintext in values.items():
        if plaintext is None:
            continue
        stored = raw[key]
        assert isinstance(stored, str)
        assert stored.startswith("v1:a:")
        if len(plaintext) > 4:
            assert plaintext not in stored
            assert "睡不着" not in stored
        assert configured.decrypt(stored) == plaintext

    # after a rotation the old rows are still read, and new rows use the new key
    configure(configured.with_key("b", KEY_B))
    with engine.begin() as conn:
        conn.execute(insert(notes).values(id=5, summary="after rotation"))
    with engine.connect() as conn:
        raw5 = conn.execute(text("select summary from notes where id = 5")).scalar_one()
        loaded = dict(conn.execute(select(notes.c.id, notes.c.summary)).all())
    assert raw5.startswith("v1:b:")
    assert loaded == {**values, 5: "after rotation"}

    # a tampered row fails loudly instead of returning garbage
    with engine.begin() as conn:
        conn.execute(text("update notes set summary = 'v1:a:AAAA' where id = 1"))
    with engine.connect() as conn, pytest.raises(DecryptionError):
        conn.execute(select(notes.c.summary).where(notes.c.id == 1)).all()
