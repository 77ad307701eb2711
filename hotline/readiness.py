"""Is the line ready? A report of the deployment, red/amber/green, each with how to fix it.

`check` reads the lines, people, rota and settings (and, in twilio mode, asks the phone network
where the numbers point); it changes nothing. `hotline check` prints it and the admin home page
shows it. Messages are msgids (`N_`) with `%(name)s` parameters, translated where shown.

What "ready" means here, by check:
- a line needs a number; no opening hours means open around the clock, which is what a crisis
  line should be (green); hours on no day at all is red (nobody can ever call).
- the line's escalation policy (its own, else the default) must reach a person now: someone
  active among the on-call of its steps whom one of the step's channels reaches (SMS and voice
  need a phone; `escalation.policies.reach_now`, as the policies page). Nobody at all is red;
  the crisis on-call empty now is red too (the default policy starts there); a later step with
  nobody is amber.
- each of the line's languages needs an active counselor with a phone who takes the line: the
  first language without one is red (callers of the line's main language would reach nobody),
  any other amber. Counselors have no rota in this model (the rota holds crisis workers and
  supervisors), so "covering this week" is their active accounts.
- a line that requires qualifications (the lines page) needs an active counselor who takes it and
  holds each of them, unexpired now: without one its calls are offered to nobody (red).
- supervisors and admins sign in with TOTP: an admin without it is red, a supervisor amber.
- a crisis worker's phone not verified (a code sent to it and typed back) is amber.
- demo accounts (public password) left: red in production, amber elsewhere.
- data keys: unset is red in production (it refuses to start), amber elsewhere (derived from
  the secret key); a placeholder or short secret key likewise.
- telephony: in twilio mode the account must answer and each active line's number must be on it
  and point its voice URL at `public_base_url`; the simulator mode is amber (production refuses it).
- the browser phone: in twilio mode its access tokens need an API key (SID and secret) and a
  TwiML app; any of them unset is amber, naming the settings (nobody can take calls in the
  browser, so a counselor without a number takes none); with the simulator it runs there (green).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from hotline import crypto
from hotline.auth.models import Role, User
from hotline.config import PLACEHOLDER_SECRET, Settings
from hotline.escalation.models import EscalationPolicy
from hotline.escalation.policies import reach_now
from hotline.escalation.service import DEFAULT_POLICY
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.lines.service import numbers_by_line
from hotline.push.vapid import public_of
from hotline.rota import service as rota
from hotline.seed import demo_accounts_left
from hotline.training import service as training

VOICE_PATH = "/twilio/voice/incoming"


class Level(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"


class NumberDirectory(Protocol):
    """Where the phone network has each number pointed (`TelephonyPort` is one)."""

    def number_voice_urls(self) -> dict[str, str | None]: ...


@dataclass(frozen=True)
class Finding:
    level: Level
    code: str
    subject: str
    message: str  # msgid (N_), with %(name)s params
    fix: str = ""  # msgid (N_); empty when there is nothing to do
    params: dict[str, str] = field(default_factory=dict)

    def text(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message) % self.params if self.params else gettext(self.message)

    def fix_text(self, gettext: Callable[[str], str]) -> str:
        if not self.fix:
            return ""
        return gettext(self.fix) % self.params if self.params else gettext(self.fix)

    def as_json(self, gettext: Callable[[str], str]) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "code": self.code,
            "subject": self.subject,
            "message": self.text(gettext),
            "fix": self.fix_text(gettext),
        }


def worst(findings: Iterable[Finding]) -> Level:
    levels = {f.level for f in findings}
    for level in (Level.red, Level.amber):
        if level in levels:
            return level
    return Level.green


def to_json(findings: list[Finding], gettext: Callable[[str], str]) -> str:
    return json.dumps(
        {"level": worst(findings).value, "findings": [f.as_json(gettext) for f in findings]},
        ensure_ascii=False,
        indent=2,
    )


def check(
    session: Session, settings: Settings, now: datetime, telephony: NumberDirectory | None = None
) -> list[Finding]:
    """Every finding, lines first, then people, settings and the phone network."""
    lines = list(session.exec(select(Line).where(col(Line.active)).order_by(col(Line.number))))
    # The TOTP secret is not read (nor decrypted: the keys may be what is wrong).
    query = select(User).options(defer(User.totp_secret))  # type: ignore[arg-type]
    query = query.where(col(User.active))
    users = list(session.exec(query.order_by(col(User.username))))
    findings: list[Finding] = []
    if not lines:
        findings.append(
            Finding(
                Level.red,
                "no_line",
                "-",
                N_("No active line: nobody can call."),
                N_("Add a line: hotline lines add NUMBER NAME."),
            )
        )
    for line in lines:
        findings += _line(session, line, users, now)
    findings += _totp(users)
    findings += _phones(users)
    findings += _demo(session, settings)
    findings += _keys(settings)
    findings += _push(settings)
    by_line = numbers_by_line(session=session)
    numbers = [n for line in lines for n in by_line.get(line.id or 0, [line.number])]
    findings += _telephony(settings, numbers, telephony)
    findings += _browser_phone(settings)
    return findings


# --- lines -------------------------------------------------------------------------------------


def _line(session: Session, line: Line, users: list[User], now: datetime) -> list[Finding]:
    subject = line.number or line.name
    out: list[Finding] = []
    if not line.number:
        out.append(
            Finding(
                Level.red,
                "line_number",
                line.name,
                N_("Line %(name)s has no number."),
                N_("Give the line its number (E.164, e.g. +8657796525)."),
                {"name": line.name},
            )
        )
    out.append(_hours(line, subject))
    out += _policy(session, line, users, subject, now)
    out += _counselors(line, users, subject)
    out += _qualified(session, line, subject, now)
    return out


def _qualified(session: Session, line: Line, subject: str, now: datetime) -> list[Finding]:
    required = training.line_requirements(session=session, line_id=line.id or 0)
    if not required:
        return []
    if training.qualified_counselors(session=session, line=line, required=required, now=now):
        return [
            Finding(
                Level.green,
                "line_qualified",
                subject,
                N_("Counselors who take this line hold the qualifications it requires."),
            )
        ]
    return [
        Finding(
            Level.red,
            "line_unqualified",
            subject,
            N_(
                "No active counselor of this line holds every qualification it requires (or it "
                "has expired): its calls are offered to nobody."
            ),
            N_("Record the qualification for counselors of the line, or change what it requires."),
        )
    ]


def _hours(line: Line, subject: str) -> Finding:
    if not line.opening_hours:
        return Finding(
            Level.green,
            "line_hours",
            subject,
            N_("Open around the clock (no opening hours set)."),
        )
    if not any(spans for spans in line.opening_hours.values()):
        return Finding(
            Level.red,
            "line_hours",
            subject,
            N_("Opening hours are set but the line is open on no day: it is never open."),
            N_("Set the opening hours, or clear them to open the line around the clock."),
        )
    return Finding(Level.green, "line_hours", subject, N_("Opening hours are set."))


def _reachable(user: User | None) -> bool:
    return user is not None and user.active and bool(user.endpoint)


def _policy(
    session: Session, line: Line, users: list[User], subject: str, now: datetime
) -> list[Finding]:
    out: list[Finding] = []
    policy: dict[str, Any] = DEFAULT_POLICY
    if line.escalation_policy_id is not None:
        row = session.get(EscalationPolicy, line.escalation_policy_id)
        if row is not None and row.steps:
            policy = {"name": row.name, "repeat": row.repeat, "steps": row.steps}
        else:
            out.append(
                Finding(
                    Level.amber,
                    "policy_missing",
                    subject,
                    N_("The line's escalation policy is gone or has no steps: the default runs."),
                    N_("Give the line a policy with steps, or clear it to use the default."),
                )
            )
    by_id = {u.id: u for u in users}
    reached: set[int] = set()
    empty_steps: list[str] = []
    # The engine's resolution, and the channels that reach each person (shared with the
    # policies page and `hotline policies show`).
    for step in reach_now(session=session, steps=policy.get("steps", []), now=now):
        if step.nobody:
            empty_steps.append(str(step.number))
        reached |= {person.user_id for person in step.people}
    crisis_target = any(
        t.get("kind") == "crisis_on_call"
        for step in policy.get("steps", [])
        for t in step.get("targets", [])
    )
    crisis_now = {
        p for p in rota.crisis_on_call(session=session, at=now) if _reachable(by_id.get(p))
    }
    params = {"policy": str(policy.get("name", "")), "steps": ", ".join(empty_steps)}
    if not reached:
        out.append(
            Finding(
                Level.red,
                "policy_reaches_nobody",
                subject,
                N_("Policy %(policy)s reaches nobody now: a high-risk call would page no one."),
                N_(
                    "Put crisis workers with a phone on call in a crisis rota (or name people "
                    "in the policy's steps)."
                ),
                params,
            )
        )
    elif crisis_target and not crisis_now:
        out.append(
            Finding(
                Level.red,
                "crisis_on_call_empty",
                subject,
                N_("Nobody with a phone is on crisis call now (policy %(policy)s starts there)."),
                N_("Fill the gap in the crisis rota now (an override), and check its cover."),
                params,
            )
        )
    elif empty_steps:
        out.append(
            Finding(
                Level.amber,
                "policy_step_empty",
                subject,
                N_("Escalation policy %(policy)s: step(s) %(steps)s reach nobody now."),
                N_("Put someone on call for those steps, or change the policy."),
                params,
            )
        )
    else:
        out.append(
            Finding(
                Level.green,
                "policy_reaches",
                subject,
                N_("Escalation policy %(policy)s reaches %(count)s person(s) now."),
                params={**params, "count": str(len(reached))},
            )
        )
    return out


def _counselors(line: Line, users: list[User], subject: str) -> list[Finding]:
    out: list[Finding] = []
    takers = [
        u
        for u in users
        if u.role == Role.counselor and _reachable(u) and (not u.line_ids or line.id in u.line_ids)
    ]
    for index, language in enumerate(line.languages):
        count = sum(1 for u in takers if language in u.languages)
        params = {"language": language, "count": str(count)}
        if count:
            out.append(
                Finding(
                    Level.green,
                    "counselors",
                    subject,
                    N_("%(count)s active counselor(s) with a phone take %(language)s calls."),
                    params=params,
                )
            )
        else:
            out.append(
                Finding(
                    Level.red if index == 0 else Level.amber,
                    "counselors_missing",
                    subject,
                    N_("No active counselor with a phone takes %(language)s calls on this line."),
                    N_(
                        "Add a counselor with a phone who speaks %(language)s and takes this "
                        "line, or remove the language from the line."
                    ),
                    params,
                )
            )
    return out


# --- people and settings -----------------------------------------------------------------------


def _totp(users: list[User]) -> list[Finding]:
    out: list[Finding] = []
    for user in users:
        if user.role not in (Role.supervisor, Role.admin) or user.totp_confirmed_at is not None:
            continue
        out.append(
            Finding(
                Level.red if user.role == Role.admin else Level.amber,
                "totp_missing",
                user.username,
                N_("Admin %(username)s has no second factor (TOTP) enrolled.")
                if user.role == Role.admin
                else N_("Supervisor %(username)s has no second factor (TOTP) enrolled."),
                N_("Sign in as %(username)s and enrol an authenticator app."),
                {"username": user.username},
            )
        )
    if not out:
        out.append(
            Finding(
                Level.green,
                "totp",
                "-",
                N_("Every supervisor and admin has a second factor (TOTP)."),
            )
        )
    return out


def _phones(users: list[User]) -> list[Finding]:
    """Crisis workers are paged on their phones: one not proved theirs may page a stranger or
    nobody (amber: it still rings)."""
    crisis = [u for u in users if u.role == Role.crisis and u.endpoint.startswith("+")]
    unverified = [u for u in crisis if u.phone_verified_at is None]
    out = [
        Finding(
            Level.amber,
            "phone_unverified",
            user.username,
            N_("Crisis worker %(username)s's phone is not verified."),
            N_("Send %(username)s a code from their page under People and enter it."),
            {"username": user.username},
        )
        for user in unverified
    ]
    if crisis and not unverified:
        out.append(
            Finding(Level.green, "phones", "-", N_("Every crisis worker's phone is verified."))
        )
    return out


def _demo(session: Session, settings: Settings) -> list[Finding]:
    left = demo_accounts_left(session=session)
    if not left:
        return [Finding(Level.green, "demo", "-", N_("No demo account can sign in."))]
    return [
        Finding(
            Level.red if settings.env == "production" else Level.amber,
            "demo_accounts",
            ", ".join(left),
            N_("Demo account(s) %(names)s can sign in with the public demo password."),
            N_("Run hotline remove-demo."),
            {"names": ", ".join(left)},
        )
    ]


def _keys(settings: Settings) -> list[Finding]:
    production = settings.env == "production"
    out: list[Finding] = []
    if settings.secret_key == PLACEHOLDER_SECRET or len(settings.secret_key) < 32:
        out.append(
            Finding(
                Level.red if production else Level.amber,
                "secret_key",
                "HOTLINE_SECRET_KEY",
                N_("The secret key is the placeholder or shorter than 32 characters."),
                N_("Set HOTLINE_SECRET_KEY to 32 or more random characters."),
            )
        )
    try:
        crypto.keyring_from(settings.secret_key, settings.data_keys, settings.env)
    except ValueError as error:
        out.append(
            Finding(
                Level.red,
                "data_keys",
                "HOTLINE_DATA_KEYS",
                N_("The data keys are refused: %(error)s"),
                N_("Set HOTLINE_DATA_KEYS='id:base64key' (hotline keys generate ID)."),
                {"error": str(error)},
            )
        )
        return out
    if not settings.data_keys.strip():
        out.append(
            Finding(
                Level.amber,
                "data_keys",
                "HOTLINE_DATA_KEYS",
                N_("No data keys set: data at rest uses a key derived from the secret key."),
                N_("Set HOTLINE_DATA_KEYS='id:base64key' (hotline keys generate ID)."),
            )
        )
    elif not out:
        out.append(Finding(Level.green, "data_keys", "HOTLINE_DATA_KEYS", N_("Data keys are set.")))
    return out


def _push(settings: Settings) -> list[Finding]:
    """Web push pages: amber when not configured (SMS and voice still page), red when the
    public key is not the private key's (every push would be refused)."""
    subject = "HOTLINE_VAPID_PRIVATE_KEY"
    fix = N_("Run hotline keys vapid and set the three HOTLINE_VAPID_ settings it prints.")
    private = settings.vapid_private_key.strip()
    if not private or not settings.vapid_public_key.strip():
        return [
            Finding(
                Level.amber,
                "push",
                subject,
                N_("Web push is not configured: nobody can be paged by push notification."),
                fix,
            )
        ]
    if public_of(private) != settings.vapid_public_key.strip():
        return [
            Finding(
                Level.red,
                "push",
                subject,
                N_("The VAPID keys do not form a pair: every push page would be refused."),
                fix,
            )
        ]
    return [Finding(Level.green, "push", subject, N_("Web push is configured."))]


