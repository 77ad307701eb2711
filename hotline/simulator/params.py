"""The parameter sets Twilio sends with its voice webhooks."""

from __future__ import annotations

from hotline.simulator.world import Call, Recording, rfc2822, utcnow

API_VERSION = "2010-04-01"
# Country of a number by its E.164 prefix (longest first); the simulator has no number database.
_COUNTRY_PREFIXES = (
    ("+852", "HK"),
    ("+853", "MO"),
    ("+886", "TW"),
    ("+86", "CN"),
    ("+44", "GB"),
    ("+49", "DE"),
    ("+33", "FR"),
    ("+81", "JP"),
    ("+61", "AU"),
    ("+1", "US"),
)


def country_of(number: str) -> str:
    for prefix, country in _COUNTRY_PREFIXES:
        if number.startswith(prefix):
            return country
    # Short service numbers (96525, 12356, ...) are national numbers in the demo's country.
    if number.isdigit():
        return "CN"
    return ""


def _geo(prefix: str, number: str) -> dict[str, str]:
    return {
        f"{prefix}City": "",
        f"{prefix}Country": country_of(number),
        f"{prefix}State": "",
        f"{prefix}Zip": "",
    }


def call_params(call: Call, account_sid: str) -> dict[str, str]:
    """The standard request parameters of every voice webhook about ``call``."""
    params = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": call.sid,
        "CallStatus": call.status,
        "Called": call.to,
        "Caller": call.from_,
        "Direction": call.direction,
        "From": call.from_,
        "To": call.to,
    }
    for prefix, number in (
        ("Called", call.to),
        ("Caller", call.from_),
        ("From", call.from_),
        ("To", call.to),
    ):
        params.update(_geo(prefix, number))
    if call.parent_call_sid:
        params["ParentCallSid"] = call.parent_call_sid
    return dict(sorted(params.items()))


def progress_params(
    call: Call, account_sid: str, sequence: int, status: str | None = None
) -> dict[str, str]:
    """A call progress event (StatusCallback) for ``call``, in ``status`` or its current one."""
    params = call_params(call, account_sid)
    if status is not None:
        params["CallStatus"] = status
    params.update(
        {
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(sequence),
            "Timestamp": rfc2822(utcnow()) or "",
        }
    )
    if call.is_over:
        duration = call.duration or 0
        params["CallDuration"] = str(duration)
        params["Duration"] = str((duration + 59) // 60)
    return params


def recording_params(recording: Recording, url: str) -> dict[str, str]:
    """A recordingStatusCallback: the recording is ready at ``url`` (append .wav or .mp3)."""
    params = {
        "AccountSid": recording.account_sid,
        "ErrorCode": "0",
        "RecordingChannels": str(recording.channels),
        "RecordingDuration": str(recording.duration),
        "RecordingSid": recording.sid,
        "RecordingSource": recording.source,
        "RecordingStartTime": rfc2822(recording.start_time) or "",
        "RecordingStatus": recording.status,
        "RecordingUrl": url,
    }
    if recording.conference_sid:
        params["ConferenceSid"] = recording.conference_sid
    if recording.call_sid:
        params["CallSid"] = recording.call_sid
    return dict(sorted(params.items()))
