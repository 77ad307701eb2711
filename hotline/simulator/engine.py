"""The simulator's behaviour: calls, simulated phones, status callbacks and background tasks.

All of it runs on the serving event loop. Each live call has one asyncio task that drives it
(ringing, then its TwiML, or its place in a conference); ending or redirecting a call cancels that
task. Tasks start on first use (a mounted sub-app gets no lifespan events) and are cancelled at
shutdown: by ``aclose()`` when the standalone app's lifespan ends, and otherwise when the event
loop tears down (a keeper task then cancels the calls and closes the HTTP client).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from hotline.simulator.conferences import Conferences
from hotline.simulator.config import SimulatorConfig
from hotline.simulator.params import call_params, country_of, progress_params
from hotline.simulator.twiml import CallRunner, parse_message_replies
from hotline.simulator.webhooks import OrderedDispatcher, WebhookResult, WebhookSender
from hotline.simulator.world import (
    Call,
    Callback,
    Fetch,
    Message,
    PhoneMode,
    Recording,
    TranscriptEntry,
    World,
    new_sid,
    segments,
    utcnow,
)

log = logging.getLogger(__name__)


class SimulatorError(Exception):
    """A request the simulator refuses; ``code`` is the Twilio error code."""

    def __init__(self, message: str, *, code: int = 21220, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


async def wait_event(event: asyncio.Event, timeout: float | None) -> bool:
    """Wait for ``event`` at most ``timeout`` real seconds; True if it is set."""
    if event.is_set():
        return True
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True


class Simulator:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.world = World()
        self.sender = WebhookSender(config)
        self.callbacks = OrderedDispatcher(self.sender, self.spawn)
        self.conferences = Conferences(self)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._keeper: asyncio.Task[None] | None = None
        self._closing = False

    # ------------------------------------------------------------------ tasks and time

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        if not self._closing:
            self._ensure_keeper()
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        if self._closing:
            # Shutting down: work started by cancelled calls' clean-up never runs.
            task.cancel()
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator task %s failed", task.get_name(), exc_info=task.exception())

    def _ensure_keeper(self) -> None:
        loop = asyncio.get_running_loop()
        if self._keeper is not None and not self._keeper.done():
            if self._keeper.get_loop() is loop:
                return
        self._keeper = loop.create_task(self._keep(), name="sim-keeper")

    async def _keep(self) -> None:
        try:
            await asyncio.Future()
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        await self._cancel_tasks()
        await self.sender.aclose()

    async def _cancel_tasks(self) -> None:
        """Cancel every task; what their clean-up starts is cancelled too (no callbacks)."""
        current = asyncio.current_task()
        self._closing = True
        try:
            while tasks := [t for t in self._tasks if t is not current and not t.done()]:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._closing = False

    async def aclose(self) -> None:
        """Cancel every background task and close the webhook HTTP client."""
        keeper, self._keeper = self._keeper, None
        if keeper is not None and not keeper.done():
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        else:
            await self._shutdown()

    async def reset(self, *, numbers: bool = False) -> None:
        """Stop every call silently and forget calls, conferences, messages, recordings and phone
        settings; the registered numbers too if ``numbers``."""
        await self._cancel_tasks()
        world = self.world
        for records in (
            world.calls,
            world.conferences,
            world.messages,
            world.phones,
            world.recordings,
        ):
            records.clear()
        if numbers:
            world.numbers.clear()

    async def sleep(self, simulated_s: float) -> None:
        """A simulated duration (Pause, speaking, ringing), scaled by time_scale."""
        await asyncio.sleep(max(0.0, simulated_s * self.config.time_scale))

    def human_wait(self, simulated_s: float) -> float:
        """Real seconds to wait for a person (Gather, Record, a manual phone)."""
        return max(0.0, simulated_s * self.config.gather_time_scale)

    # ------------------------------------------------------------------ transcript and hooks

    def record(self, call: Call, kind: str, text: str, **detail: Any) -> None:
        call.transcript.append(TranscriptEntry(at=utcnow(), kind=kind, text=text, detail=detail))

    def runner(self, call: Call) -> CallRunner:
        return CallRunner(self, call)

    def params(self, call: Call) -> dict[str, str]:
        return call_params(call, self.config.account_sid)

    async def fetch(
        self, call: Call, url: str, method: str, params: dict[str, str], purpose: str
    ) -> WebhookResult:
        """A webhook whose answer the call waits for (TwiML); recorded in its transcript."""
        log.debug("call %s fetching %s %s", call.sid, method, url)
        result = await self.sender.send(url, params, method)
        self.record(call, "webhook", result.url, **result.detail(params, purpose))
        return result

    def notify(
        self,
        key: str,
        call: Call | None,
        url: str,
        params: dict[str, str],
        method: str,
        purpose: str,
    ) -> None:
        """An asynchronous callback, in order per ``key``; recorded in ``call``'s transcript."""

        def done(result: WebhookResult) -> None:
            if call is not None:
                self.record(call, "webhook", result.url, **result.detail(params, purpose))

        self.callbacks.post(key, url, params, method, done)

    def progress(self, call: Call, event: str) -> None:
        """A call progress event (initiated, ringing, answered, completed) if subscribed."""
        callback = call.status_callback
        if callback is None or event not in callback.events:
            return
        status = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress"}.get(
            event, call.status
        )
        params = progress_params(call, self.config.account_sid, call.callback_sequence, status)
        call.callback_sequence += 1
        self.notify(call.sid, call, callback.url, params, callback.method, f"status:{event}")

    # ------------------------------------------------------------------ calls

    def new_call(
        self,
        *,
        from_: str,
        to: str,
        direction: str,
        status: str,
        parent: Call | None = None,
        status_callback: Callback | None = None,
        phone_number_sid: str | None = None,
    ) -> Call:
        call = Call(
            sid=new_sid("CA"),
            account_sid=self.config.account_sid,
            from_=from_,
            to=to,
            direction=direction,
            status=status,
            parent_call_sid=parent.sid if parent else None,
            status_callback=status_callback,
            phone_number_sid=phone_number_sid,
        )
        self.world.calls[call.sid] = call
        if parent is not None:
            parent.children.append(call.sid)
        log.info("call %s created (%s)", call.sid, direction)
        return call

    def place_inbound(self, from_: str, to: str, digits: str = "") -> Call:
        """A caller dials ``to``: Twilio asks the number's VoiceUrl what to do."""
        number = self.world.number_by_phone(to)
        if number is None or not number.voice_url:
            raise SimulatorError(
                "no number with a voice URL is registered there", status=404, code=20404
            )
        callback = (
            Callback(number.status_callback, number.status_callback_method)
            if number.status_callback
            else None
        )
        call = self.new_call(
            from_=from_,
            to=to,
            direction="inbound",
            status="ringing",
            status_callback=callback,
            phone_number_sid=number.sid,
        )
        call.digits = digits
        if digits:
            self.record(call, "digits", digits, queued=True)
        first = Fetch(number.voice_url, number.voice_method)
        call.task = self.spawn(self._drive(call, first), f"sim-call-{call.sid}")
        return call

    def create_call(
        self,
        *,
        to: str,
        from_: str,
        first: Fetch | None,
        status_callback: Callback | None,
        timeout_s: float,
        parent: Call | None = None,
    ) -> Call:
        """An outbound call: ring ``to``, then run ``first`` when answered.

        REST Calls.create gives ``first``; a <Dial> leg (``parent`` set) has none and stays
        bridged to its parent instead.
        """
        call = self.new_call(
            from_=from_,
            to=to,
            direction="outbound-dial" if parent else "outbound-api",
            status="queued",
            parent=parent,
            status_callback=status_callback,
        )
        call.first = first
        call.ring_timeout_s = timeout_s
        call.task = self.spawn(self._run_outbound(call), f"sim-call-{call.sid}")
        return call

    async def _run_outbound(self, call: Call) -> None:
        outcome = await self.ring(call)
        if outcome != "answered":
            self.end_call(call, outcome)
        elif call.first is not None:
            await self._drive(call, call.first)
        else:
            # A <Dial> leg: bridged to its parent until one side hangs up.
            await call.ended.wait()

    async def _drive(self, call: Call, first: Fetch) -> None:
        """Run the call's TwiML from ``first`` to its end, then end the call."""
        try:
            status = await self.runner(call).run(first)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("call %s: simulator error", call.sid)
            self.record(call, "error", f"simulator error: {exc}")
            status = "failed"
        self.end_call(call, status)

    async def ring(self, call: Call) -> str:
        """Ring a simulated phone: 'answered', or how the attempt ended."""
        phone = self.world.phone(call.to)
        timeout = call.ring_timeout_s
        self.progress(call, "initiated")
        self.record(call, "status", "initiated", mode=phone.mode)
        if phone.mode == "fail":
            return "failed"
        if phone.mode == "busy":
            return "busy"
        call.status = "ringing"
        call.touch()
        self.progress(call, "ringing")
        self.record(call, "status", "ringing")
        if phone.mode == "manual":
            if not await wait_event(call.answer_event, self.human_wait(timeout)):
                return "no-answer"
        elif phone.mode == "no-answer" or phone.answer_delay_s >= timeout:
            await self.sleep(timeout)
            return "no-answer"
        else:
            await self.sleep(phone.answer_delay_s)
        self.mark_answered(call)
        return "answered"

    def mark_answered(self, call: Call) -> None:
        if call.answered or call.is_over:
            return
        call.status = "in-progress"
        call.start_time = utcnow()
        call.touch()
        call.answered_event.set()
        self.progress(call, "answered")
        self.record(call, "status", "in-progress")

    def end_call(self, call: Call, status: str) -> None:
        """The call is over: stop its task, take it out of its conference, report it."""
        if call.is_over:
            return
        if status == "completed" and not call.answered and call.direction != "inbound":
            status = "canceled"
        call.status = status
        call.end_time = utcnow()
        call.touch()
        task = call.task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
        self.conferences.call_ended(call)
        for child_sid in call.children:
            child = self.world.calls.get(child_sid)
            if child is not None and not child.is_over:
                self.end_call(child, "completed" if child.answered else "canceled")
        self.record(call, "hangup", status, duration=call.duration)
        log.info("call %s ended: %s", call.sid, status)
        self.progress(call, "completed")
        call.ended.set()

    # ------------------------------------------------------------------ recordings

    def add_recording(
        self,
        *,
        source: str,
        start_time: datetime,
        duration: int,
        conference_sid: str | None = None,
        call_sid: str | None = None,
        sid: str | None = None,
    ) -> Recording:
        recording = Recording(
            sid=sid or new_sid("RE"),
            account_sid=self.config.account_sid,
            source=source,
            start_time=start_time,
            duration=duration,
            conference_sid=conference_sid,
            call_sid=call_sid,
        )
        self.world.recordings[recording.sid] = recording
        log.info("recording %s completed (%d s)", recording.sid, duration)
        return recording

    def recording_url(self, recording: Recording) -> str:
        """Twilio's RecordingUrl: the media resource, without an extension."""
        return (
            f"{self.config.base_url}/2010-04-01/Accounts/{recording.account_sid}"
            f"/Recordings/{recording.sid}"
        )

    # ------------------------------------------------------------------ control

    def call(self, sid: str) -> Call:
        call = self.world.calls.get(sid)
        if call is None:
            raise SimulatorError(f"call {sid} not found", status=404, code=20404)
        return call

    def press(self, call: Call, digits: str) -> None:
        if call.is_over:
            raise SimulatorError("the call is over", status=409)
        call.digits += digits
        self.record(call, "digits", digits)
        call.input_event.set()

    def answer(self, call: Call) -> None:
        if call.is_over or call.direction == "inbound":
            raise SimulatorError("only a ringing outbound leg can be answered", status=409)
        call.answer_event.set()

    def hang_up(self, call: Call) -> None:
        """The person on this leg hangs up (declines, if it is still ringing)."""
        if call.is_over:
            return
        if call.direction == "inbound":
            self.end_call(call, "completed" if call.answered else "canceled")
        else:
            self.end_call(call, "completed" if call.answered else "busy")

    def set_phone(self, number: str, mode: PhoneMode, answer_delay_s: float = 0.0) -> None:
        phone = self.world.phone(number)
        phone.mode = mode
        phone.answer_delay_s = answer_delay_s
        self.world.phones[number] = phone

    async def redirect(self, call: Call, first: Fetch) -> None:
        """REST update with Url/Twiml: abandon what the call is doing and run new TwiML."""
        if call.is_over:
            raise SimulatorError("Call is not in-progress. Cannot redirect.", code=21220)
        if not call.answered and call.direction != "inbound":
            # Still ringing: the new TwiML runs when it is answered.
            call.first = first
            return
        old = call.task
        if old is not None and old is not asyncio.current_task() and not old.done():
            old.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await old
        if call.is_over:
            return
        self.conferences.call_redirected(call)
        for child_sid in call.children:
            child = self.world.calls.get(child_sid)
            if child is not None and not child.is_over:
                self.end_call(child, "completed" if child.answered else "canceled")
        self.record(call, "status", "redirected", url=first.url)
        call.task = self.spawn(self._drive(call, first), f"sim-call-{call.sid}")

    # ------------------------------------------------------------------ messages

    def send_message(
        self, *, from_: str, to: str, body: str, status_callback: str | None, direction: str
    ) -> Message:
        message = Message(
            sid=new_sid("SM"),
            account_sid=self.config.account_sid,
            from_=from_,
            to=to,
            body=body,
            direction=direction,
            status="queued",
            status_callback=status_callback,
        )
        self.world.messages[message.sid] = message
        log.info("message %s queued", message.sid)
        self.spawn(self._deliver_message(message), f"sim-sms-{message.sid}")
        return message

    async def _deliver_message(self, message: Message) -> None:
        for status in ("sent", "delivered"):
            await self.sleep(0.5)
            message.status = status
            message.updated_at = utcnow()
            if status == "sent":
                message.sent_at = message.updated_at
            if message.status_callback:
                params = {
                    "AccountSid": message.account_sid,
                    "ApiVersion": "2010-04-01",
                    "From": message.from_,
                    "MessageSid": message.sid,
                    "MessageStatus": status,
                    "SmsSid": message.sid,
                    "SmsStatus": status,
                    "To": message.to,
                }
                self.callbacks.post(message.sid, message.status_callback, params)

    async def receive_message(self, *, from_: str, to: str, body: str) -> Message:
        """An SMS arrives at one of the numbers: POST its SmsUrl, send any <Message> reply."""
        number = self.world.number_by_phone(to)
        if number is None:
            raise SimulatorError("no number is registered there", status=404, code=20404)
        message = Message(
            sid=new_sid("SM"),
            account_sid=self.config.account_sid,
            from_=from_,
            to=to,
            body=body,
            direction="inbound",
            status="received",
        )
        self.world.messages[message.sid] = message
        if not number.sms_url:
            return message
        params = {
            "AccountSid": message.account_sid,
            "ApiVersion": "2010-04-01",
            "Body": body,
            "From": from_,
            "FromCity": "",
            "FromCountry": country_of(from_),
            "FromState": "",
            "FromZip": "",
            "MessageSid": message.sid,
            "NumMedia": "0",
            "NumSegments": str(segments(body)),
            "SmsMessageSid": message.sid,
            "SmsSid": message.sid,
            "SmsStatus": "received",
            "To": to,
            "ToCity": "",
            "ToCountry": country_of(to),
            "ToState": "",
            "ToZip": "",
        }
        result = await self.sender.send(number.sms_url, params, number.sms_method)
        if result.ok:
            for reply_to, reply_body in parse_message_replies(result.body, default_to=from_):
                self.send_message(
                    from_=to,
                    to=reply_to,
                    body=reply_body,
                    status_callback=None,
                    direction="outbound-reply",
                )
        return message
