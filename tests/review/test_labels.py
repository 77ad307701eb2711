"""Every escalation status and outcome the service can store has a label on the supervisors'
pages (a missing one would show a raw code)."""

from __future__ import annotations

from hotline.escalation.models import EscalationStatus
from hotline.escalation.service import OUTCOMES
from hotline.i18n import gettext_for
from hotline.review import labels


def test_every_status_and_outcome_has_a_label_in_both_languages() -> None:
    for locale in ("zh_CN", "en"):
        _ = gettext_for(locale)
        assert set(labels.escalation_statuses(_)) == {s.value for s in EscalationStatus}
        assert set(labels.outcomes(_)) == set(OUTCOMES)
    assert labels.escalation_statuses(gettext_for("zh_CN"))["took_over"] == "危机干预人员已接手"
