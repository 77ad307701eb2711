"""`hotline check` warns (amber) about crisis workers whose phone is not verified."""

from __future__ import annotations

from datetime import UTC, datetime

from hotline.auth.models import Role, User
from hotline.config import Settings
from hotline.db import Database
from hotline.readiness import Level, check

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_an_unverified_crisis_phone_is_amber(db: Database, database_url: str) -> None:
    from tests.factories import make_user

    zhao = make_user(db, "zhao", role=Role.crisis)
    make_user(db, "chen")  # a counselor: not paged, not checked
    settings = Settings(
        env="test", database_url=database_url, secret_key="x" * 40, telephony_mode="simulator"
    )

    def codes() -> dict[str, Level]:
        with db.session() as session:
            found = check(session, settings, NOW)
        # The counselors' phones only (not the browser phone's settings: tests/readiness).
        phones = ("phones", "phone_unverified")
        return {f"{f.code}:{f.subject}": f.level for f in found if f.code in phones}

    assert codes() == {"phone_unverified:zhao": Level.amber}
    with db.session() as session:
        user = session.get(User, zhao.id)
        assert user is not None
        user.phone_verified_at = NOW
        session.add(user)
    assert codes() == {"phones:-": Level.green}
