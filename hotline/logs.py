"""Structured, one-line logging that never carries a caller's data.

Code logs CallSids, not numbers, but a library, an exception message or a careless argument can
still put a phone number, note text or a screener answer into a record. So every record is scrubbed
at the logging layer before any handler sees it: phone numbers (E.164 and the common Chinese
mobile and landline formats, URL-encoded too) and the values of known sensitive fields are
replaced by ``[redacted]`` in the message, its arguments, the exception text and the stack text.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
REDACTED = "[redacted]"

# Names whose values are caller data or secrets, however they appear: key=value, "key": "value",
# 'key': 'value' (a dict's repr), Twilio's form fields (From=+86...).
SENSITIVE_FIELDS = (
    "summary",
    "text",
    "note",
    "notes",
    "sensitive",
    "reason",
    "override_reason",
    "callback_number",
    "caller_number",
    "phone",
    "phone_number",
    "PhoneNumber",
    "number",
    "screener",
    "answers",
    "plan",
    "comment",
    "referrals",
    "follow_up",
    "password",
    "totp_code",
    "totp_secret",
    "token",  # the iCal feed link's key, in access log URLs (?token=...)
    "From",
    "To",
    "Caller",
    "Called",
    "Body",
    "Digits",
    "caller_hash",
)
_VALUE = (
    r'"(?:[^"\\]|\\.)*"'  # "double quoted"
    r"|'(?:[^'\\]|\\.)*'"  # 'single quoted'
    r"|\{[^{}]*\}"  # a flat dict
    r"|\[[^\[\]]*\]"  # a flat list
    r"|[^\s,;&)}\]]+"  # a bare word up to a separator
)
_FIELD = re.compile(
    r"(?P<key>(?<![A-Za-z0-9_])[\"']?(?:"
    + "|".join(re.escape(name) for name in SENSITIVE_FIELDS)
    + r")[\"']?\s*[:=]\s*)(?P<value>"
    + _VALUE
    + ")"
)
_NOT_BEFORE = r"(?<![A-Za-z0-9_.])"
_NOT_AFTER = r"(?![A-Za-z0-9_])"
_PHONE = re.compile(
    "|".join(
        (
            # E.164 and international forms, spaced or dashed: +86 139 1234 5678, +8613912345678
            _NOT_BEFORE + r"(?:\+|%2B|00)[1-9](?:[\s().-]?\d){6,14}" + _NOT_AFTER,
            # Chinese mobile: 13912345678, 139-1234-5678, 139 1234 5678
            _NOT_BEFORE + r"1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}" + _NOT_AFTER,
            # Chinese landline with area code: 010-12345678, 0571 8765 4321, (0571)87654321
            _NOT_BEFORE + r"\(?0\d{2,3}\)?[\s-]?\d{3,4}[\s-]?\d{4}" + _NOT_AFTER,
        )
    ),
    re.IGNORECASE,
)


def scrub(text: str) -> str:
    """`text` with phone numbers and sensitive field values replaced by ``[redacted]``."""
    text = _FIELD.sub(lambda m: m.group("key") + REDACTED, text)
    return _PHONE.sub(REDACTED, text)


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Scrub a record in place: the message merged with its args, exception and stack text."""
    if getattr(record, "_hotline_scrubbed", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what we can, never the raw args
        message = f"{record.msg!s} (unformattable arguments)"
    record.msg = scrub(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_info = None  # handlers then use the scrubbed exc_text, never the live objects
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    record._hotline_scrubbed = True
    return record


class ScrubFilter(logging.Filter):
    """A handler/logger filter that scrubs each record (and lets it through)."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


_installed_factory: Callable[..., logging.LogRecord] | None = None


def install_scrubbing() -> None:
    """Scrub every record as it is created, whichever logger or handler it goes to. Idempotent."""
    global _installed_factory
    current = logging.getLogRecordFactory()
    if current is _installed_factory:
        return
    previous = current

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub_record(previous(*args, **kwargs))

    _installed_factory = factory
    logging.setLogRecordFactory(factory)


def configure(level: str = "INFO") -> None:
    install_scrubbing()
    root = logging.getLogger()
    if not any(getattr(h, "_hotline", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._hotline = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for existing in root.handlers:  # also records built without the factory (e.g. unpickled)
        if not any(isinstance(f, ScrubFilter) for f in existing.filters):
            existing.addFilter(ScrubFilter())
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # These log request URLs at INFO, and URLs can carry phone numbers (PhoneNumber=+86...).
    for noisy in ("twilio.http_client", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
