"""What the console's scripts need to know of the domain, from the Python that defines it.

`risk_config()` goes into the page's `#console-config` block as `risk` (read by
`static/risk.js`): the crisis levels with their rank, colour and flashing (hotline/risk/triage.py),
the screener's questions, branching and empty answers, and the order of rescue stages
(hotline/escalation/service.py). The scripts copy none of these by hand.
"""

from __future__ import annotations

from typing import Any

from hotline.escalation.service import RESCUE_NEXT
from hotline.risk.triage import COLOURS, FLASHING, GATES, LEVEL_ORDER, QUESTIONS, Screener


def risk_config() -> dict[str, Any]:
    """The risk rules the console shows, as JSON for the page's configuration block."""
    return {
        "levels": [
            {
                "code": level.value,
                "rank": rank,
                "colour": COLOURS[level],
                "flashing": level in FLASHING,
            }
            for rank, level in enumerate(LEVEL_ORDER)
        ],
        "questions": list(QUESTIONS),
        "gates": dict(GATES),
        "screener": Screener().model_dump(mode="json"),
        "rescue_next": {
            (stage or "none"): [step.value for step in next_steps]
            for stage, next_steps in RESCUE_NEXT.items()
        },
    }
