"""Keyed hashes of the people who reach the line: a phone number by its digits (however it is
written), a web chat's conversation key or a WeChat OpenID whole, each kept apart from numbers,
so two people are never one because their keys share digits."""

from __future__ import annotations

from agent_console.webchat.ws import sender_hash as webchat_sender
from hotline.privacy import caller_hash, sender_hash, withheld_hashes
from hotline.wechat.service import sender_hash as wechat_sender

SECRET = "test-secret-key-that-is-long-enough-000"


def test_a_number_is_hashed_by_its_digits_however_it_is_written() -> None:
    assert caller_hash(SECRET, "+86 138-1234-5678") == caller_hash(SECRET, "+8613812345678")


def test_senders_with_no_number_are_told_apart_by_their_whole_key() -> None:
    # The same digits, or none at all: once hashed as numbers, each pair was one person.
    for first, second in (("oAbc_0001", "oXyz_0001"), ("abc-DEF", "ghi_JKL")):
        assert wechat_sender(secret=SECRET, open_id=first) != wechat_sender(
            secret=SECRET, open_id=second
        )
        assert webchat_sender(SECRET, first) != webchat_sender(SECRET, second)
    # A key with no digits is not a withheld caller, and no key is a number.
    withheld = withheld_hashes(SECRET)
    assert webchat_sender(SECRET, "abc-DEF") not in withheld
    assert wechat_sender(secret=SECRET, open_id="8613812345678") != caller_hash(
        SECRET, "+8613812345678"
    )
    # The kind keeps a web chat key and an OpenID that are spelled alike apart.
    assert sender_hash(SECRET, "webchat", "same") != sender_hash(SECRET, "wechat", "same")
    # The same key is the same person (a resumed conversation, a follower writing again).
    assert webchat_sender(SECRET, "abc-DEF") == webchat_sender(SECRET, "abc-DEF")
