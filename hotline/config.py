"""All settings in one place, read from the environment with the HOTLINE_ prefix."""

from __future__ import annotations

import os
import secrets
import socket
from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "dev-secret-change-me"  # noqa: S105 - refused outside development
PLACEHOLDER_AUTH_TOKEN = "dev-twilio-auth-token"  # noqa: S105
PLACEHOLDER_API_KEY_SECRET = "dev-twilio-api-key-secret-change-me"  # noqa: S105
PLACEHOLDER_API_KEY_SID = "SK" + "0" * 32
PLACEHOLDER_TWIML_APP_SID = "AP" + "0" * 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./hotline.db"
    # The URL Twilio uses to reach us; webhook signatures are computed over it, so behind a
    # proxy this must be the outside address, not whatever the request looked like inside.
    public_base_url: str = "http://127.0.0.1:8000"
    twilio_account_sid: str = "AC" + "0" * 32
    twilio_auth_token: str = PLACEHOLDER_AUTH_TOKEN
    # The simulator is for development and tests only: production refuses it.
    telephony_mode: Literal["twilio", "simulator"] = "simulator"
    # The console's browser phone (Twilio Voice SDK): access tokens are signed with an API key
    # (SID and secret) of the account; the TwiML app is what outgoing browser calls would run
    # (the browser phone only receives calls, but Twilio wants one in a voice grant's setup).
    # The placeholders work with the simulator; with real Twilio the browser phone is refused
    # until they are set (`browser_phone_ready`). Tokens live phone_token_ttl_s seconds.
    twilio_api_key_sid: str = PLACEHOLDER_API_KEY_SID
    twilio_api_key_secret: str = PLACEHOLDER_API_KEY_SECRET
    twilio_twiml_app_sid: str = PLACEHOLDER_TWIML_APP_SID
    phone_token_ttl_s: int = Field(default=600, ge=60, le=3600)
    # Where the twilio REST client is pointed in simulator mode.
    simulator_url: str = "http://127.0.0.1:8000/sim"
    # A REST request to the phone network that has not answered in this many seconds is given
    # up (and, for a page, retried): without it one hung connection would hold a sender forever.
    # Below the page lease (60 s), so a page is never sent by two senders at once.
    twilio_timeout_s: float = Field(default=15.0, gt=0, lt=60)
    # When this deployment cannot take a call (the database or anything else failing, or an
    # overload), the incoming-call webhook forwards the caller to the line's partner number. Each
    # number's partner is remembered from the last successful read of the lines; these give it for
    # a number not read since start ({"+8657796525": "+8657712345"}) and for any other number.
    # With none, the caller hears the emergency numbers (110, 120, 12356).
    fallback_partners: dict[str, str] = Field(default_factory=dict)
    fallback_partner_number: str | None = None
    # `hotline lines sync` sets each number's VoiceFallbackUrl (fetched by Twilio, with GET, when
    # this deployment does not answer) to this; "{number}" is replaced by the number's digits.
    # Host there what `hotline lines fallback --out DIR` writes. Unset: left as it is.
    voice_fallback_url: str | None = None
    # Overload: at most this many webhooks are handled at once; an incoming call that waited
    # webhook_wait_s for its turn gets the fallback answer instead of queueing (0: every one, a
    # switch to drain an instance). Few slots keep each answer quick (scripts/bench_overload.py):
    # more threads only contend for the GIL and SQLite's one writer.
    webhook_concurrency: int = Field(default=8, ge=0, le=10_000)
    webhook_wait_s: float = Field(default=0.5, ge=0, le=10)
    # Mount the simulator inside this process (the demo); tests may run it separately.
    simulator_embedded: bool = True
    # The simulator's control API (place calls, read transcripts) wants this token in the
    # X-Simulator-Token header; a fresh one each start when unset (`hotline demo` prints it).
    simulator_control_token: str = Field(default_factory=lambda: secrets.token_urlsafe(24))
    redis_url: str | None = None
    secret_key: str = PLACEHOLDER_SECRET
    # Keys for data at rest: "id1:base64key,id2:base64key", the last one current
    # (`hotline keys generate`). Development and tests derive one from secret_key if unset.
    data_keys: str = ""
    default_locale: str = "zh_CN"
    # Numbers typed without a country code (13812345678, 010-12345678) are read as this
    # region's (ISO 3166 code) and stored in E.164 (hotline/phone.py).
    default_region: str = "CN"
    # Web push pages (`hotline keys vapid` prints a pair): the application server's VAPID keys
    # (the private one as PEM or raw base64url, the public one as the browser wants it:
    # uncompressed point, base64url) and the contact the push services may write to.
    vapid_private_key: str = ""
    vapid_public_key: str = ""
    vapid_subject: str = "mailto:admin@example.org"
    # How long a push notification's acknowledge action stays usable (it works once).
    push_ack_ttl_s: int = Field(default=900, ge=60, le=86_400)

    offer_timeout_s: int = 20
    # Text conversations one counselor holds at once unless their account says otherwise.
    max_conversations: int = Field(default=2, ge=1, le=10)
    # A text conversation waits this long for a counselor before the person is given the partner
    # line and the emergency numbers (a person typing waits longer than a caller on hold).
    conversation_max_wait_s: int = Field(default=600, ge=30, le=86_400)
    # Phrases that put a conversation first ("in danger now"), by language, as JSON, e.g.
    # {"zh_CN": ["不想活"], "en": ["kill myself"]}; empty: the built-in lists
    # (hotline/conversations/danger.py). Never the only screen: the screener decides the level.
    danger_phrases: dict[str, list[str]] = Field(default_factory=dict)
    # More messages than this in a minute from one person (an SMS number, a WeChat follower, a
    # web chat conversation) are dropped (logged, nothing stored): a looping phone or a flood
    # must not fill a counselor's screen or the queue.
    texts_per_minute: int = Field(default=20, ge=1, le=1000)
    # New web chat conversations one network address may start in 10 minutes (per instance;
    # hotline/conversations/openings.py). Generous: a school or a carrier's NAT is one address.
    webchats_per_address: int = Field(default=10, ge=1, le=10000)
    # WeChat customer-service messages reach a person only this long after their last message
    # (the platform's 48-hour window); later replies fail with the reason logged.
    wechat_reply_window_h: float = Field(default=48.0, gt=0, le=48.0)
    # A counselling call's note is overdue this long after the call ended.
    note_due_s: int = 600
    connect_timeout_s: int = 45
    # Calls the line places to call people back (hotline/dialback/): at most one every this many
    # seconds, across every app instance (the provider's calls-per-second limit).
    dialback_interval_s: float = Field(default=1.0, gt=0, le=600)
    # Emergency linkage (docs/domain.md 12): a caller's number is kept, encrypted, for the life
    # of a high or imminent escalation plus this many hours, then erased.
    rescue_number_window_h: float = Field(default=24.0, gt=0, le=24 * 30)
    missed_offers_before_away: int = 2
    # An available counselor with no console socket open anywhere for this long is set away
    # (a network blip that reconnects within it changes nothing).
    console_grace_s: float = Field(default=30.0, gt=0)
    engine_interval_s: float = 1.0
    # A supervisor's listen/whisper/barge leg still ringing this long after it was asked for
    # (its phone never answered and no callback said so) is given up and its call cancelled.
    monitor_dial_timeout_s: int = 60
    run_engine: bool = True
    # Point the lines' numbers at this instance at start-up (simulator mode only).
    sync_numbers_on_start: bool = True
    # Sign-in: a username is locked out for login_lockout_s after login_max_failures failed
    # attempts (password or second factor) within login_window_s; one address after
    # login_max_failures_per_ip. Counted in the database, across instances.
    login_max_failures: int = 5
    login_max_failures_per_ip: int = 50
    login_window_s: int = 900
    login_lockout_s: int = 900
    # Roles that must pass a TOTP second factor (RFC 6238) to sign in; the issuer name that
    # authenticator apps show.
    totp_roles: list[str] = Field(default_factory=lambda: ["supervisor", "admin"])
    totp_issuer: str = "Hotline"
    # Sessions (server-side, revocable): ended after session_idle_s without a request or an open
    # console/board socket, and session_max_age_s after sign-in (a 12-hour shift and some).
    # An open socket re-checks its session every session_check_s seconds.
    session_idle_s: int = Field(default=1800, ge=60)
    session_max_age_s: int = Field(default=14 * 3600, ge=300)
    session_check_s: float = Field(default=5.0, gt=0, le=60)
    # The OpenAPI schema and its /docs pages; unset means on, except in production where they
    # would map the whole API for anyone who asks.
    api_docs: bool | None = None
    # Proxies whose X-Forwarded-For names the client ("10.0.0.5,10.0.0.6", or "*" when only the
    # proxy can reach this port). Empty: the header is ignored and the peer address is the
    # client's, so nobody on this host can pick the address the sign-in limits count.
    forwarded_allow_ips: str = ""
    # Names this process in offer records and logs (several instances share one database).
    instance_name: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    # Hours a receiving service has to confirm a green-channel referral before the supervisors'
    # follow-ups page shows it as overdue (hotline/referrals).
    green_channel_confirm_hours: int = Field(default=4, ge=1, le=168)
    # The WeChat official account's server token (公众号 "Token", set beside the server URL
    # /wechat/{line_id} in its console): every message push is signed with it. Unset: refused.
    wechat_token: str | None = Field(default=None, min_length=3, max_length=32)
    # The account's developer ID and secret (AppID, AppSecret): counselors' replies go out as
    # customer-service messages through the platform's API with them. Unset: replies fail.
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    # The platform's API; in simulator mode the simulator's (hotline/simulator/wechat.py).
    wechat_api_url: str = "https://api.weixin.qq.com/cgi-bin/"

    @property
    def docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.env != "production"

    @property
    def browser_phone_ready(self) -> bool:
        """Browser-phone tokens can be issued: against the simulator always; against Twilio
        once a real API key and TwiML app are configured."""
        return not self.browser_phone_missing

    @property
    def browser_phone_missing(self) -> list[str]:
        """The settings still at their placeholders that Twilio's browser phone needs, by
        their environment names (none with the simulator)."""
        if self.telephony_mode == "simulator":
            return []
        placeholders = {
            "HOTLINE_TWILIO_API_KEY_SID": (self.twilio_api_key_sid, PLACEHOLDER_API_KEY_SID),
            "HOTLINE_TWILIO_API_KEY_SECRET": (
                self.twilio_api_key_secret,
                PLACEHOLDER_API_KEY_SECRET,
            ),
            "HOTLINE_TWILIO_TWIML_APP_SID": (self.twilio_twiml_app_sid, PLACEHOLDER_TWIML_APP_SID),
        }
        return [name for name, (value, unset) in placeholders.items() if value == unset]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env == "production":
            if self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32:
                raise ValueError("HOTLINE_SECRET_KEY must be set to 32+ random characters")
            if self.twilio_auth_token == PLACEHOLDER_AUTH_TOKEN:
                raise ValueError("HOTLINE_TWILIO_AUTH_TOKEN must be set")
            if self.telephony_mode != "twilio":
                raise ValueError(
                    "HOTLINE_TELEPHONY_MODE must be 'twilio' in production: the simulator "
                    "is a development tool that lets anyone place calls and send webhooks"
                )
            if not self.public_base_url.startswith("https://"):
                raise ValueError(
                    "HOTLINE_PUBLIC_BASE_URL must be an https:// address in production: over "
                    "plain http the session cookies, callers' notes and Twilio's signed "
                    "webhooks would cross the network readable by anyone on the way"
                )
        return self


class _Environment(BaseSettings):
    model_config = Settings.model_config
    env: str = "development"


def configured_env() -> str:
    """HOTLINE_ENV (environment or .env) without validating the rest: what the demo checks
    before it touches anything, even when the other settings would be refused."""
    return _Environment().env


@lru_cache
def get_settings() -> Settings:
    return Settings()
