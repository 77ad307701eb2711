"""The fixed choices a note offers, with translatable labels (the taxonomy, the population
groups, the interventions and the referral directory are data in the database instead, because
admins change them)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


CALL_TYPES = {
    "self": N_("Calling about themselves"),
    "third_party": N_("Calling about someone else"),
    "silent": N_("Silent call"),
    "hang_up": N_("Hung up at once"),
    "abusive": N_("Abusive call"),
    "prank": N_("Prank call"),
    "information": N_("Information only"),
    "wrong_number": N_("Wrong number"),
}
COUNSELLING_TYPES = frozenset({"self", "third_party"})

AGE_BANDS = {
    "under_12": N_("Under 12"),
    "12_17": N_("12 to 17"),
    "18_24": N_("18 to 24"),
    "25_34": N_("25 to 34"),
    "35_44": N_("35 to 44"),
    "45_59": N_("45 to 59"),
    "60_plus": N_("60 or older"),
    "unknown": N_("Not known"),
}
GENDERS = {
    "female": N_("Female"),
    "male": N_("Male"),
    "other": N_("Another gender"),
    "unknown": N_("Not known"),
}
PROTECTIVE_FACTOR_LABELS = {
    "supports": N_("Has people who support them"),
    "future_plans": N_("Has plans for the future"),
    "reasons_for_living": N_("Has reasons for living"),
    "ambivalence": N_("Ambivalent about dying"),
    "faith": N_("Faith or beliefs"),
    "responsibility_to_others": N_("Responsibility to others (children, family, pets)"),
    "engaged_in_care": N_("In contact with care services"),
}
LEVEL_LABELS = {
    "none": N_("No suicidal ideation"),
    "low": N_("Low risk"),
    "moderate": N_("Moderate risk"),
    "high": N_("High risk"),
    "imminent": N_("Imminent danger"),
}
REFERRAL_KINDS = {
    "hospital": N_("Hospital"),
    "psychiatric_clinic": N_("Psychiatric clinic"),
    "police": N_("Police (110)"),
    "ambulance": N_("Ambulance (120)"),
    "school_counselor": N_("School counselor"),
    "social_worker": N_("Social worker"),
    "partner_line": N_("Partner hotline"),
    "other": N_("Other service"),
}
FOLLOW_UP_WITHIN = ("24h", "72h", "7d")
