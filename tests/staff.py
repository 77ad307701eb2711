"""A signed-in member of staff calling the JSON API over real HTTP, with the CSRF header."""

from __future__ import annotations

from typing import Any

import httpx

from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD
from tests.stack import Stack


class Staff:
    def __init__(self, stack: Stack, username: str) -> None:
        self.http = httpx.Client(base_url=stack.url, timeout=10)
        page = self.http.get("/login")
        response = self.http.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        )
        assert response.status_code == 303, response.text
        self.token = csrf_from(self.http.get("/console").text)

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def post(self, path: str, body: dict[str, Any], *, csrf: bool = True) -> httpx.Response:
        headers = {"X-CSRF-Token": self.token} if csrf else {}
        return self.http.post(path, json=body, headers=headers)

    def put(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.put(path, json=body, headers={"X-CSRF-Token": self.token})

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(path, headers={"X-CSRF-Token": self.token})

    def close(self) -> None:
        self.http.close()
