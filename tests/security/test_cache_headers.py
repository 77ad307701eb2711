"""No browser or proxy keeps what is behind sign-in (Cache-Control: no-store on every answer but
static files), and an https deployment sends Strict-Transport-Security."""

from __future__ import annotations

import httpx
import pytest

from hotline.security_headers import STATIC_PREFIXES
from tests.access.routes import flatten
from tests.access.test_access_matrix import call_route, client_for, fill, seed
from tests.stack import Stack, running_stack

# The routes that carry decrypted notes or callers' data, named in issue 13; the walk below
# covers every other GET route too.
NAMED = [
    "/api/calls/{call_id}/note",
    "/supervisor/calls/{call_id}",
    "/console/followups/{follow_up_id}",
]


def test_every_answer_behind_sign_in_is_no_store(app_only: Stack) -> None:
    ids = seed(app_only)
    # Static files (the same for everyone, e.g. /docs' start-up script) may be cached.
    routes = [
        path
        for method, path in flatten(app_only.app.routes)
        if method == "GET" and not path.startswith(STATIC_PREFIXES)
    ]
    assert set(NAMED) <= set(routes)
    missing = []
    for identity in ("alice", "wang"):  # the call's counselor; a supervisor
        http, token = client_for(app_only, identity)
        for path in routes:
            response = call_route(http, token, "GET", path, fill(path, ids))
            if path in NAMED and identity == "wang":  # the data itself, not a refusal
                assert response.status_code == 200, (identity, path, response.status_code)
            if "no-store" not in response.headers.get("cache-control", ""):
                missing.append((identity, path, response.headers.get("cache-control")))
    assert missing == []


def test_static_files_may_be_cached(app_only: Stack) -> None:
    response = httpx.get(app_only.url + "/static/console.js", timeout=10)
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")


@pytest.mark.parametrize(
    ("public_url", "expected"), [("https://hotline.example.org", True), ("", False)]
)
def test_strict_transport_security_over_https_only(
    database_url: str, public_url: str, expected: bool
) -> None:
    overrides = {"public_base_url": public_url} if public_url else {}
    with running_stack(database_url, with_simulator=False, run_engine=False, **overrides) as stack:
        for path in ("/login", "/healthz", "/static/console.js"):
            header = httpx.get(stack.url + path, timeout=10).headers.get(
                "strict-transport-security"
            )
            assert (header == "max-age=31536000") is expected, (path, header)
