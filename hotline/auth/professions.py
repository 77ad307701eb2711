"""The names of the professions and kinds of employment the national report counts staff by."""

from __future__ import annotations

from hotline.auth.models import Employment, Profession
from hotline.i18n import N_

PROFESSION_LABELS = {
    Profession.psychiatrist.value: N_("Psychiatrist"),
    Profession.nurse.value: N_("Psychiatric nurse"),
    Profession.psychotherapist.value: N_("Psychotherapist"),
    Profession.counselor.value: N_("Psychological counselor"),
    Profession.social_worker.value: N_("Social worker"),
    Profession.volunteer.value: N_("Volunteer"),
    Profession.other.value: N_("Other profession"),
}
EMPLOYMENT_LABELS = {
    Employment.full_time.value: N_("Full-time"),
    Employment.part_time.value: N_("Part-time"),
}
