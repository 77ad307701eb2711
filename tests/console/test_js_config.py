"""The console's scripts take the domain's constants from Python (the page's configuration),
never from copies written by hand into the JS."""

from __future__ import annotations

import re
from pathlib import Path

from agent_console.console.config import risk_config
from hotline.escalation.service import RESCUE_NEXT
from hotline.risk.triage import COLOURS, FLASHING, GATES, LEVEL_ORDER, QUESTIONS, Screener

CONSOLE = Path(__file__).resolve().parents[2] / "agent_console"
STATIC_JS = sorted(CONSOLE.glob("**/static/**/*.js"))


def test_risk_config_is_the_python_rules() -> None:
    config = risk_config()
    assert [level["code"] for level in config["levels"]] == [level.value for level in LEVEL_ORDER]
    assert [level["rank"] for level in config["levels"]] == list(range(len(LEVEL_ORDER)))
    assert {level["code"]: level["colour"] for level in config["levels"]} == {
        level.value: colour for level, colour in COLOURS.items()
    }
    assert {level["code"] for level in config["levels"] if level["flashing"]} == {
        level.value for level in FLASHING
    }
    assert config["questions"] == list(QUESTIONS)
    assert config["gates"] == GATES
    assert config["screener"] == Screener().model_dump(mode="json")
    assert config["rescue_next"]["none"] == [stage.value for stage in RESCUE_NEXT[None]]


def test_scripts_copy_no_risk_constants() -> None:
    """Colours and screener question codes appear in no script: they come from the config."""
    assert STATIC_JS, "no scripts found"
    copied = re.compile(r'"(yellow|orange|q1_wish_dead|q3_method|q6_within_3_months|dispatched)"')
    offenders = [str(path) for path in STATIC_JS if copied.search(path.read_text("utf-8"))]
    assert offenders == []


def test_scripts_are_modules_loaded_by_the_templates() -> None:
    """No classic scripts: each template loads its entry module with type="module"."""
    templates = "\n".join(path.read_text("utf-8") for path in CONSOLE.glob("**/templates/*.html"))
    tags = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", templates)
    assert tags, "no script tags found"
    assert all('type="module"' in tag for tag in tags), tags
