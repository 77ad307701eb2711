"""Test support: a real uvicorn server hosting a tiny "customer app" with the simulator at /sim.

The customer app answers the simulator's webhooks with TwiML built by the twilio library, checks
every ``X-Twilio-Signature`` with ``RequestValidator`` and records what it received.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from hotline.simulator.client import SimulatorControl

ACCOUNT_SID = "AC" + "a1" * 16
CONTROL_TOKEN = "simulator-tests-control-token"
AUTH_TOKEN = "test-auth-token"
LINE = "+8610096525"
CALLER = "+8613800138000"
COUNSELOR = "+8613900000001"


@contextlib.contextmanager
def serve(app: Any, sock: socket.socket) -> Iterator[None]:
    """Run an ASGI app under uvicorn on an already bound socket, in a background thread."""
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class Hook:
    path: str
    query: str
    params: dict[str, str]
    valid: bool
    at: float = field(default_factory=time.monotonic)


class Recorder:
    def __init__(self) -> None:
        self.hooks: list[Hook] = []
        self._lock = threading.Lock()

    def add(self, hook: Hook) -> None:
        with self._lock:
            self.hooks.append(hook)

    def clear(self) -> None:
        with self._lock:
            self.hooks.clear()

    def find(self, path: str, **params: str) -> list[Hook]:
        with self._lock:
            hooks = list(self.hooks)
        return [
            h
            for h in hooks
            if h.path == path and all(h.params.get(k) == v for k, v in params.items())
        ]


def customer_app(recorder: Recorder, base: str) -> FastAPI:
    """The application under test, reduced to TwiML answers; the simulator is mounted at /sim."""
    app = FastAPI()
    validator = RequestValidator(AUTH_TOKEN)

    async def received(request: Request) -> dict[str, str]:
        form = await request.form()
        params = {k: str(v) for k, v in form.items()}
        url = str(request.url)
        signature = request.headers.get("X-Twilio-Signature", "")
        valid = validator.validate(url, params, signature)
        recorder.add(Hook(request.url.path, request.url.query, params, valid))
        return params

    def twiml(response: VoiceResponse) -> Response:
        return Response(str(response), media_type="application/xml")

    @app.post("/voice")
    async def voice(request: Request) -> Response:
        await received(request)
        response = VoiceResponse()
        gather = Gather(num_digits=1, action="gather?step=menu", method="POST", timeout=5)
        gather.say("Welcome. Press 1 to talk to a counselor.", language="en-US")
        response.append(gather)
        response.say("We did not get your choice.", language="en-US")
        return twiml(response)

    @app.post("/gather")
    async def gather(request: Request) -> Response:
        params = await received(request)
        response = VoiceResponse()
        if params.get("Digits") == "2":
            dial = Dial(action="/after", method="POST", timeout=10)
            dial.number(COUNSELOR)
            response.append(dial)
            return twiml(response)
        response.say("Connecting you.", language="en-US")
        dial = Dial(action="/after", method="POST")
        # 3: the same, recorded (as hotline asks for a line that records).
        recorded: dict[str, str] = {}
        if params.get("Digits") == "3":
            recorded = {
                "record": "record-from-start",
                "recording_status_callback": "recording-status",
                "recording_status_callback_event": "completed",
                "recording_status_callback_method": "POST",
            }
        dial.conference(
            params["CallSid"],
            start_conference_on_enter=False,
            end_conference_on_exit=True,
            beep=False,
            wait_url="hold?lang=en",
            wait_method="POST",
            status_callback=f"{base}/conference-status",
            status_callback_event="start end join leave",
            status_callback_method="POST",
            **recorded,
        )
        response.append(dial)
        return twiml(response)

    @app.post("/hold")
    async def hold(request: Request) -> Response:
        await received(request)
        response = VoiceResponse()
        response.say("Please hold.", language="en-US")
        response.pause(length=20)
        return twiml(response)

    @app.post("/after")
    async def after(request: Request) -> Response:
        await received(request)
        response = VoiceResponse()
        response.say("Goodbye.", language="en-US")
        response.hangup()
        return twiml(response)

    @app.post("/redirected")
    async def redirected(request: Request) -> Response:
        await received(request)
        response = VoiceResponse()
        response.say("You were moved.", language="en-US")
        response.hangup()
        return twiml(response)

    @app.post("/page")
    async def page(request: Request) -> Response:
        await received(request)
        response = VoiceResponse()
        gather = Gather(num_digits=1, action="/page-ack", method="POST", timeout=10)
        gather.say("High-risk call waiting. Press 1 to accept.", language="en-US")
        response.append(gather)
        response.say("No answer recorded.", language="en-US")
        return twiml(response)

    @app.post("/page-ack")
    async def page_ack(request: Request) -> Response:
        await received(request)
        response = VoiceResponse()
        response.say("Thank you.", language="en-US")
        response.hangup()
        return twiml(response)

    @app.post("/voicemail")
    async def voicemail(request: Request) -> Response:
        await received(request)
        response = VoiceResponse()
        response.say("Leave a message after the tone.", language="en-US")
        response.record(action="recorded", max_length=30, play_beep=True, finish_on_key="#")
        return twiml(response)

    @app.post("/recorded")
    async def recorded(request: Request) -> Response:
        await received(request)
        response = VoiceResponse()
        response.say("Thank you for your message.", language="en-US")
        response.hangup()
        return twiml(response)

    @app.post("/reject")
    async def reject(request: Request) -> Response:
        await received(request)
        response = VoiceResponse()
        response.reject(reason="busy")
        return twiml(response)

    failed_once: set[str] = set()

    @app.post("/flaky")
    async def flaky(request: Request) -> Response:
        params = await received(request)
        if params["CallSid"] not in failed_once:
            failed_once.add(params["CallSid"])
            return Response("try again", status_code=503)
        response = VoiceResponse()
        response.say("Second time lucky.", language="en-US")
        return twiml(response)

    @app.post("/broken")
    async def broken(request: Request) -> Response:
        await received(request)
        return Response("<Response><Say>unclosed</Response>", media_type="application/xml")

    @app.post("/sms")
    async def sms(request: Request) -> Response:
        await received(request)
        return Response(
            "<Response><Message>We got your message.</Message></Response>",
            media_type="application/xml",
        )

    for path in (
        "/status",
        "/conference-status",
        "/participant-status",
        "/call-status",
        "/recording-status",
    ):
        app.add_api_route(path, received_empty(received), methods=["POST"])
    return app


def received_empty(
    received: Callable[[Request], Any],
) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        await received(request)
        return Response("<Response/>", media_type="application/xml")

    return endpoint


@dataclass
class Env:
    base: str
    sim_url: str
    recorder: Recorder
    control: SimulatorControl
    twilio: Client

    def wait_hook(
        self, path: str, count: int = 1, timeout: float = 5.0, **params: str
    ) -> list[Hook]:
        def found() -> list[Hook] | None:
            hooks = self.recorder.find(path, **params)
            return hooks if len(hooks) >= count else None

        return self.control.wait_for(found, timeout)

    def register_line(self) -> None:
        self.control.register_number(
            LINE,
            f"{self.base}/voice",
            status_callback=f"{self.base}/status",
            sms_url=f"{self.base}/sms",
        )

    def twilio_client(self, auth_token: str = AUTH_TOKEN) -> Client:
        client = Client(ACCOUNT_SID, auth_token)
        client.api.base_url = self.sim_url
        return client


EnvFactory = Callable[..., Env]
