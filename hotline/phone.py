"""Phone numbers in one form, E.164 (+8613812345678), wherever a number enters: webhooks, forms,
APIs and the CLI. A number stored or hashed in any other form would not match the same number
typed differently (a subject-access search, an SMS reply from a responder's phone).

A number already in E.164 is returned unchanged, never re-validated: the caller hashes of stored
calls were computed from what Twilio sent (E.164), and test and placeholder numbers Twilio uses
must still match. Anything else is parsed with `phonenumbers` in the default region.
"""

from __future__ import annotations

import re

import phonenumbers

_E164 = re.compile(r"\+[1-9]\d{1,14}")
_SEPARATORS = re.compile(r"[\s().\-]")
_region: str | None = None


def configure(region: str) -> None:
    """Set the region that numbers without a country code belong to (from the settings)."""
    global _region
    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown region {region!r} (an ISO 3166 code such as CN)")
    _region = region.upper()


def default_region() -> str:
    if _region is not None:
        return _region
    from hotline.config import get_settings  # the CLI: no app configured it

    return get_settings().default_region.upper()


def to_e164(raw: str, region: str | None = None) -> str | None:
    """`raw` as E.164, or None when it is no phone number."""
    compact = _SEPARATORS.sub("", raw.strip())
    if _E164.fullmatch(compact):
        return compact
    try:
        parsed = phonenumbers.parse(compact, region or default_region())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_or_error(raw: str) -> str:
    """For validators: E.164, or ValueError."""
    number = to_e164(raw)
    if number is None:
        raise ValueError("not a phone number")
    return number


def caller_id(raw: str) -> str:
    """A webhook's From/To: E.164 when it reads as a number, else as sent (never refuse a
    caller over the form of their caller ID; withheld ones are told apart by hotline.privacy)."""
    return to_e164(raw) or raw
