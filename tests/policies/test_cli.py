"""`hotline policies list` and `hotline policies show`, run as the installed command on a fresh
database migrated by `hotline db upgrade`, on both databases."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hotline.auth.models import Role
from hotline.escalation.models import EscalationPolicy
from hotline.lines.models import Line
from tests.factories import make_line, make_rota, make_user
from tests.test_cli_readme import HOTLINE, database, empty_url, environment, hotline

__all__ = ["empty_url"]  # the fixture: a database with no tables at all


def test_policies_list_and_show_on_a_fresh_database(empty_url: str, tmp_path: Path) -> None:
    assert "up to date" in hotline(empty_url, tmp_path, "db", "upgrade").stdout
    assert "no escalation policies" in hotline(empty_url, tmp_path, "policies", "list").stdout
    db = database(empty_url)
    line = make_line(db)
    zhao = make_user(db, "zhao", role=Role.crisis)
    wu = make_user(db, "wu", role=Role.crisis, endpoint="client:wu")
    schedule = make_rota(db, "crisis", [zhao], name="Night crisis")
    with db.session() as session:
        policy = EscalationPolicy(
            name="Night team",
            repeat=2,
            steps=[
                {
                    "targets": [{"kind": "schedule", "id": schedule}],
                    "channels": ["sms", "voice"],
                    "wait_minutes": 3,
                },
                {
                    "targets": [{"kind": "user", "id": wu.id}],
                    "channels": ["sms"],
                    "wait_minutes": 5,
                },
            ],
        )
        session.add(policy)
        session.flush()
        row = session.get(Line, line.id)
        assert row is not None
        row.escalation_policy_id = policy.id
        policy_id = policy.id
    db.engine.dispose()

    listed = hotline(empty_url, tmp_path, "policies", "list").stdout
    assert listed.startswith(f"{policy_id}\tNight team\t2 step(s) x2\tlines: {line.name}\t")
    assert "steps 2 reach nobody now" in listed
    for key in ("Night team", str(policy_id)):
        shown = hotline(empty_url, tmp_path, "policies", "show", key).stdout
        assert f"policy {policy_id}: Night team (runs 2 time(s))" in shown
        assert f"lines: {line.name}" in shown
        assert "step 1: On call in schedule Night crisis by sms, voice, then wait 3 min" in shown
        assert "reaches now: Zhao (sms, voice)" in shown
        assert "step 2: Wu by sms, then wait 5 min\n    reaches now: NOBODY" in shown
        assert "missing: Wu: no phone number, so SMS and voice pages cannot reach them." in shown
    missing = subprocess.run(
        [HOTLINE, "policies", "show", "Day team"],
        cwd=tmp_path,
        env=environment(empty_url),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert missing.returncode == 1 and "no policy 'Day team'" in missing.stderr
