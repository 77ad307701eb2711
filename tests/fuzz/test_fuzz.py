"""Malformed input everywhere: Schemathesis fuzzes every operation of the app's OpenAPI, and
Hypothesis fuzzes every Twilio webhook. Nothing may answer 5xx, and a rejected request (4xx)
must write nothing: the row count of every table is the same before and after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, literal, select, union_all

import hotline.models  # noqa: F401 - every table, for the row counts
from hotline.auth.models import Role
from hotline.db import metadata
from hotline.simulator.console_client import csrf_from
from tests.calls import connected_call
from tests.factories import PASSWORD, make_line, make_rota, make_user
from tests.stack import Stack

EXAMPLES_PER_OPERATION = 12
WEBHOOK_EXAMPLES = 40
# Signing in and out change the session itself; they have tests of their own.
SESSION_ROUTES = {("POST", "/login"), ("POST", "/logout")}
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def row_counts(stack: Stack) -> dict[str, int]:
    """Every table's row count, in one query."""
    counts = [
        select(literal(table.name).label("name"), func.count().label("n")).select_from(table)
        for table in metadata.sorted_tables
    ]
    with stack.db.engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(union_all(*counts))}


def seed(stack: Stack) -> None:
    """Something behind most ids: lines, people of every role, a live call with an escalation."""
    make_line(stack.db)
    crisis = make_user(stack.db, "zhao", role=Role.crisis, endpoint="+8613900004444")
    make_rota(stack.db, "crisis", [crisis])
    make_user(stack.db, "wang", role=Role.supervisor)
    make_user(stack.db, "root", role=Role.admin)
    call_id, _ = connected_call(stack, "CA" + "5" * 32, "alice")
    # Over plain HTTP: a console socket left open would write (its snapshot's audited case
    # view) while a later request is being checked.
    alice, csrf = signed_in(stack, "alice")
    escalated = alice.post(
        f"{stack.url}/api/calls/{call_id}/escalate",
        json={"reason": "fuzz"},
        headers=csrf,
        timeout=10,
    )
    assert escalated.status_code == 200, escalated.text


def signed_in(stack: Stack, username: str | None) -> tuple[requests.Session, dict[str, str]]:
    """A requests session (what Schemathesis calls with) and the CSRF header for it."""
    session = requests.Session()
    if username is None:
        return session, {}
    page = session.get(stack.url + "/login", timeout=10)
    response = session.post(
        stack.url + "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303, response.text
    token = csrf_from(session.get(stack.url + "/console", timeout=10).text)
    return session, {"X-CSRF-Token": token}


def check_case(stack: Stack, call: Callable[[], Any], label: str, *, audited: bool = False) -> None:
    before = row_counts(stack)
    response = call()
    assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:300]}"
    if 400 <= response.status_code < 500:
        after = row_counts(stack)
        if audited:  # a refused sign-in is itself recorded, by design
            before.pop("audit_log"), after.pop("audit_log")
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        assert not changed, f"{label} answered {response.status_code} yet wrote rows: {changed}"


def fuzz_operation(
    stack: Stack, operation: Any, session: requests.Session, csrf: dict[str, str], label: str
) -> None:
    @FUZZ_SETTINGS
    @given(case=operation.as_strategy())
    def fuzz(case: Any) -> None:
        check_case(
            stack,
            lambda: case.call(
                base_url=stack.url,
                session=session,
                headers=csrf,
                timeout=10,
                allow_redirects=False,
            ),
            label,
            audited=case.path == "/login",
        )

    fuzz()


@pytest.mark.timeout(1200)
def test_every_api_operation_survives_malformed_input(quiet_app: Stack) -> None:
    app_only = quiet_app
    seed(app_only)
    document = httpx.get(app_only.url + "/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10, "the schema lists too few operations to prove anything"
    for username in (None, "alice", "wang", "root"):
        session, csrf = signed_in(app_only, username)
        for operation in operations:
            key = (operation.method.upper(), operation.path)
            if username is not None and key in SESSION_ROUTES:
                continue
            label = f"{username or 'anonymous'} {key[0]} {key[1]}"
            fuzz_operation(app_only, operation, session, csrf, label)


FIELDS = [
    "AccountSid",
    "CallSid",
    "From",
    "To",
    "CallStatus",
    "Direction",
    "Digits",
    "SpeechResult",
    "StatusCallbackEvent",
    "ConferenceSid",
    "FriendlyName",
    "ParticipantLabel",
    "SequenceNumber",
    "Body",
    "MessageSid",
    "RecordingUrl",
    "RecordingSid",
    "RecordingDuration",
    "Timestamp",
]
text_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "CA" + "5" * 32, "+8657796525", "+8613812345678", "1", "9", "-1"]),
    st.sampled_from(["participant-join", "participant-leave", "conference-end", "completed"]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=2000),
)
forms = st.dictionaries(st.sampled_from(FIELDS), text_values, max_size=8)
queries = st.dictionaries(
    st.sampled_from(["call_id", "user_id", "page_id", "lang", "line_id", "attempt"]),
    st.one_of(st.integers(-(2**70), 2**70).map(str), st.text(max_size=12)),
    max_size=3,
)


def webhook_paths(stack: Stack) -> list[str]:
    paths = sorted(p for p in stack.app.openapi()["paths"] if p.startswith("/twilio/"))
    assert len(paths) >= 8, paths
    return paths


def fuzz_webhook(stack: Stack, client: httpx.Client, path: str) -> None:
    @settings(
        max_examples=WEBHOOK_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(form=forms, query=queries, forged=st.booleans())
    def fuzz(form: dict[str, str], query: dict[str, str], forged: bool) -> None:
        target = path + ("?" + str(httpx.QueryParams(query)) if query else "")
        signature = "forged" + stack.sign(target, form)[6:] if forged else None

        def post() -> httpx.Response:
            signed = stack.sign(target, form) if signature is None else signature
            response = client.post(target, data=form, headers={"X-Twilio-Signature": signed})
            if forged:  # an empty body is not even a form: 400 before the signature
                assert response.status_code == 403 or (not form and response.status_code == 400)
            return response

        check_case(stack, post, f"webhook {path}")

    fuzz()


@pytest.mark.timeout(1200)
def test_every_webhook_survives_malformed_input(quiet_app: Stack) -> None:
    app_only = quiet_app
    seed(app_only)
    with httpx.Client(base_url=app_only.url, timeout=10) as client:
        for path in webhook_paths(app_only):
            fuzz_webhook(app_only, client, path)
