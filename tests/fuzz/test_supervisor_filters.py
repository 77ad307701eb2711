"""Every filter of the supervisors' lists and exports, with values that mean nothing: each is a
400/422 or an error shown on the page, never a 500 and never silently ignored."""

from __future__ import annotations

import httpx
import pytest

from hotline.auth.models import Role
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import Stack

# route -> its filter parameters (free text, such as the audit log's username, is not here:
# any text is a fair search).
FILTERS: dict[str, tuple[str, ...]] = {
    "/supervisor/escalations": ("from", "to", "line", "level", "status", "outcome", "page"),
    "/supervisor/escalations.csv": ("from", "to", "line", "level", "status", "outcome"),
    "/supervisor/calls": ("from", "to", "line", "level", "category", "person", "marked", "page"),
    "/supervisor/calls.csv": ("from", "to", "line", "level", "category", "person", "marked"),
    "/supervisor/shifts": ("from", "to", "line", "person", "page"),
    "/supervisor/shifts.csv": ("from", "to", "line", "person"),
    "/supervisor/followups": ("from", "to", "line", "status", "page"),
    "/supervisor/followups.csv": ("from", "to", "line", "status"),
    "/supervisor/voicemails": ("line", "status", "page"),
    "/supervisor/stats": ("line", "start", "end", "bucket"),
    "/supervisor/stats/report.csv": ("month", "line"),
    "/admin/audit": ("since", "until", "action", "page"),
}
# Required parameters get a good value unless they are the one under test.
REQUIRED = {"/supervisor/stats/report.csv": {"month": "2026-11"}}
# Values in BOGUS that a parameter may fairly take ("marked=0": not only the marked calls).
FAIR = {("marked", "0")}
BOGUS = [
    "bogus",
    "-1",
    "0",
    "1.5",
    "99999999999999999999",
    "2026-02-30",
    "\x00",
    "危机",
    "x" * 300,
]


def signed_in(stack: Stack, username: str) -> httpx.Client:
    http = httpx.Client(base_url=stack.url, timeout=10)
    token = csrf_from(http.get("/login").text)
    response = http.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    return http


def refused_or_shown(response: httpx.Response) -> bool:
    if response.status_code in (400, 404, 422):  # 404: no such line
        return True
    return response.status_code == 200 and 'role="alert"' in response.text


@pytest.mark.parametrize("route", list(FILTERS))
def test_bogus_filter_values_are_refused_or_shown(quiet_app: Stack, route: str) -> None:
    make_line(quiet_app.db)
    make_user(quiet_app.db, "wang", role=Role.supervisor)
    make_user(quiet_app.db, "root", role=Role.admin)
    http = signed_in(quiet_app, "root" if route.startswith("/admin") else "wang")
    assert http.get(route, params=REQUIRED.get(route, {})).status_code == 200
    wrong = []
    for param in FILTERS[route]:
        for value in (v for v in BOGUS if (param, v) not in FAIR):
            response = http.get(route, params={**REQUIRED.get(route, {}), param: value})
            if not refused_or_shown(response):
                wrong.append((param, value, response.status_code))
    assert wrong == []
