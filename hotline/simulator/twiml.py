"""The TwiML interpreter: runs a call's documents verb by verb, as Twilio does.

Supported verbs: Say, Play, Pause, Gather (dtmf), Redirect, Hangup, Reject, Record, and Dial with
Number, Client or Conference nouns. Anything else (Enqueue, Connect, Stream, ...) is recorded in
the transcript as skipped. Relative URLs resolve against the URL of the document that holds them.
A document that is not well-formed TwiML, or a webhook that fails, ends the call as ``failed``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

from hotline.simulator.conferences import JoinSettings, wait_any
from hotline.simulator.world import Call, Callback, Fetch, new_sid, utcnow

if TYPE_CHECKING:
    from hotline.simulator.engine import Simulator

log = logging.getLogger(__name__)
Element = ElementTree.Element
APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
WAIT_VERBS = frozenset({"Say", "Play", "Pause", "Redirect"})
PROMPT_VERBS = frozenset({"Say", "Play", "Pause"})
DIAL_NOUNS = frozenset({"Number", "Client", "Conference", "Sip", "Queue", "Sim", "Application"})
# Simulated speaking time per character (CJK characters take longer to say).
SPEECH_S_PER_CHAR = 0.06
SPEECH_S_PER_CJK_CHAR = 0.25


class TwimlError(Exception):
    """The document is not TwiML the simulator can run."""


class CallOver(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The TwiML ended the call (Hangup, Reject, an error) with ``status``."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class Document:
    root: Element
    # The URL the document came from: the base for its relative URLs (None for inline TwiML).
    url: str | None

    def resolve(self, reference: str | None) -> str | None:
        if reference is None or not reference.strip():
            return None
        reference = reference.strip()
        if urlsplit(reference).scheme:
            return reference
        return urljoin(self.url, reference) if self.url else None


def parse(text: str, url: str | None) -> Document:
    try:
        root = ElementTree.fromstring(text.strip())
    except ElementTree.ParseError as exc:
        raise TwimlError(f"malformed TwiML: {exc}") from exc
    if root.tag != "Response":
        raise TwimlError(f"the root element is <{root.tag}>, not <Response>")
    return Document(root=root, url=url)


def parse_message_replies(text: str, *, default_to: str) -> list[tuple[str, str]]:
    """The <Message> replies in a messaging TwiML answer: (to, body) pairs."""
    try:
        document = parse(text, None)
    except TwimlError:
        return []
    replies = []
    for element in document.root:
        if element.tag != "Message":
            continue
        body_element = element.find("Body")
        body = body_element.text if body_element is not None else element.text
        replies.append((element.get("to") or default_to, (body or "").strip()))
    return replies


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() == "true"


def _number(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def speaking_time(text: str) -> float:
    return sum(SPEECH_S_PER_CJK_CHAR if ord(char) >= 0x2E80 else SPEECH_S_PER_CHAR for char in text)


class CallRunner:
    """Runs TwiML for one call. One runner lives inside the call's task."""

    def __init__(self, sim: Simulator, call: Call) -> None:
        self.sim = sim
        self.call = call

    def note(self, kind: str, text: str, **detail: object) -> None:
        self.sim.record(self.call, kind, text, **detail)

    # ------------------------------------------------------------------ documents

    async def run(self, first: Fetch) -> str:
        """Follow documents from ``first`` until the call ends; returns its final status."""
        following: Fetch | None = first
        try:
            while following is not None:
                document = await self.load(following)
                following = await self.execute(document)
        except CallOver as over:
            return over.status
        return "completed"

    async def load(self, fetch: Fetch) -> Document:
        if fetch.twiml is not None:
            return self._parse_or_fail(fetch.twiml, None)
        if fetch.url is None:
            self.note("error", "no URL to fetch TwiML from")
            raise CallOver("failed")
        params = {**self.sim.params(self.call), **fetch.extra}
        result = await self.sim.fetch(self.call, fetch.url, fetch.method, params, fetch.purpose)
        if not result.ok:
            reason = result.error or f"HTTP {result.status}"
            self.note("error", f"webhook failed: {reason}", url=result.url, status=result.status)
            self._application_error()
            raise CallOver("failed")
        if result.content_type.startswith("audio/"):
            root = Element("Response")
            ElementTree.SubElement(root, "Play").text = result.url
            return Document(root=root, url=result.url)
        return self._parse_or_fail(result.body, fetch.url)

    def _parse_or_fail(self, text: str, url: str | None) -> Document:
        try:
            return parse(text, url)
        except TwimlError as exc:
            self.note("error", str(exc), url=url)
            self._application_error()
            raise CallOver("failed") from exc

    def _application_error(self) -> None:
        if self.call.answered:
            self.note("say", APPLICATION_ERROR, language="en-US", system=True)

    async def execute(self, document: Document) -> Fetch | None:
        """Run the verbs in order; the next document to fetch, or None when it runs out."""
        verbs = list(document.root)
        if not self.call.answered and not (verbs and verbs[0].tag == "Reject"):
            self.sim.mark_answered(self.call)
        for verb in verbs:
            handler = getattr(self, f"_verb_{verb.tag.lower()}", None)
            if handler is None:
                self.note("error", f"unsupported verb <{verb.tag}> skipped", verb=verb.tag)
                continue
            following: Fetch | None = await handler(verb, document)
            if following is not None:
                return following
        return None

    async def play_wait(self, fetch: Fetch) -> Fetch | None:
        """One pass of a conference waitUrl: Say, Play, Pause; a Redirect to follow, if any."""
        try:
            document = await self.load(fetch)
        except CallOver:
            return None
        for verb in document.root:
            if verb.tag not in WAIT_VERBS:
                self.note("error", f"<{verb.tag}> is not allowed in a waitUrl", verb=verb.tag)
                continue
            handler = getattr(self, f"_verb_{verb.tag.lower()}")
            following: Fetch | None = await handler(verb, document)
            if following is not None:
                following.purpose = "wait"
                return following
        return None

    # ------------------------------------------------------------------ input

    def _take_digit(self) -> str:
        digit, self.call.digits = self.call.digits[0], self.call.digits[1:]
        return digit

    async def _wait_input(self, timeout: float) -> bool:
        """Wait up to ``timeout`` real seconds for a key press; True if one is buffered."""
        if self.call.digits:
            return True
        self.call.input_event.clear()
        if timeout <= 0:
            return False
        try:
            await asyncio.wait_for(self.call.input_event.wait(), timeout)
        except TimeoutError:
            return bool(self.call.digits)
        return bool(self.call.digits)

    async def _prompt(self, seconds: float, interruptible: bool) -> None:
        """A prompt lasting ``seconds`` simulated seconds; a key press cuts it short."""
        if not interruptible:
            await self.sim.sleep(seconds)
            return
        await self._wait_input(seconds * self.sim.config.time_scale)

    # ------------------------------------------------------------------ verbs

    async def _verb_say(
        self, verb: Element, document: Document, interruptible: bool = False
    ) -> Fetch | None:
        text = "".join(verb.itertext()).strip()
        loop = int(_number(verb.get("loop"), 1))
        self.note(
            "say",
            text,
            language=verb.get("language", "en-US"),
            voice=verb.get("voice", ""),
            loop=loop,
        )
        await self._prompt(speaking_time(text) * max(1, loop), interruptible)
        return None

    async def _verb_play(
        self, verb: Element, document: Document, interruptible: bool = False
    ) -> Fetch | None:
        url = (verb.text or "").strip()
        loop = int(_number(verb.get("loop"), 1))
        self.note("play", document.resolve(url) or url, loop=loop, digits=verb.get("digits"))
        await self._prompt(1.0 * max(1, loop), interruptible)
        return None

    async def _verb_pause(
        self, verb: Element, document: Document, interruptible: bool = False
    ) -> Fetch | None:
        length = _number(verb.get("length"), 1)
        self.note("pause", f"{length:g}s", length=length)
        await self._prompt(length, interruptible)
        return None

    async def _verb_redirect(self, verb: Element, document: Document) -> Fetch | None:
        url = document.resolve(verb.text)
        if url is None:
            self.note("error", "<Redirect> without a usable URL")
            raise CallOver("failed")
        return Fetch(url, verb.get("method", "POST"), purpose="redirect")

    async def _verb_hangup(self, verb: Element, document: Document) -> Fetch | None:
        raise CallOver("completed")

    async def _verb_reject(self, verb: Element, document: Document) -> Fetch | None:
        reason = verb.get("reason", "rejected")
        self.note("status", "rejected", reason=reason)
        if self.call.answered:
            raise CallOver("completed")
        raise CallOver("busy" if reason == "busy" else "no-answer")

    async def _verb_gather(self, verb: Element, document: Document) -> Fetch | None:
        input_kinds = verb.get("input", "dtmf").split()
        num_digits = int(_number(verb.get("numDigits"), 0))
        finish_on_key = verb.get("finishOnKey", "#")
        timeout = _number(verb.get("timeout"), 5)
        action = document.resolve(verb.get("action")) or document.url
        method = verb.get("method", "POST")
        on_empty = _bool(verb.get("actionOnEmptyResult"), False)
        self.note(
            "gather",
            "",
            input=" ".join(input_kinds),
            num_digits=num_digits or None,
            finish_on_key=finish_on_key,
            timeout=timeout,
            action=action,
        )
        for child in verb:
            if child.tag not in PROMPT_VERBS:
                self.note("error", f"<{child.tag}> is not allowed in <Gather>", verb=child.tag)
                continue
            # A key press (or a queued one) cuts the prompts short, as on Twilio.
            handler = getattr(self, f"_verb_{child.tag.lower()}")
            await handler(child, document, interruptible=True)
        collected = ""
        finished_on = ""
        if "dtmf" in input_kinds:
            while True:
                if not await self._wait_input(self.sim.human_wait(timeout)):
                    break
                key = self._take_digit()
                if finish_on_key and key == finish_on_key:
                    finished_on = key
                    break
                collected += key
                if num_digits and len(collected) >= num_digits:
                    break
        else:
            await asyncio.sleep(self.sim.human_wait(timeout))
        if not collected and not on_empty:
            self.note("gather", "timeout", action=None)
            return None
        self.note("digits", collected, gathered=True, finished_on_key=finished_on)
        if action is None:
            return None
        return Fetch(
            action,
            method,
            extra={"Digits": collected, "FinishedOnKey": finished_on},
            purpose="gather",
        )

    async def _verb_record(self, verb: Element, document: Document) -> Fetch | None:
        action = document.resolve(verb.get("action")) or document.url
        method = verb.get("method", "POST")
        max_length = _number(verb.get("maxLength"), 3600)
        finish_on_key = verb.get("finishOnKey", "1234567890*#")
        if _bool(verb.get("playBeep"), True):
            self.note("play", "beep")
        self.note("record", "recording", max_length=max_length, finish_on_key=finish_on_key)
        recording_sid = new_sid("RE")
        recording_url = (
            f"{self.sim.config.base_url}/2010-04-01/Accounts/{self.sim.config.account_sid}"
            f"/Recordings/{recording_sid}"
        )
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        started_at = utcnow()
        deadline = loop.time() + self.sim.human_wait(max_length)
        pressed = ""

        def outcome(digits: str) -> dict[str, str]:
            elapsed = time.monotonic() - started
            scale = self.sim.config.gather_time_scale
            duration = min(max_length, elapsed / scale) if scale > 0 else 0.0
            if not digits:
                duration = max_length
            # The message exists from now on: its media is served like any recording's.
            self.sim.add_recording(
                source="RecordVerb",
                start_time=started_at,
                duration=max(1, round(duration)),
                call_sid=self.call.sid,
                sid=recording_sid,
            )
            return {
                "RecordingDuration": str(round(duration)),
                "RecordingSid": recording_sid,
                "RecordingUrl": recording_url,
                **({"Digits": digits} if digits else {}),
            }

        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0 or not await self._wait_input(remaining):
                    break
                key = self._take_digit()
                if key in finish_on_key:
                    pressed = key
                    break
        except asyncio.CancelledError:
            # The caller hung up: Twilio still posts the action, and ignores the answer.
            if action is not None:
                extra = outcome("hangup")
                params = {**self.sim.params(self.call), **extra}
                self.sim.spawn(
                    self.sim.fetch(self.call, action, method, params, "record"),
                    f"sim-record-{self.call.sid}",
                )
            raise
        extra = outcome(pressed)
        self.note(
            "record",
            recording_url,
            duration=extra["RecordingDuration"],
            recording_sid=recording_sid,
            digits=pressed,
        )
        if action is None:
            return None
        return Fetch(action, method, extra=extra, purpose="record")

    async def _verb_dial(self, verb: Element, document: Document) -> Fetch | None:
        action = document.resolve(verb.get("action"))
        method = verb.get("method", "POST")
        nouns = [child for child in verb if child.tag in DIAL_NOUNS]
        text = (verb.text or "").strip()
        if not nouns and text:
            number = Element("Number")
            number.text = text
            nouns = [number]
        if not nouns:
            self.note("error", "<Dial> with nothing to dial")
            return None
        conference = next((noun for noun in nouns if noun.tag == "Conference"), None)
        if conference is not None:
            extra = await self._dial_conference(verb, conference, document)
        else:
            extra = await self._dial_endpoints(verb, nouns, document)
        if action is None:
            return None
        return Fetch(action, method, extra=extra, purpose="dial")

    async def _dial_endpoints(
        self, verb: Element, nouns: list[Element], document: Document
    ) -> dict[str, str]:
        timeout = _number(verb.get("timeout"), 30)
        caller_id = verb.get("callerId") or self.call.from_
        time_limit = verb.get("timeLimit")
        legs: list[Call] = []
        for noun in nouns:
            if noun.tag == "Number":
                target = (noun.text or "").strip()
            elif noun.tag == "Client":
                identity = noun.find("Identity")
                name = identity.text if identity is not None else noun.text
                target = f"client:{(name or '').strip()}"
            else:
                self.note("error", f"<Dial><{noun.tag}> is not supported", noun=noun.tag)
                continue
            callback = None
            status_callback = document.resolve(noun.get("statusCallback"))
            if status_callback:
                events = (noun.get("statusCallbackEvent") or "completed").replace(",", " ")
                callback = Callback(
                    status_callback,
                    noun.get("statusCallbackMethod", "POST"),
                    frozenset(events.split()) | {"completed"},
                )
            legs.append(
                self.sim.create_call(
                    to=target,
                    from_=caller_id,
                    first=None,
                    status_callback=callback,
                    timeout_s=timeout,
                    parent=self.call,
                )
            )
        if not legs:
            return {"DialCallStatus": "failed"}
        self.note(
            "dial",
            ", ".join(leg.to for leg in legs),
            legs=[leg.sid for leg in legs],
            timeout=timeout,
            caller_id=caller_id,
        )
        connected: Call | None = None
        while connected is None:
            connected = next((leg for leg in legs if leg.answered), None)
            ringing = [leg for leg in legs if not leg.is_over]
            if connected is not None or not ringing:
                break
            await wait_any(
                *(leg.answered_event for leg in ringing), *(leg.ended for leg in ringing)
            )
        if connected is None:
            statuses = [leg.status for leg in legs]
            status = next(
                (s for s in ("busy", "no-answer", "failed", "canceled") if s in statuses),
                "failed",
            )
            self.note("dial", status, legs=[leg.sid for leg in legs])
            return {"DialCallStatus": status, "DialCallSid": legs[0].sid, "DialCallDuration": "0"}
        for leg in legs:
            if leg is not connected and not leg.is_over:
                self.sim.end_call(leg, "canceled")
        self.note("dial", "bridged", leg=connected.sid)
        limit = _number(time_limit, 0) if time_limit else 0
        if limit > 0:
            try:
                await asyncio.wait_for(connected.ended.wait(), limit * self.sim.config.time_scale)
            except TimeoutError:
                self.sim.end_call(connected, "completed")
        else:
            await connected.ended.wait()
        self.note("dial", "completed", leg=connected.sid, duration=connected.duration)
        return {
            "DialBridged": "true",
            "DialCallDuration": str(connected.duration or 0),
            "DialCallSid": connected.sid,
            "DialCallStatus": "completed",
        }

    async def _dial_conference(
        self, verb: Element, noun: Element, document: Document
    ) -> dict[str, str]:
        name = (noun.text or "").strip()
        status_callback = document.resolve(noun.get("statusCallback"))
        callback = None
        if status_callback:
            events = noun.get("statusCallbackEvent")
            callback = Callback(
                status_callback,
                noun.get("statusCallbackMethod", "POST"),
                frozenset(events.replace(",", " ").split())
                if events
                else frozenset({"start", "end"}),
            )
        raw_wait_url = noun.get("waitUrl")
        settings = JoinSettings(
            label=noun.get("participantLabel"),
            muted=_bool(noun.get("muted"), False),
            # coach="CA..." makes this participant whisper to that call.
            coaching=bool(noun.get("coach")),
            call_sid_to_coach=noun.get("coach") or None,
            start_conference_on_enter=_bool(noun.get("startConferenceOnEnter"), True),
            end_conference_on_exit=_bool(noun.get("endConferenceOnExit"), False),
            beep=noun.get("beep", "true"),
            wait_url=None if raw_wait_url is None else (document.resolve(raw_wait_url) or ""),
            wait_method=noun.get("waitMethod", "POST"),
        )
        self.note("dial", name, conference=True)
        conferences = self.sim.conferences
        conference = conferences.open(name, callback)
        if noun.get("record") == "record-from-start":
            recording_callback = document.resolve(noun.get("recordingStatusCallback"))
            events = noun.get("recordingStatusCallbackEvent") or "completed"
            conferences.ask_to_record(
                conference,
                Callback(
                    recording_callback,
                    noun.get("recordingStatusCallbackMethod", "POST"),
                    frozenset(events.replace(",", " ").split()),
                )
                if recording_callback
                else None,
            )
        participant = conferences.join(conference, self.call, settings)
        joined = time.monotonic()
        try:
            await conferences.stay(self.call, participant, self)
        finally:
            if participant.present:  # cancelled: a REST redirect moved the call on
                conferences.leave(participant, "hangup" if self.call.is_over else "redirect")
        return {
            "DialCallDuration": str(round(time.monotonic() - joined)),
            "DialCallStatus": "completed",
        }
