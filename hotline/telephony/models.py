"""Webhook receipts: a retried webhook gets the answer the first one got, and changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hotline.models_base import UTCDateTime


class WebhookReceipt(SQLModel, table=True):
    __tablename__ = "webhook_receipts"
    id: int | None = Field(default=None, primary_key=True)
    # sha256 of the endpoint and the sorted form parameters: an exact retry has the same key.
    key: str = Field(max_length=64, unique=True)
    call_sid: str = Field(max_length=64, index=True)
    endpoint: str = Field(max_length=64)
    status_code: int
    media_type: str = Field(max_length=64)
    body: str
    created_at: datetime = Field(sa_type=UTCDateTime)