# --- the phone network -------------------------------------------------------------------------


def _telephony(
    settings: Settings, line_numbers: list[str], telephony: NumberDirectory | None
) -> list[Finding]:
    out: list[Finding] = []
    if settings.telephony_mode == "simulator":
        out.append(
            Finding(
                Level.amber,
                "simulator_mode",
                "HOTLINE_TELEPHONY_MODE",
                N_("Telephony is the local simulator: no real call reaches this deployment."),
                N_("Set HOTLINE_TELEPHONY_MODE=twilio with the account's SID and auth token."),
            )
        )
        if telephony is None:
            return out
    if telephony is None:
        from hotline.telephony.port import TelephonyPort

        telephony = TelephonyPort(settings)
    try:
        numbers = telephony.number_voice_urls()
    except Exception as error:  # noqa: BLE001 - any failure means "does not answer"
        out.append(
            Finding(
                Level.red,
                "twilio_unreachable",
                settings.twilio_account_sid,
                N_("The phone network account does not answer: %(error)s"),
                N_("Check HOTLINE_TWILIO_ACCOUNT_SID, HOTLINE_TWILIO_AUTH_TOKEN and the network."),
                {"error": str(error)[:200]},
            )
        )
        return out
    out.append(
        Finding(
            Level.green,
            "twilio",
            settings.twilio_account_sid,
            N_("The phone network account answers."),
        )
    )
    expected = settings.public_base_url.rstrip("/") + VOICE_PATH
    for number in line_numbers:
        if number not in numbers:
            out.append(
                Finding(
                    Level.red,
                    "number_missing",
                    number,
                    N_("The number is not on the phone network account."),
                    N_("Buy or port the number into the account, then run hotline lines sync."),
                )
            )
        elif numbers[number] != expected:
            out.append(
                Finding(
                    Level.red,
                    "number_elsewhere",
                    number,
                    N_("Calls to this number go to %(actual)s, not to %(expected)s."),
                    N_("Run hotline lines sync."),
                    {"actual": numbers[number] or "-", "expected": expected},
                )
            )
        else:
            out.append(
                Finding(
                    Level.green,
                    "number_pointed",
                    number,
                    N_("The number's calls come here."),
                )
            )
    return out


def _browser_phone(settings: Settings) -> list[Finding]:
    """The console's browser phone (hotline/softphone): Voice SDK access tokens are signed with
    an API key of the account and name a TwiML app; until they are set the token is refused."""
    if settings.telephony_mode == "simulator":
        return [
            Finding(
                Level.green,
                "browser_phone",
                "HOTLINE_TELEPHONY_MODE",
                N_(
                    "The browser phone runs on the simulator: consoles answer their calls there, "
                    "with no audio."
                ),
            )
        ]
    missing = settings.browser_phone_missing
    if missing:
        names = ", ".join(missing)
        return [
            Finding(
                Level.amber,
                "browser_phone",
                names,
                N_(
                    "The browser phone cannot start: %(names)s not set, so no access token can "
                    "be issued and only people with a phone number can take calls."
                ),
                N_("Create an API key and a TwiML app in the Twilio account, and set %(names)s."),
                {"names": names},
            )
        ]
    return [
        Finding(
            Level.green,
            "browser_phone",
            "HOTLINE_TWILIO_API_KEY_SID",
            N_("The browser phone is set up: access tokens can be issued."),
        )
    ]
