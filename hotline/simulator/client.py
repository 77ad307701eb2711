"""A small synchronous client for the simulator's control API, for tests and load scripts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class SimulatorControlError(RuntimeError):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"simulator answered HTTP {status}: {body}")
        self.status = status
        self.body = body


class SimulatorControl:
    """``SimulatorControl("http://127.0.0.1:8000/sim", token)``: place calls, press keys, inspect.

    ``token`` is the simulator's control token (HOTLINE_SIMULATOR_CONTROL_TOKEN when mounted).
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url + "/control",
            timeout=timeout,
            trust_env=False,
            headers={"X-Simulator-Token": token},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SimulatorControl:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _request(
        self, method: str, path: str, json: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        response = self._http.request(method, path, json=json, params=params)
        if response.status_code >= 400:
            raise SimulatorControlError(response.status_code, response.text)
        return response.json()

    # ------------------------------------------------------------------ set-up

    def register_number(
        self,
        number: str,
        voice_url: str,
        status_callback: str | None = None,
        *,
        sms_url: str | None = None,
    ) -> dict[str, Any]:
        """Point ``number``'s voice webhook at ``voice_url`` (REST IncomingPhoneNumbers create)."""
        body = {
            "number": number,
            "voice_url": voice_url,
            "status_callback": status_callback,
            "sms_url": sms_url,
        }
        result: dict[str, Any] = self._request("POST", "/numbers", body)
        return result

    def set_phone(self, number: str, mode: str, answer_delay_s: float = 0.0) -> None:
        """mode: auto | manual | busy | fail | no-answer."""
        self._request(
            "POST", "/phones", {"number": number, "mode": mode, "answer_delay_s": answer_delay_s}
        )

    def reset(self, *, numbers: bool = False) -> None:
        self._request("POST", "/reset", {"numbers": numbers})

    # ------------------------------------------------------------------ calls

    def place_call(self, from_: str, to: str, digits: str = "") -> str:
        """A caller dials ``to``; ``digits`` are key presses queued for the first Gather(s)."""
        call = self._request("POST", "/calls", {"from": from_, "to": to, "digits": digits})
        return str(call["sid"])

    def press(self, call_sid: str, digits: str) -> None:
        self._request("POST", f"/calls/{call_sid}/digits", {"digits": digits})

    def hangup(self, call_sid: str) -> None:
        self._request("POST", f"/calls/{call_sid}/hangup")

    def answer(self, call_sid: str) -> None:
        self._request("POST", f"/calls/{call_sid}/answer")

    def get_call(self, call_sid: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", f"/calls/{call_sid}")
        return result

    def list_calls(self, **filters: str) -> list[dict[str, Any]]:
        """Filters: status, direction, to, from_, active="1", transcript="1"."""
        params = {("from" if k == "from_" else k): v for k, v in filters.items()}
        result: list[dict[str, Any]] = self._request("GET", "/calls", params=params)
        return result

    def get_conference(self, name_or_sid: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", f"/conferences/{name_or_sid}")
        return result

    def list_numbers(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/numbers")
        return result

    def list_conferences(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/conferences")
        return result

    def phones(self) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", "/phones")
        return result

    # ------------------------------------------------------------------ messages

    def list_messages(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/messages")
        return result

    def send_sms(self, from_: str, to: str, body: str) -> dict[str, Any]:
        """An SMS arrives at ``to`` (posted to its SmsUrl)."""
        result: dict[str, Any] = self._request(
            "POST", "/messages", {"from": from_, "to": to, "body": body}
        )
        return result

    # ------------------------------------------------------------------ WeChat

    def wechat_account(
        self, account: str, url: str, token: str, app_id: str = "", app_secret: str = ""
    ) -> dict[str, Any]:
        """Save an official account's server URL and token (the platform checks the URL), and
        the AppID and AppSecret its API's access token is asked for with."""
        body = {"id": account, "url": url, "token": token}
        body |= {"app_id": app_id, "app_secret": app_secret}
        result: dict[str, Any] = self._request("POST", "/wechat/accounts", body)
        return result

    def wechat_sent(self) -> list[dict[str, str]]:
        """Customer-service messages accounts sent through the platform's API."""
        result: list[dict[str, str]] = self._request("GET", "/wechat/sent")
        return result

    def wechat_send(
        self, account: str, open_id: str, content: str | None = None, **fields: str
    ) -> dict[str, Any]:
        """A follower's message (``type`` text by default; image, event with ``event``...)
        pushed to the account's server; answers what was pushed and the reply they got."""
        result: dict[str, Any] = self._request(
            "POST",
            "/wechat/messages",
            {"account": account, "open_id": open_id, "content": content, **fields},
        )
        return result

    # ------------------------------------------------------------------ recordings

    # ------------------------------------------------------------------ web push

    def push_device(self) -> dict[str, Any]:
        """A new simulated browser: {"id", "subscription": {endpoint, keys}} (toJSON())."""
        device: dict[str, Any] = self._request("POST", "/push/devices")
        return device

    def push_device_gone(self, device_id: str) -> None:
        self._request("POST", f"/push/devices/{device_id}/gone")

    def push_messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self._request("GET", "/push/messages")["messages"]
        return messages

    def push_refused(self) -> list[dict[str, Any]]:
        refused: list[dict[str, Any]] = self._request("GET", "/push/messages")["refused"]
        return refused

    def push_click(self, message_id: int, action: str = "ack") -> dict[str, Any]:
        """Click a notification's action as the service worker would ("ack" posts the token)."""
        result: dict[str, Any] = self._request(
            "POST", f"/push/messages/{message_id}/click", {"action": action}
        )
        return result

    def list_recordings(self) -> list[dict[str, Any]]:
        """Finished recordings: sid, source, conference_sid, call_sid, duration, url."""
        result: list[dict[str, Any]] = self._request("GET", "/recordings")
        return result

    # ------------------------------------------------------------------ waiting

    def wait_for(
        self, predicate: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.02
    ) -> T:
        """Poll ``predicate`` until it returns something truthy, and return that.

        e.g. ``sim.wait_for(lambda: sim.get_call(sid)["status"] == "completed")``.
        Raises TimeoutError after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            time.sleep(interval)

    def wait_for_status(
        self, call_sid: str, *statuses: str, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Wait until the call's status is one of ``statuses``; returns the call."""

        def reached() -> dict[str, Any] | None:
            call = self.get_call(call_sid)
            return call if call["status"] in statuses else None

        return self.wait_for(reached, timeout)
