"""The policy editor offers the push channel; who a push step reaches is who allowed a device."""

from __future__ import annotations

from hotline.auth.models import Role, User
from hotline.push import service as push
from tests.factories import make_line, make_rota, make_user
from tests.policies.helpers import admin, form, policies
from tests.stack import Stack

P256DH = "B" + "A" * 86  # 65 bytes, base64url
AUTH = "A" * 22  # 16 bytes


def _allow_device(stack: Stack, user: User) -> None:
    with stack.db.session() as session:
        push.subscribe(
            session=session,
            user=user,
            endpoint="https://push.example.org/device-1",
            p256dh=P256DH,
            auth=AUTH,
            label="Phone",
            now=stack.clock.now(),
        )


def test_a_push_step_is_offered_and_reaches_only_people_with_a_device(app_only: Stack) -> None:
    make_line(app_only.db)
    zhao = make_user(app_only.db, "zhao", role=Role.crisis)
    schedule = make_rota(app_only.db, "crisis", [zhao], name="Night crisis")
    http, token = admin(app_only)
    new = http.get("/admin/policies/new?lang=en").text
    assert 'data-testid="step-0-channel-push"' in new and "Push notification" in new

    push_only = [([f"schedule:{schedule}"], ["push"], "3")]
    refused = http.post("/admin/policies?lang=en", data=form(token, "Push team", push_only))
    assert refused.status_code == 409  # it would page nobody: refused, with who is missing
    assert "Zhao: no device allows notifications, so push pages cannot reach them." in (
        refused.text
    )
    assert policies(app_only) == []

    _allow_device(app_only, zhao)
    made = http.post("/admin/policies", data=form(token, "Push team", push_only))
    assert made.status_code == 303, made.text[:800]
    (policy,) = policies(app_only)
    assert policy.steps[0]["channels"] == ["push"]
    assert "Zhao (Push notification)" in http.get("/admin/policies?lang=en").text
