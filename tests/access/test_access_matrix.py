"""The access matrix: every route of the app, with every role and anonymously, against what
each may do (docs/domain.md section 8). A route missing from ALLOWED fails the test: a new route
must be classified here before it ships.

"Allowed" means the answer is neither 401/403 nor a redirect to the sign-in page (it may be
200, 404, 409 or 422: access was granted, the request itself then succeeded or not). "Refused"
means exactly that: 401, 403 or the redirect to /login.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from sqlmodel import select

from hotline.auth.models import Role
from hotline.calls.models import Call
from hotline.cases.models import Case
from hotline.escalation.models import EscalationPolicy
from hotline.followups.models import FollowUp
from hotline.review.models import CallRecording
from hotline.rota import service as rota
from hotline.rota.models import Rotation
from hotline.rota.schemas import OverrideCreate, SwapCreate
from hotline.simulator.console_client import csrf_from
from hotline.stats import archive
from hotline.voicemail.models import Voicemail
from tests.access.routes import flatten
from tests.calls import connected_call
from tests.factories import PASSWORD, make_line, make_rota, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack

IDENTITIES = ["anonymous", "alice", "bob", "zhao", "li", "wang", "root"]
# alice: the counselor of the seeded call; bob: another counselor; zhao: crisis worker on call,
# paged for the seeded escalation, who asked li (crisis) to swap a shift; wang: supervisor on
# duty; root: admin.
EVERYONE = set(IDENTITIES)
SIGNED_IN = EVERYONE - {"anonymous"}
NOBODY: set[str] = set()
SUPERVISING = {"wang", "root"}
ADMIN = {"root"}
RESPONDERS = {"zhao", "li", "wang", "root"}
CREW = {"zhao", "li", "wang"}  # the rota's swap rules: crisis workers and supervisors
CALL_AND_SUPERVISING = {"alice", "wang", "root"}
PHONE_USERS = {"alice", "bob", "zhao", "li", "wang"}
# A case: the counselor of a live contact with that caller (alice), the crisis team and
# supervisors; bob, a counselor not on a call with that caller, is refused.
CASE_READERS = RESPONDERS | {"alice"}
NOT_FOUND_FOR_ALL = 404  # the route's key is a signed token in the URL, not the session
TWILIO_WEBHOOKS = [
    "/twilio/voice/incoming",
    "/twilio/voice/gather",
    "/twilio/voice/hold",
    "/twilio/voice/after",
    "/twilio/voice/not-in-service",
    "/twilio/voice/overflow",
    "/twilio/voice/voicemail",
    "/twilio/voice/status",
    "/twilio/conference/status",
    "/twilio/participant/status",
    "/twilio/recording/status",
    "/twilio/page/voice",
    "/twilio/page/keypress",
    "/twilio/page/join",
    "/twilio/page/status",
    "/twilio/sms/incoming",
    "/twilio/sms/status",
    "/twilio/monitor/status",
    "/twilio/voice/callback",
    "/twilio/party/status",
    "/twilio/transfer/status",
    "/twilio/dialback/answer",
    "/twilio/dialback/status",
]
DOCS = ["/openapi.json", "/docs", "/redoc", "/static/api-docs/swagger-start.js"]

ALLOWED: dict[tuple[str, str], set[str] | int] = {
    # Public: sign-in, health, the API description (not served in production).
    ("GET", "/login"): EVERYONE,
    ("POST", "/login"): EVERYONE,
    ("POST", "/login/totp"): EVERYONE,
    ("GET", "/login/totp"): NOBODY,  # only with a password step pending
    ("POST", "/logout"): EVERYONE,
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,  # whether the database answers, for a load balancer
    **{(method, path): EVERYONE for path in DOCS for method in ("GET", "HEAD")},
    # Twilio's webhooks: a valid signature or nothing, whoever asks.
    **{("POST", path): NOBODY for path in TWILIO_WEBHOOKS},
    # The WeChat official account's server URL: the account token's signature or nothing.
    ("GET", "/wechat/{line_id}"): NOBODY,
    ("POST", "/wechat/{line_id}"): NOBODY,
    # The web chat page a person in distress opens: no account (its websocket is not a route
    # this matrix walks; tests/conversations/test_webchat.py covers it).
    ("GET", "/chat/{line_id}"): EVERYONE,
    # Anyone signed in.
    ("GET", "/"): SIGNED_IN,
    ("GET", "/console"): SIGNED_IN,
    ("GET", "/console/feedback"): SIGNED_IN,  # each sees feedback on their own calls only
    ("GET", "/account/recovery-codes"): SIGNED_IN,  # one's own second-factor recovery codes
    ("POST", "/account/recovery-codes"): SIGNED_IN,
    ("GET", "/api/notes/options"): SIGNED_IN,
    ("GET", "/api/notes/unfinished"): SIGNED_IN,  # each sees only their own notes to write
    ("GET", "/rota"): SIGNED_IN,
    ("GET", "/rota/{schedule_id}"): SIGNED_IN,
    ("GET", "/api/rota/schedules"): SIGNED_IN,
    ("GET", "/api/rota/schedules/{schedule_id}"): SIGNED_IN,
    ("GET", "/api/rota/schedules/{schedule_id}/oncall"): SIGNED_IN,
    ("GET", "/api/rota/schedules/{schedule_id}/shifts"): SIGNED_IN,
    ("GET", "/api/rota/schedules/{schedule_id}/overrides"): SIGNED_IN,
    ("GET", "/api/rota/swaps"): SIGNED_IN,
    ("GET", "/rota/ical/{user_id}.ics"): NOT_FOUND_FOR_ALL,
    # A line's uploaded prompt, fetched by Twilio without a session: the token is the key.
    ("GET", "/twilio/prompts/{token}"): NOT_FOUND_FOR_ALL,
    # A call: its own counselor, and supervisors.
    ("GET", "/api/calls/{call_id}/note"): CALL_AND_SUPERVISING,
    ("PUT", "/api/calls/{call_id}/note"): {"alice"},
    ("POST", "/api/calls/{call_id}/note/submit"): {"alice"},
    ("POST", "/api/calls/{call_id}/note/addenda"): CALL_AND_SUPERVISING,
    ("GET", "/api/calls/{call_id}/history"): CALL_AND_SUPERVISING,
    ("POST", "/api/calls/{call_id}/escalate"): CALL_AND_SUPERVISING,
    # Control of the live call: its counselor only (a supervisor monitors from the board).
    ("POST", "/api/calls/{call_id}/mute"): {"alice"},
    ("POST", "/api/calls/{call_id}/hold"): {"alice"},
    ("POST", "/api/calls/{call_id}/parties"): {"alice"},
    ("DELETE", "/api/calls/{call_id}/parties/{party_id}"): {"alice"},
    ("GET", "/api/calls/{call_id}/colleagues"): {"alice"},
    ("POST", "/api/calls/{call_id}/transfers"): {"alice"},
    # A transfer: its counselor completes or returns it, the colleague asked accepts or declines
    # it; no transfer is seeded, so every signed-in person hears 404 here (who may act on a real
    # one: tests/callcontrol/test_transfer.py).
    ("POST", "/api/transfers/{transfer_id}/complete"): SIGNED_IN,
    ("POST", "/api/transfers/{transfer_id}/return"): SIGNED_IN,
    ("POST", "/api/transfers/{transfer_id}/accept"): SIGNED_IN,
    ("POST", "/api/transfers/{transfer_id}/decline"): SIGNED_IN,
    # Follow-ups: everyone who takes calls works those of their lines (here every line; another
    # line's counselor is refused in tests/followups), claimed ones only by the assignee (409
    # for the others); supervisors see every line, take over and cancel.
    ("GET", "/console/followups"): SIGNED_IN,
    ("GET", "/console/followups/{follow_up_id}"): SIGNED_IN,
    ("POST", "/console/followups/{follow_up_id}/claim"): SIGNED_IN,
    ("POST", "/console/followups/{follow_up_id}/release"): SIGNED_IN,
    ("POST", "/console/followups/{follow_up_id}/attempts"): SIGNED_IN,
    ("POST", "/console/followups/{follow_up_id}/cancel"): SUPERVISING,
    # A follow-up's referrals: whoever may see the follow-up (the line's people, supervisors).
    ("POST", "/console/followups/{follow_up_id}/referrals/{referral_id}/status"): SIGNED_IN,
    ("POST", "/console/followups/{follow_up_id}/referrals/{referral_id}/green-channel"): SIGNED_IN,
    ("POST", "/console/followups/{follow_up_id}/referrals/{referral_id}/confirm"): SIGNED_IN,
    ("GET", "/api/followups"): SIGNED_IN,
    ("GET", "/api/followups/{follow_up_id}"): SIGNED_IN,
    ("POST", "/api/followups/{follow_up_id}/claim"): SIGNED_IN,
    ("POST", "/api/followups/{follow_up_id}/release"): SIGNED_IN,
    ("POST", "/api/followups/{follow_up_id}/attempts"): SIGNED_IN,
    ("POST", "/api/followups/{follow_up_id}/cancel"): SUPERVISING,
    # Calling back as the line: a follow-up by anyone of its line (409 while another holds it
    # or they are on a call); a voicemail's callback request by anyone of its line (409: the
    # seeded one is a message); an escalation's caller by whoever acknowledged it (zhao) or a
    # supervisor; its state for whoever asked (404 here: none).
    ("POST", "/api/dialbacks/followups/{follow_up_id}"): SIGNED_IN,
    ("POST", "/api/dialbacks/voicemails/{voicemail_id}"): SIGNED_IN,
    ("POST", "/api/dialbacks/escalations/{escalation_id}"): {"zhao", "wang"},
    ("GET", "/api/dialbacks/{dial_back_id}"): SIGNED_IN,
    # A conversation moving to voice: only its counselor (the seeded call is a voice call, so
    # everyone signed in hears 404; tests/dialback/test_conversation_to_voice.py: the 403).
    ("POST", "/api/dialbacks/conversations/{call_id}"): SIGNED_IN,
    ("POST", "/api/dialbacks/conversations/{call_id}/offer"): SIGNED_IN,
    # Escalations: the crisis team and supervisors; the rescue also the call's counselor.
    ("GET", "/api/escalations/{escalation_id}"): RESPONDERS,
    ("POST", "/api/escalations/{escalation_id}/{action}"): RESPONDERS,
    # (and the responder who acknowledged: zhao has not yet when the walk gets here)
    ("POST", "/api/escalations/{escalation_id}/rescue"): CALL_AND_SUPERVISING,
    # Reveal for rescue: supervisors and the crisis worker who acknowledged (zhao, whose "ack"
    # above came first); not the counselor, another crisis worker, nor an admin as such.
    ("POST", "/api/escalations/{escalation_id}/number/reveal"): {"zhao", "wang"},
    # The rota: admins define it, supervisors override it, the crew swaps shifts.
    ("POST", "/api/rota/schedules"): ADMIN,
    ("PATCH", "/api/rota/schedules/{schedule_id}"): ADMIN,
    ("DELETE", "/api/rota/schedules/{schedule_id}"): ADMIN,
    ("POST", "/api/rota/schedules/{schedule_id}/rotations"): ADMIN,
    ("PATCH", "/api/rota/rotations/{rotation_id}"): ADMIN,
    ("DELETE", "/api/rota/rotations/{rotation_id}"): ADMIN,
    ("POST", "/api/rota/schedules/{schedule_id}/overrides"): SUPERVISING,
    ("DELETE", "/api/rota/overrides/{override_id}"): SUPERVISING,
    ("POST", "/rota/{schedule_id}/overrides"): SUPERVISING,
    ("POST", "/rota/overrides/{override_id}/cancel"): SUPERVISING,
    ("POST", "/api/rota/swaps"): CREW,
    ("POST", "/rota/{schedule_id}/swaps"): CREW,
    ("POST", "/api/rota/swaps/{swap_id}/answer"): {"li"},
    ("POST", "/rota/swaps/{swap_id}/{action}"): {"li"},
    ("POST", "/api/rota/swaps/{swap_id}/cancel"): {"zhao"},
    # Anyone revokes their own calendar feed link; an admin anyone's.
    ("POST", "/rota/{schedule_id}/feed/renew"): SIGNED_IN,
    ("POST", "/api/rota/feeds/{user_id}/renew"): ADMIN,
    # Editing schedules and rotations on pages: admins, as the JSON API.
    ("GET", "/rota/schedules/new"): ADMIN,
    ("POST", "/rota/schedules/new"): ADMIN,
    ("GET", "/rota/{schedule_id}/edit"): ADMIN,
    ("POST", "/rota/{schedule_id}/edit"): ADMIN,
    ("GET", "/rota/{schedule_id}/delete"): ADMIN,
    ("POST", "/rota/{schedule_id}/delete"): ADMIN,
    ("GET", "/rota/{schedule_id}/rotations/new"): ADMIN,
    ("POST", "/rota/{schedule_id}/rotations"): ADMIN,
    ("GET", "/rota/rotations/{rotation_id}"): ADMIN,
    ("POST", "/rota/rotations/{rotation_id}"): ADMIN,
    ("POST", "/rota/rotations/{rotation_id}/move"): ADMIN,
    ("GET", "/rota/rotations/{rotation_id}/delete"): ADMIN,
    ("POST", "/rota/rotations/{rotation_id}/delete"): ADMIN,
    # Supervisors' pages and exports.
    ("GET", "/supervisor/shifts"): SUPERVISING,
    ("GET", "/supervisor/shifts.csv"): SUPERVISING,
    ("GET", "/supervisor/escalations"): SUPERVISING,
    ("GET", "/supervisor/escalations.csv"): SUPERVISING,
    ("GET", "/supervisor/escalations/{escalation_id}"): SUPERVISING,
    ("POST", "/supervisor/escalations/{escalation_id}/reveal"): {"wang"},
    ("POST", "/supervisor/escalations/{escalation_id}/rescue"): SUPERVISING,
    ("GET", "/supervisor/followups"): SUPERVISING,
    ("GET", "/supervisor/followups.csv"): SUPERVISING,
    ("GET", "/supervisor/voicemails"): SUPERVISING,
    ("GET", "/supervisor/voicemails/{voicemail_id}/audio"): SUPERVISING,
    ("POST", "/supervisor/voicemails/{voicemail_id}/handle"): SUPERVISING,
    ("GET", "/supervisor/calls"): SUPERVISING,
    ("GET", "/supervisor/calls.csv"): SUPERVISING,
    ("GET", "/supervisor/calls/{call_id}"): SUPERVISING,
    ("POST", "/supervisor/calls/{call_id}/review"): SUPERVISING,
    ("POST", "/supervisor/calls/{call_id}/referrals/{referral_id}/status"): SUPERVISING,
    ("GET", "/supervisor/calls/{call_id}/recordings/{recording_id}"): SUPERVISING,
    ("GET", "/supervisor/board"): SUPERVISING,
    ("GET", "/supervisor/stats"): SUPERVISING,
    ("GET", "/supervisor/stats/report.xlsx"): SUPERVISING,
    ("GET", "/supervisor/stats/report.csv"): SUPERVISING,
    ("GET", "/supervisor/reports"): SUPERVISING,
    ("POST", "/supervisor/reports"): SUPERVISING,
    ("GET", "/supervisor/reports/{report_id}.{fmt}"): SUPERVISING,
    ("GET", "/api/stats/overview"): SUPERVISING,
    ("GET", "/api/stats/calls"): SUPERVISING,
    ("GET", "/api/stats/counts/{dimension}"): SUPERVISING,
    ("GET", "/api/stats/escalations"): SUPERVISING,
    ("GET", "/api/blocklist"): SUPERVISING,
    ("POST", "/api/blocklist"): SUPERVISING,
    ("DELETE", "/api/blocklist/{entry_id}"): SUPERVISING,
    # Admins only.
    ("GET", "/api/admin/categories"): ADMIN,
    ("POST", "/api/admin/categories"): ADMIN,
    ("PUT", "/api/admin/categories/{category_id}"): ADMIN,
    ("GET", "/api/admin/referrals"): ADMIN,
    ("POST", "/api/admin/referrals"): ADMIN,
    ("PUT", "/api/admin/referrals/{resource_id}"): ADMIN,
    ("GET", "/api/admin/retention"): ADMIN,
    ("PUT", "/api/admin/lines/{line_id}/retention"): ADMIN,
    ("GET", "/api/admin/legal-holds"): ADMIN,
    ("POST", "/api/admin/calls/{call_id}/legal-hold"): ADMIN,
    ("DELETE", "/api/admin/calls/{call_id}/legal-hold"): ADMIN,
    ("POST", "/api/admin/subject-access"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("GET", "/admin/users/new"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("GET", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}/password"): ADMIN,
    ("POST", "/admin/users/{user_id}/totp"): ADMIN,
    ("POST", "/admin/users/{user_id}/sign-out"): ADMIN,
    ("POST", "/admin/users/{user_id}/staff-record"): ADMIN,
    ("POST", "/admin/users/{user_id}/disable"): ADMIN,
    ("POST", "/admin/users/{user_id}/enable"): ADMIN,
    ("GET", "/admin/resources"): ADMIN,
    ("GET", "/admin/resources/new"): ADMIN,
    ("POST", "/admin/resources"): ADMIN,
    ("GET", "/admin/resources/{resource_id}"): ADMIN,
    ("POST", "/admin/resources/{resource_id}"): ADMIN,
    ("POST", "/admin/resources/{resource_id}/{action}"): ADMIN,
    ("GET", "/admin/taxonomy"): ADMIN,
    ("GET", "/admin/taxonomy/new"): ADMIN,
    ("POST", "/admin/taxonomy"): ADMIN,
    ("GET", "/admin/taxonomy/{category_id}"): ADMIN,
    ("POST", "/admin/taxonomy/{category_id}"): ADMIN,
    ("POST", "/admin/taxonomy/{category_id}/{action}"): ADMIN,
    ("GET", "/admin/note-choices/{kind}/new"): ADMIN,
    ("POST", "/admin/note-choices/{kind}"): ADMIN,
    ("GET", "/admin/note-choices/{kind}/{choice_id}"): ADMIN,
    ("POST", "/admin/note-choices/{kind}/{choice_id}"): ADMIN,
    ("POST", "/admin/note-choices/{kind}/{choice_id}/{action}"): ADMIN,
    # A line's quick replies: admins keep them.
    ("GET", "/admin/quick-replies"): ADMIN,
    ("GET", "/admin/quick-replies/new"): ADMIN,
    ("POST", "/admin/quick-replies"): ADMIN,
    ("GET", "/admin/quick-replies/{reply_id}"): ADMIN,
    ("POST", "/admin/quick-replies/{reply_id}"): ADMIN,
    ("POST", "/admin/quick-replies/{reply_id}/{action}"): ADMIN,
    ("POST", "/admin/users/{user_id}/phone/send"): ADMIN,
    ("POST", "/admin/users/{user_id}/phone/verify"): ADMIN,
    ("GET", "/admin/users/import"): ADMIN,
    ("POST", "/admin/users/import"): ADMIN,
    ("POST", "/admin/users/import/confirm"): ADMIN,
    ("GET", "/admin/lines"): ADMIN,
    ("GET", "/admin/lines/new"): ADMIN,
    ("POST", "/admin/lines"): ADMIN,
    ("GET", "/admin/lines/{line_id}"): ADMIN,
    ("POST", "/admin/lines/{line_id}"): ADMIN,
    ("POST", "/admin/lines/{line_id}/deactivate"): ADMIN,
    ("POST", "/admin/lines/{line_id}/activate"): ADMIN,
    ("GET", "/admin/lines/{line_id}/prompts"): ADMIN,
    ("POST", "/admin/lines/{line_id}/prompts"): ADMIN,
    ("GET", "/admin/audit.csv"): ADMIN,
    ("GET", "/admin"): ADMIN,  # the readiness panel
    ("GET", "/admin/records"): ADMIN,
    ("POST", "/admin/records/holds"): ADMIN,
    ("POST", "/admin/records/holds/{call_id}/release"): ADMIN,
    ("GET", "/admin/blocklist"): SUPERVISING,
    ("POST", "/admin/blocklist"): SUPERVISING,
    ("POST", "/admin/blocklist/{entry_id}/remove"): SUPERVISING,
    ("GET", "/admin/subject-access"): ADMIN,
    ("POST", "/admin/subject-access"): ADMIN,
    ("GET", "/admin/policies"): SUPERVISING,
    ("GET", "/admin/policies/new"): ADMIN,
    ("POST", "/admin/policies"): ADMIN,
    ("GET", "/admin/policies/drills"): SUPERVISING,
    ("GET", "/admin/policies/drills/{drill_id}"): SUPERVISING,
    ("POST", "/admin/policies/drills/{drill_id}/stop"): SUPERVISING,
    ("GET", "/admin/policies/{policy_id}"): SUPERVISING,
    ("GET", "/admin/policies/{policy_id}/edit"): ADMIN,
    ("POST", "/admin/policies/{policy_id}/edit"): ADMIN,
    ("POST", "/admin/policies/{policy_id}/delete"): ADMIN,
    ("POST", "/admin/policies/{policy_id}/drill"): SUPERVISING,
    ("GET", "/console/drills"): RESPONDERS,
    ("POST", "/console/drills/{drill_id}/ack"): RESPONDERS,
    # Supervision: sessions, hours, debriefs and QA for supervisors; each counselor their own
    # sessions and hours, and a debrief about their own calls (another's call: 403).
    ("GET", "/supervisor/supervision"): SUPERVISING,
    ("GET", "/supervisor/supervision/new"): SUPERVISING,
    ("POST", "/supervisor/supervision"): SUPERVISING,
    ("GET", "/supervisor/supervision/{session_id}"): SUPERVISING,
    ("POST", "/supervisor/supervision/{session_id}"): SUPERVISING,
    ("POST", "/supervisor/supervision/{session_id}/actions/{action_id}/done"): SUPERVISING,
    ("POST", "/supervisor/debriefs/{debrief_id}/schedule"): SUPERVISING,
    ("GET", "/supervisor/qa"): SUPERVISING,
    ("POST", "/supervisor/qa/rules/{line_id}"): SUPERVISING,
    ("GET", "/console/supervision"): SIGNED_IN,
    ("POST", "/console/supervision/debriefs"): SIGNED_IN,
    ("GET", "/api/calls/{call_id}/debrief"): SIGNED_IN,  # offered only to the note's author
    ("POST", "/api/calls/{call_id}/debrief"): {"alice"},
    # Training: kept by supervisors and admins; each person sees and signs their own.
    ("GET", "/admin/training"): SUPERVISING,
    ("POST", "/admin/training/courses"): SUPERVISING,
    ("POST", "/admin/training/qualifications"): SUPERVISING,
    ("GET", "/admin/training/sessions/new"): SUPERVISING,
    ("POST", "/admin/training/sessions"): SUPERVISING,
    ("GET", "/admin/training/sessions/{session_id}"): SUPERVISING,
    ("POST", "/admin/training/sessions/{session_id}/attendance"): SUPERVISING,
    ("GET", "/admin/training/people/{user_id}"): SUPERVISING,
    ("POST", "/admin/training/people/{user_id}/qualifications"): SUPERVISING,
    ("GET", "/console/training"): SIGNED_IN,
    ("POST", "/console/training/ethics"): SIGNED_IN,
    ("POST", "/admin/lines/{line_id}/qualifications"): ADMIN,
    ("GET", "/api/cases"): RESPONDERS,
    ("POST", "/api/calls/{call_id}/case"): CASE_READERS,
    ("GET", "/api/cases/{case_id}"): CASE_READERS,
    ("POST", "/api/cases/{case_id}/tier"): CASE_READERS,
    ("PUT", "/api/cases/{case_id}/flags"): CASE_READERS,
    ("PUT", "/api/cases/{case_id}/safety-plan"): CASE_READERS,
    ("POST", "/api/cases/{case_id}/close"): RESPONDERS,
    ("GET", "/supervisor/cases"): RESPONDERS,
    ("GET", "/cases/{case_id}"): CASE_READERS,
    ("POST", "/cases/{case_id}/tier"): CASE_READERS,
    ("POST", "/cases/{case_id}/close"): RESPONDERS,
    # Web push: the people who are paged keep their devices; the service worker is public.
    ("GET", "/push-sw.js"): EVERYONE,
    ("GET", "/api/push/config"): RESPONDERS,
    ("GET", "/api/push/devices"): RESPONDERS,
    ("POST", "/api/push/devices"): RESPONDERS,
    ("DELETE", "/api/push/devices/{device_id}"): RESPONDERS,
    ("GET", "/console/devices"): RESPONDERS,
    ("POST", "/console/devices/{device_id}/remove"): RESPONDERS,
    # The notification's acknowledge action: a valid page token or nothing, whoever asks.
    ("POST", "/api/push/ack"): NOBODY,
    # The browser phone: whoever takes or joins calls (counselors, crisis team, supervisors),
    # not admins. Its simulator adapter answers the same roles (here the simulator is not
    # running: a 502, still not a refusal); with Twilio it is a 404 for everyone.
    ("POST", "/api/phone/token"): PHONE_USERS,
    ("POST", "/api/phone/sim/ready"): PHONE_USERS,
    ("GET", "/api/phone/sim/leg"): PHONE_USERS,
    ("POST", "/api/phone/sim/answer"): PHONE_USERS,
    ("POST", "/api/phone/sim/hangup"): PHONE_USERS,
    # A text conversation: its counselor and supervisors read it, only its counselor answers.
    # (The seeded call is alice's voice call: she hears 404 "no such conversation", the others
    # are refused first; a real conversation: tests/conversations/test_api.py.)
    ("GET", "/api/conversations/{call_id}/messages"): CALL_AND_SUPERVISING,
    ("POST", "/api/conversations/{call_id}/messages"): {"alice"},
    ("POST", "/api/conversations/{call_id}/typing"): {"alice"},
    # Supervisors' private note to a conversation's counselor and taking it over (here a voice
    # call: supervisors hear 404; a real one: tests/conversations/test_supervising_api.py), and
    # the read-along page the board links to.
    ("POST", "/api/conversations/{call_id}/notes"): SUPERVISING,
    ("POST", "/api/conversations/{call_id}/take-over"): SUPERVISING,
    ("GET", "/supervisor/conversations/{call_id}"): SUPERVISING,
    # Its line's quick replies: only its counselor, who inserts one into the reply box.
    ("GET", "/api/conversations/{call_id}/quick-replies"): {"alice"},
}
# Required query parameters, so a refusal must come from the access check itself.
QUERIES = {
    "/supervisor/stats/report.xlsx": {"month": "2026-11"},
    "/supervisor/stats/report.csv": {"month": "2026-11"},
}
# A body that passes validation, so a refusal must come from the access check itself.
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/api/calls/{call_id}/note"): {"version": 0, "fields": {}},
    ("POST", "/api/calls/{call_id}/note/submit"): {"version": 0},
    ("POST", "/api/calls/{call_id}/note/addenda"): {"text": "matrix"},
    ("POST", "/api/calls/{call_id}/escalate"): {"reason": "matrix"},
    # Valid bodies, so the refusal (403) is the route's, not the body's (422). A number no
    # region dials: the party alice adds fails at once, nothing lingers.
    ("POST", "/api/calls/{call_id}/mute"): {"muted": False},
    ("POST", "/api/calls/{call_id}/hold"): {"hold": False},
    ("POST", "/api/calls/{call_id}/parties"): {"kind": "number", "number": "1"},
    # A colleague nobody is: alice hears 409, nothing is dialled.
    ("POST", "/api/calls/{call_id}/transfers"): {
        "kind": "cold",
        "target": "colleague",
        "user_id": 99999,
    },
    ("POST", "/api/escalations/{escalation_id}/rescue"): {"stage": "requested"},
    ("POST", "/api/escalations/{escalation_id}/{action}"): None,
    ("POST", "/api/escalations/{escalation_id}/number/reveal"): {"reason": "matrix"},
    ("POST", "/api/rota/swaps/{swap_id}/answer"): {"accept": False},
    ("POST", "/api/followups/{follow_up_id}/attempts"): {"outcome": "no_answer"},
    ("POST", "/api/cases/{case_id}/tier"): {"tier": "red", "reason": "matrix"},
    ("PUT", "/api/cases/{case_id}/safety-plan"): {
        "based_on": 0,
        "sections": {"warning_signs": "matrix"},
    },
    ("POST", "/api/cases/{case_id}/close"): {"reason": "matrix"},
    ("POST", "/api/push/devices"): {
        "endpoint": "https://push.example.org/matrix",
        "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
    },
    ("POST", "/api/push/ack"): {"token": "1.1.9999999999.00.forged"},
    ("POST", "/api/conversations/{call_id}/messages"): {"body": "matrix"},
    ("POST", "/api/conversations/{call_id}/notes"): {"body": "matrix"},
    ("POST", "/api/conversations/{call_id}/take-over"): {"from_user_id": 1},
}


def seed(stack: Stack) -> dict[str, Any]:
    make_line(stack.db)
    make_user(stack.db, "bob")
    zhao = make_user(stack.db, "zhao", role=Role.crisis, endpoint="+8613900005555")
    li = make_user(stack.db, "li", role=Role.crisis, endpoint="+8613900006666")
    wang = make_user(stack.db, "wang", role=Role.supervisor)
    make_user(stack.db, "root", role=Role.admin)
    crisis_schedule = make_rota(stack.db, "crisis", [zhao, li])
    make_rota(stack.db, "supervisor", [wang])
    call_id, alice_id = connected_call(stack, "CA" + "3" * 32, "alice")
    alice = NoteClient(stack, "alice")
    escalation = alice.post(f"/api/calls/{call_id}/escalate", {"reason": "matrix"})
    assert escalation.status_code == 200, escalation.text
    now = stack.clock.now()
    with stack.db.session() as session:
        rotation = session.exec(select(Rotation)).first()
        assert rotation is not None
        override = rota.add_override(
            session=session,
            schedule_id=crisis_schedule,
            data=OverrideCreate.model_validate(
                {
                    "kind": "add",
                    "user_id": li.id,
                    "start_at": (now + _days(1)).isoformat(),
                    "end_at": (now + _days(2)).isoformat(),
                }
            ),
            created_by=wang.id or 0,
            now=now,
        )
        # alice's call asked for a follow-up, and she is working on it.
        follow_up = FollowUp(
            call_id=call_id,
            line_id=1,
            within="72h",
            due_at=now + _days(3),
            created_at=now,
            assigned_to_id=alice_id,
        )
        session.add(follow_up)
        recording = CallRecording(
            call_id=call_id,
            recording_sid="RE" + "1" * 32,
            url="http://127.0.0.1:9/recording",
            created_at=now,
        )
        session.add(recording)
        voicemail = Voicemail(call_id=call_id, line_id=1, recorded_at=now)
        session.add(voicemail)
        seeded_call = session.get(Call, call_id)
        assert seeded_call is not None
        case = Case(caller_hash=seeded_call.caller_hash, line_id=1, opened_at=now, updated_at=now)
        session.add(case)
        session.flush()
        ids = {
            "call_id": call_id,
            "escalation_id": escalation.json()["id"],
            "schedule_id": crisis_schedule,
            "rotation_id": rotation.id,
            "override_id": override.id,
            "recording_id": recording.id,
            "follow_up_id": follow_up.id,
            "voicemail_id": voicemail.id,
            "case_id": case.id,
            "user_id": zhao.id,
            "category_id": 1,
            "resource_id": 1,
            "kind": "population_group",
            "choice_id": 1,  # "student", seeded by the migration
            "line_id": 1,
            "entry_id": 1,
            "token": "no-such-recording",
        }
    with stack.db.session() as session:
        shifts = rota.shifts(
            session=session, schedule_id=crisis_schedule, start=now, end=now + _days(28)
        )
        mine = next(s for s in shifts if s.user_id == zhao.id)
        swap = rota.request_swap(
            session=session,
            data=SwapCreate.model_validate(
                {
                    "schedule_id": crisis_schedule,
                    "start_at": mine.start.isoformat(),
                    "end_at": mine.end.isoformat(),
                    "counterpart_id": li.id,
                }
            ),
            requester_id=zhao.id or 0,
            now=now,
        )
        ids["swap_id"] = swap.id
        policy = EscalationPolicy(
            name="matrix",
            steps=[{"targets": [{"kind": "user", "id": zhao.id}], "channels": ["console"]}],
        )
        session.add(policy)
        session.flush()
        ids["policy_id"] = policy.id
    ids["transfer_id"] = 99999  # none: everyone signed in hears 404
    ids["party_id"] = 99999  # none: alice hears 404, everyone else is refused first
    ids["reply_id"] = 99999  # none: root hears 404, everyone else is refused first
    ids["dial_back_id"] = 99999  # none: "not found" for everyone signed in
    ids["device_id"] = 99999  # none: removing another's device is "not found" anyway
    ids["drill_id"] = 99999  # none: a drill pages real people; the refusal comes first anyway
    with stack.db.session() as session:
        filed = archive.file_report(
            session=session,
            period=archive.parse("2026-10"),
            line_id=None,
            now=now,
            today=now.date(),
            key=archive.signing_key(stack.settings.secret_key),
        )
        ids["report_id"], ids["fmt"] = filed.id, "csv"
    # No supervision session, action or debrief yet: the refusal comes first, then a 404.
    ids |= {"session_id": 99999, "action_id": 99999, "debrief_id": 99999}
    ids["session_id"] = 99999  # no training session: access is checked before the 404
    ids["referral_id"] = 99999  # none: the refusal comes first; a 404 is an allowed answer
    return ids


def _days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)


def client_for(stack: Stack, identity: str) -> tuple[httpx.Client, str]:
    http = httpx.Client(base_url=stack.url, timeout=10)
    token = csrf_from(http.get("/login").text)
    if identity == "anonymous":
        return http, token
    response = http.post(
        "/login", data={"username": identity, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, (identity, response.status_code)
    return http, csrf_from(http.get("/console").text)


def fill(path: str, ids: dict[str, Any]) -> str:
    params = {"action": "ack", "dimension": "crisis_level"} | {k: str(v) for k, v in ids.items()}
    if path.startswith("/rota/swaps/"):
        params["action"] = "accept"
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no seeded value for a parameter of {path}"
    return path


def call_route(
    http: httpx.Client, token: str, method: str, route: str, path: str
) -> httpx.Response:
    headers = {"X-CSRF-Token": token}
    if method in ("GET", "HEAD"):
        return http.request(method, path, headers=headers, params=QUERIES.get(route))
    if route.startswith("/api/"):
        body = BODIES.get((method, route), {})
        return http.request(method, path, headers=headers, json=body)
    return http.request(method, path, headers=headers, data={"csrf_token": token})


def refused(method: str, route: str, response: httpx.Response) -> bool:
    if (method, route) == ("POST", "/logout"):
        return response.status_code != 303  # signing out ends at the sign-in page
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("location", "")
    return response.status_code in (302, 303, 307) and location.split("?")[0].endswith("/login")


def as_designed(expected: set[str] | int, row: dict[str, int]) -> bool:
    if isinstance(expected, int):
        return set(row.values()) == {expected}
    return {who for who, status in row.items() if status > 0} == expected


# Signing out ends the session the rest of the walk needs: it goes last.
LAST = {("POST", "/logout")}


# Every route for every role: a few thousand requests, that grow with each page added. The
# bound is against a hang, well above the time it takes on a loaded two-core machine.
@pytest.mark.timeout(900)
def test_every_route_answers_every_role_as_designed(app_only: Stack) -> None:
    ids = seed(app_only)
    routes = [r for r in flatten(app_only.app.routes) if r[0] not in ("WS", "MOUNT")]
    routes.sort(key=lambda r: r in LAST)
    report = os.environ.get("HOTLINE_ACCESS_REPORT")
    observed: dict[tuple[str, str], dict[str, int]] = {}
    for identity in IDENTITIES:
        http, token = client_for(app_only, identity)
        for method, path in routes:
            response = call_route(http, token, method, path, fill(path, ids))
            # (502 is the recording proxy saying the provider is unreachable: a fair answer.)
            assert response.status_code != 500, (identity, method, path, response.text[:200])
            observed.setdefault((method, path), {})[identity] = (
                -response.status_code if refused(method, path, response) else response.status_code
            )
    if report:
        for key, row in observed.items():
            print(key, row)  # noqa: T201 - the report mode's output
    unclassified = sorted(key for key in observed if key not in ALLOWED)
    assert not unclassified, f"classify these routes in ALLOWED: {unclassified}"
    wrong = {key: row for key, row in observed.items() if not as_designed(ALLOWED[key], row)}
    assert not wrong, f"access differs from the design (negative = refused): {wrong}"


@pytest.mark.timeout(900)
def test_a_past_calls_history_is_for_supervising_only(app_only: Stack) -> None:
    """The caller's history opens for the counselor of a live call (the walk above) and through
    its wrap-up and note window; through an old call, only for supervisors."""
    call_id = seed(app_only)["call_id"]
    route = f"/api/calls/{call_id}/history"

    def allowed() -> set[str]:
        found = set()
        for identity in IDENTITIES:
            http, _token = client_for(app_only, identity)
            response = http.get(route)
            assert response.status_code in (200, 401, 403), (identity, response.status_code)
            if response.status_code == 200:
                found.add(identity)
            http.close()
        return found

    alice = NoteClient(app_only, "alice").console
    alice.send("hangup", call_id=call_id)
    alice.state("wrap_up")
    assert allowed() == CALL_AND_SUPERVISING
    alice.send("finish_wrap_up", call_id=call_id)
    alice.state("available")
    alice.send("set_state", state="offline", reason=None)
    alice.state("offline")
    assert allowed() == CALL_AND_SUPERVISING  # the note window: its note is still a draft
    app_only.clock.advance(app_only.settings.note_due_s)
    assert allowed() == SUPERVISING
    alice.close()
