"""What a caller hears: now, or at a chosen time ("03:00 next Saturday").

Built from the very functions the incoming-call webhook uses (`lines.decide` for the hours,
`telephony.prompts.welcome` / `closed` for the answer), read back from the TwiML they produce,
so the preview cannot drift from what the phone network is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

from hotline.lines import service as lines
from hotline.lines.models import Line
from hotline.telephony import prompts

GATHER_PATH = "/twilio/voice/gather"
VOICEMAIL_PATH = "/twilio/voice/voicemail"


@dataclass(frozen=True)
class Heard:
    """One step of the answer: say (its text), play (the recording's address), dial (the
    number), record, hangup."""

    kind: str
    text: str = ""


@dataclass(frozen=True)
class Preview:
    local: datetime  # the moment, in the line's zone
    open: bool
    special_day: bool
    # "open"; what callers hear when closed: forward | voicemail | emergency; or "inactive"
    action: str
    heard: list[Heard]


def after_hours(line: Line) -> str:
    """The after-hours action as callers meet it (forwarding needs a partner line)."""
    if line.after_hours_action == "forward" and not line.partner_number:
        return "emergency"
    return line.after_hours_action


def preview(
    line: Line, at: datetime, base_url: str = "", audio: prompts.Audio = prompts.NO_AUDIO
) -> Preview:
    """`audio`: the line's recordings by address, as the webhook plays them."""
    decision = lines.decide(line, at)
    if not line.active:  # the webhook finds no line for the number
        heard = heard_in(prompts.not_in_service())
        return Preview(decision.local, False, decision.special_day, "inactive", heard)
    if decision.open:
        twiml = prompts.welcome(line, base_url + GATHER_PATH, audio)
    else:
        lang = prompts.line_language(line, None)
        twiml = prompts.closed(line, lang, base_url + VOICEMAIL_PATH)
    return Preview(
        local=decision.local,
        open=decision.open,
        special_day=decision.special_day,
        action="open" if decision.open else after_hours(line),
        heard=heard_in(twiml),
    )


def heard_in(twiml: str) -> list[Heard]:
    """The caller's side of a TwiML answer, in order (our own TwiML, never a caller's input)."""
    found: list[Heard] = []

    def walk(element: ElementTree.Element) -> None:
        for child in element:
            if child.tag == "Say":
                found.append(Heard("say", (child.text or "").strip()))
            elif child.tag == "Play":
                found.append(Heard("play", (child.text or "").strip()))
            elif child.tag == "Dial":
                found.append(Heard("dial", "".join(child.itertext()).strip()))
            elif child.tag in ("Record", "Hangup"):
                found.append(Heard(child.tag.lower()))
            elif child.tag == "Gather":
                walk(child)

    walk(ElementTree.fromstring(twiml))  # noqa: S314 - TwiML we just built
    return found
