"""The calendar feed link is a key: it never reaches the access log, and a person (from the rota
page) or an admin (over the API, for anyone) revokes it by making a new one; both audited."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
from sqlmodel import col, select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.db import Database, make_engine
from hotline.migrate import upgrade
from hotline.rota.ical import feed_token
from tests.factories import make_user
from tests.processes import SECRET, logged_serve
from tests.rota.conftest import Api, Client
from tests.rota.test_page_forms import _form, _schedule

FEED = re.compile(r'href="([^"]*/rota/ical/\d+\.ics\?token=[0-9a-f]+)" data-testid="rota-feed"')


def feed_link(client: Client, schedule_id: int) -> str:
    page = client.get(f"/rota/{schedule_id}", lang="en").text
    found = FEED.search(page)
    assert found is not None
    return html.unescape(found.group(1))


def feed_audits(api: Api) -> list[AuditEvent]:
    with api.db.session() as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.object_type == "ical_feed")
                .order_by(col(AuditEvent.id))
            )
        )


def test_the_feed_token_never_reaches_the_access_log(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path}/hotline.db"
    upgrade(database_url)
    db = Database(make_engine(database_url))
    user_id = make_user(db, "alice", role=Role.crisis).id
    db.engine.dispose()
    assert user_id is not None
    token = feed_token(SECRET, user_id)
    log_path = tmp_path / "serve.log"
    with logged_serve(database_url, log_path) as url:
        feed = httpx.get(f"{url}/rota/ical/{user_id}.ics", params={"token": token}, timeout=10)
        assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR")
    log = log_path.read_text()
    assert f"/rota/ical/{user_id}.ics" in log  # the request is logged...
    assert token not in log  # ...without its key


def test_a_person_renews_their_own_feed_link(api: Api) -> None:
    alice = make_user(api.db, "alice", role=Role.crisis).id
    bob = make_user(api.db, "bob", role=Role.crisis).id
    assert alice and bob
    schedule_id = _schedule(api, [alice, bob])
    worker = Client(api, "alice")
    old = feed_link(worker, schedule_id)
    assert httpx.get(old, timeout=10).status_code == 200
    bobs = feed_link(Client(api, "bob"), schedule_id)

    renewed = _form(worker, f"/rota/{schedule_id}/feed/renew", {"page_start": ""})
    assert renewed.status_code == 303
    assert renewed.headers["location"].endswith("done=feed_renewed#feed")
    page = worker.get(f"/rota/{schedule_id}", lang="en", done="feed_renewed").text
    assert "Your old calendar link no longer works" in page
    new = feed_link(worker, schedule_id)
    assert new != old
    assert httpx.get(old, timeout=10).status_code == 404  # revoked
    assert httpx.get(new, timeout=10).status_code == 200
    assert httpx.get(bobs, timeout=10).status_code == 200  # nobody else's link changes

    forged = worker.http.post(f"/rota/{schedule_id}/feed/renew", data={"csrf_token": "x"})
    assert forged.status_code == 403
    assert feed_link(worker, schedule_id) == new  # refused: nothing changed
    audits = feed_audits(api)
    assert [(a.user_id, a.object_id) for a in audits] == [(alice, str(alice))]


def test_an_admin_renews_anyones_feed_link(api: Api) -> None:
    alice = make_user(api.db, "alice", role=Role.crisis).id
    root = make_user(api.db, "root", role=Role.admin).id
    make_user(api.db, "sue", role=Role.supervisor)
    assert alice and root
    schedule_id = _schedule(api, [alice])
    old = feed_link(Client(api, "alice"), schedule_id)

    assert Client(api, "sue").post(f"/api/rota/feeds/{alice}/renew", {}).status_code == 403
    admin = Client(api, "root")
    assert admin.post(f"/api/rota/feeds/{alice}/renew", {}, csrf=False).status_code == 403
    assert httpx.get(old, timeout=10).status_code == 200  # refused: still valid
    assert admin.post("/api/rota/feeds/9999/renew", {}).status_code == 404

    renewed = admin.post(f"/api/rota/feeds/{alice}/renew", {})
    assert renewed.status_code == 200 and renewed.json() == {"user_id": alice, "renewed": True}
    assert "token" not in renewed.text
    assert httpx.get(old, timeout=10).status_code == 404
    assert httpx.get(feed_link(Client(api, "alice"), schedule_id), timeout=10).status_code == 200
    audits = feed_audits(api)
    assert [(a.user_id, a.object_id) for a in audits] == [(root, str(alice))]
