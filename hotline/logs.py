"""Structured, one-line logging. Caller numbers are never logged: code logs CallSids instead."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_hotline", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._hotline = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # These log request URLs at INFO, and URLs can carry phone numbers (PhoneNumber=+86...).
    for noisy in ("twilio.http_client", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
