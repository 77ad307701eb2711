"""The referral directory (`/admin/resources`) and the taxonomy (`/admin/taxonomy`) over real
HTTP, on both databases: entries created, edited and deactivated (never deleted), bad input shown
next to the field with nothing saved, every change audited with before and after, admins only,
and the note's form offering the active entries in the reader's language."""

from __future__ import annotations

import json

import httpx
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.notes.models import IssueCategory, ReferralResource
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_user
from tests.security.helpers import client, post_login
from tests.stack import Stack

RESOURCE = {
    "name": "Kangning Hospital",
    "kind": "psychiatric_clinic",
    "phone": "0577 8888 0000",
    "region": "Wenzhou",
    "address": "1 Kangning Road",
    "hours": "24 hours",
    "green_channel": "1",
    "notes": "Ask for the duty psychiatrist.",
}


def _signed_in(stack: Stack, username: str, role: Role, page: str) -> tuple[httpx.Client, str]:
    make_user(stack.db, username, role=role)
    http = client(stack)
    assert post_login(http, username, PASSWORD).status_code == 303
    return http, csrf_from(http.get(page).text)


def _admin(stack: Stack) -> tuple[httpx.Client, str]:
    return _signed_in(stack, "root", Role.admin, "/admin/resources?lang=en")


def _audit(stack: Stack, object_type: str) -> list[AuditEvent]:
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == object_type).order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def _changes(event: AuditEvent) -> dict[str, dict[str, object]]:
    assert event.detail is not None
    changes: dict[str, dict[str, object]] = json.loads(event.detail.split(": ", 1)[1])
    return changes


def _resource(stack: Stack, name: str) -> ReferralResource:
    with stack.db.session() as session:
        found = session.exec(select(ReferralResource).where(ReferralResource.name == name)).one()
        session.expunge(found)
        return found


def _options(stack: Stack, username: str, lang: str) -> dict[str, object]:
    http = client(stack)
    assert post_login(http, username, PASSWORD).status_code == 303
    http.get(f"/console?lang={lang}")
    answer = http.get("/api/notes/options")
    assert answer.status_code == 200
    options: dict[str, object] = answer.json()
    return options


# --- referral resources ------------------------------------------------------------------------


def test_a_resource_is_created_listed_edited_and_deactivated(app_only: Stack) -> None:
    http, token = _admin(app_only)
    made = http.post("/admin/resources", data={**RESOURCE, "csrf_token": token})
    assert made.status_code == 303
    clinic = _resource(app_only, "Kangning Hospital")
    assert made.headers["location"] == f"/admin/resources/{clinic.id}?done=created"
    assert clinic.phone == "+8657788880000"  # E.164
    assert clinic.green_channel and clinic.active
    assert (clinic.address, clinic.hours) == ("1 Kangning Road", "24 hours")

    listed = http.get("/admin/resources", params={"kind": "psychiatric_clinic"}).text
    assert listed.count('data-testid="resource-row"') == 1 and "Kangning Hospital" in listed
    police = http.get("/admin/resources", params={"kind": "police"}).text
    assert "Kangning Hospital" not in police and "110" in police  # the seeded 110
    found = http.get("/admin/resources", params={"q": "kangning road"}).text
    assert found.count('data-testid="resource-row"') == 1
    assert 'data-testid="no-resources"' in http.get("/admin/resources?q=nowhere%25").text

    edited = http.post(
        f"/admin/resources/{clinic.id}",
        data={**RESOURCE, "phone": "120", "green_channel": "", "csrf_token": token},
    )
    assert edited.status_code == 303
    assert _resource(app_only, "Kangning Hospital").phone == "120"  # a short code, as typed

    off = http.post(f"/admin/resources/{clinic.id}/deactivate", data={"csrf_token": token})
    assert off.status_code == 303 and off.headers["location"].endswith("done=deactivated")
    assert _resource(app_only, "Kangning Hospital").active is False
    inactive = http.get("/admin/resources", params={"active": "no"}).text
    assert inactive.count('data-testid="resource-row"') == 1
    page = http.get(f"/admin/resources/{clinic.id}").text
    assert 'data-testid="inactive-badge"' in page and 'data-testid="btn-activate"' in page
    on = http.post(f"/admin/resources/{clinic.id}/activate", data={"csrf_token": token})
    assert on.status_code == 303 and _resource(app_only, "Kangning Hospital").active

    created, changed, deactivated, activated = _audit(app_only, "referral_resource")
    assert created.username == "root" and created.object_id == str(clinic.id)
    assert created.detail is not None and created.detail.startswith("created (admin page)")
    assert _changes(created)["after"]["phone"] == "+8657788880000"
    assert _changes(changed) == {
        "before": {"phone": "+8657788880000", "green_channel": True},
        "after": {"phone": "120", "green_channel": False},
    }
    assert _changes(deactivated) == {"before": {"active": True}, "after": {"active": False}}
    assert _changes(activated) == {"before": {"active": False}, "after": {"active": True}}


def test_bad_input_is_shown_next_to_each_field_and_nothing_is_saved(app_only: Stack) -> None:
    http, token = _admin(app_only)
    refused = http.post(
        "/admin/resources",
        data={
            **RESOURCE,
            "name": "  ",
            "kind": "spaceship",
            "phone": "12",
            "notes": "x" * 2001,
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422
    page = refused.text
    for field in ("name", "kind", "phone", "notes"):
        assert f'data-testid="error-{field}"' in page, field
    assert 'aria-describedby="h-phone e-phone"' in page
    assert "This is not a phone number" in page
    assert 'value="1 Kangning Road"' in page  # what was typed stays in the form
    with app_only.db.session() as session:
        assert (
            session.exec(
                select(ReferralResource).where(ReferralResource.kind == "spaceship")
            ).first()
            is None
        )
    assert _audit(app_only, "referral_resource") == []

    http.get("/admin/resources?lang=zh_CN")
    zh = http.post("/admin/resources", data={**RESOURCE, "phone": "abc", "csrf_token": token})
    assert zh.status_code == 422 and "这不是电话号码" in zh.text

    missing = http.get("/admin/resources/999999")
    assert missing.status_code == 404
    no_action = http.post("/admin/resources/1/explode", data={"csrf_token": token})
    assert no_action.status_code == 404
    forged = http.post("/admin/resources", data={**RESOURCE, "csrf_token": "forged"})
    assert forged.status_code == 403


def test_only_admins_reach_the_pages(app_only: Stack) -> None:
    for username, role in (("alice", Role.counselor), ("wang", Role.supervisor)):
        http, token = _signed_in(app_only, username, role, "/console")
        for path in ("/admin/resources", "/admin/resources/1", "/admin/taxonomy"):
            assert http.get(path).status_code == 403, (username, path)
        posted = http.post("/admin/resources", data={**RESOURCE, "csrf_token": token})
        assert posted.status_code == 403
        deactivate = http.post("/admin/resources/1/deactivate", data={"csrf_token": token})
        assert deactivate.status_code == 403
    anonymous = client(app_only).get("/admin/taxonomy")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    with app_only.db.session() as session:
        assert session.get(ReferralResource, 1).active  # type: ignore[union-attr]
    assert _audit(app_only, "referral_resource") == []


def test_the_note_form_offers_active_resources_with_their_details(app_only: Stack) -> None:
    http, token = _admin(app_only)
    http.post("/admin/resources", data={**RESOURCE, "csrf_token": token})
    retired = {**RESOURCE, "name": "Closed Clinic", "green_channel": ""}
    http.post("/admin/resources", data={**retired, "csrf_token": token})
    closed = _resource(app_only, "Closed Clinic")
    http.post(f"/admin/resources/{closed.id}/deactivate", data={"csrf_token": token})
    make_user(app_only.db, "alice")

    options = _options(app_only, "alice", "en")
    referrals = {r["name"]: r for r in options["referrals"]}  # type: ignore[attr-defined]
    assert "Closed Clinic" not in referrals
    clinic = referrals["Kangning Hospital"]
    assert clinic["green_channel"] is True and clinic["kind_label"] == "Psychiatric clinic"
    assert (clinic["hours"], clinic["address"]) == ("24 hours", "1 Kangning Road")
    zh = _options(app_only, "alice", "zh_CN")
    assert {r["name"]: r for r in zh["referrals"]}["Kangning Hospital"][
        "kind_label"
    ] == "精神科门诊"  # type: ignore[attr-defined]


# --- the taxonomy ------------------------------------------------------------------------------


def _category(stack: Stack, code: str) -> IssueCategory:
    with stack.db.session() as session:
        found = session.exec(select(IssueCategory).where(IssueCategory.code == code)).one()
        session.expunge(found)
        return found


CATEGORY = {"code": "online", "parent_id": "", "label_zh": "网络问题", "label_en": "Online life"}


def test_categories_two_levels_labels_order_and_retiring(app_only: Stack) -> None:
    http, token = _admin(app_only)
    top = http.post("/admin/taxonomy", data={**CATEGORY, "sort": "90", "csrf_token": token})
    assert top.status_code == 303
    online = _category(app_only, "online")
    child = http.post(
        "/admin/taxonomy",
        data={
            "code": "online.gaming",
            "parent_id": str(online.id),
            "label_zh": "游戏沉迷",
            "label_en": "Gaming",
            "sort": "1",
            "csrf_token": token,
        },
    )
    assert child.status_code == 303
    gaming = _category(app_only, "online.gaming")
    assert gaming.parent_id == online.id

    tree = http.get("/admin/taxonomy?lang=en").text
    assert 'data-code="online"' in tree and 'data-code="online.gaming"' in tree
    assert tree.index('data-code="online"') < tree.index('data-code="online.gaming"')
    assert 'data-testid="population-groups"' in tree and "Left-behind child" in tree

    renamed = http.post(
        f"/admin/taxonomy/{online.id}",
        data={
            "parent_id": "",
            "label_zh": "网络与游戏",
            "label_en": "Online",
            "sort": "5",
            "csrf_token": token,
        },
    )
    assert renamed.status_code == 303
    assert (_category(app_only, "online").label_zh, _category(app_only, "online").sort) == (
        "网络与游戏",
        5,
    )
    http.post(f"/admin/taxonomy/{gaming.id}/deactivate", data={"csrf_token": token})
    assert _category(app_only, "online.gaming").active is False

    created, _child, edited, retired = _audit(app_only, "issue_category")
    assert created.detail is not None and created.detail.startswith("created (admin page)")
    assert _changes(edited) == {
        "before": {"label_zh": "网络问题", "label_en": "Online life", "sort": 90},
        "after": {"label_zh": "网络与游戏", "label_en": "Online", "sort": 5},
    }
    assert _changes(retired) == {"before": {"active": True}, "after": {"active": False}}


def test_category_refusals_are_next_to_the_field(app_only: Stack) -> None:
    http, token = _admin(app_only)
    http.post("/admin/taxonomy", data={**CATEGORY, "csrf_token": token})
    online = _category(app_only, "online")
    http.post(
        "/admin/taxonomy",
        data={**CATEGORY, "code": "online.x", "parent_id": str(online.id), "csrf_token": token},
    )
    child = _category(app_only, "online.x")
    bad = http.post(
        "/admin/taxonomy",
        data={
            "code": "online",  # taken
            "parent_id": str(child.id),  # not top-level: two levels only
            "label_zh": "",
            "label_en": "x" * 129,
            "sort": "first",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    for field in ("code", "parent_id", "label_zh", "label_en", "sort"):
        assert f'data-testid="error-{field}"' in bad.text, field
    assert "already exists" in bad.text and "two levels only" in bad.text
    badly_coded = http.post(
        "/admin/taxonomy", data={**CATEGORY, "code": "Bad Code", "csrf_token": token}
    )
    assert badly_coded.status_code == 422 and 'data-testid="error-code"' in badly_coded.text

    # A category with subcategories stays top-level; the code is not even in the edit form.
    demoted = http.post(
        f"/admin/taxonomy/{online.id}",
        data={**CATEGORY, "parent_id": str(_category(app_only, "family").id), "csrf_token": token},
    )
    assert demoted.status_code == 422 and 'data-testid="error-parent_id"' in demoted.text
    assert _category(app_only, "online").parent_id is None
    recoded = http.post(
        f"/admin/taxonomy/{online.id}", data={**CATEGORY, "code": "web", "csrf_token": token}
    )
    assert recoded.status_code == 303 and _category(app_only, "online").code == "online"
    assert len(_audit(app_only, "issue_category")) == 3  # two created, one edit changing nothing


def test_the_note_form_offers_active_categories_in_the_readers_language(app_only: Stack) -> None:
    http, token = _admin(app_only)
    http.post("/admin/taxonomy", data={**CATEGORY, "csrf_token": token})
    online = _category(app_only, "online")
    for code, en in (("online.gaming", "Gaming"), ("online.bullying", "Cyberbullying")):
        http.post(
            "/admin/taxonomy",
            data={
                "code": code,
                "parent_id": str(online.id),
                "label_zh": "中" + en,
                "label_en": en,
                "csrf_token": token,
            },
        )
    bullying = _category(app_only, "online.bullying")
    http.post(f"/admin/taxonomy/{bullying.id}/deactivate", data={"csrf_token": token})
    make_user(app_only.db, "alice")

    def online_entry(lang: str) -> dict[str, object]:
        options = _options(app_only, "alice", lang)
        entry: dict[str, object] = next(
            c
            for c in options["categories"]
            if c["code"] == "online"  # type: ignore[attr-defined]
        )
        return entry

    en = online_entry("en")
    assert en["label"] == "Online life"
    assert [c["label"] for c in en["children"]] == ["Gaming"]  # type: ignore[attr-defined]
    assert online_entry("zh_CN")["label"] == "网络问题"

    http.post(f"/admin/taxonomy/{online.id}/deactivate", data={"csrf_token": token})
    codes = {c["code"] for c in _options(app_only, "alice", "en")["categories"]}  # type: ignore[attr-defined]
    assert "online" not in codes and "family" in codes


# --- the JSON API shares the rules and the audit ------------------------------------------------


def test_the_json_api_checks_the_same_fields_and_is_audited(app_only: Stack) -> None:
    http, token = _admin(app_only)
    headers = {"X-CSRF-Token": token}
    refused = http.post(
        "/api/admin/referrals",
        json={"kind": "spaceship", "name": "", "phone": "call me"},
        headers=headers,
    )
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"kind", "name", "phone"}
    made = http.post(
        "/api/admin/referrals",
        json={"kind": "other", "name": "Legal aid", "phone": "12348", "green_channel": True},
        headers=headers,
    )
    assert made.status_code == 201 and made.json()["phone"] == "12348"
    retired = http.put(
        f"/api/admin/referrals/{made.json()['id']}",
        json={"kind": "other", "name": "Legal aid", "phone": "12348", "active": False},
        headers=headers,
    )
    assert retired.status_code == 200 and retired.json()["active"] is False
    created, edited, deactivated = _audit(app_only, "referral_resource")
    assert created.detail is not None and created.detail.startswith("created (admin API)")
    assert _changes(edited) == {
        "before": {"green_channel": True},
        "after": {"green_channel": False},
    }
    assert _changes(deactivated) == {"before": {"active": True}, "after": {"active": False}}

    family = _category(app_only, "family")
    recoded = http.put(
        f"/api/admin/categories/{family.id}",
        json={"code": "kin", "label_zh": family.label_zh, "label_en": family.label_en},
        headers=headers,
    )
    assert recoded.status_code == 422 and set(recoded.json()["errors"]) == {"code"}
    assert _category(app_only, "family").code == "family"


def test_the_pages_speak_chinese(app_only: Stack) -> None:
    http, _token = _admin(app_only)
    resources = http.get("/admin/resources?lang=zh_CN").text
    assert "转介资源" in resources and "绿色通道" in resources
    taxonomy = http.get("/admin/taxonomy").text  # the language chosen stays
    assert "问题类别" in taxonomy and "家庭" in taxonomy
    home = http.get("/admin").text
    assert 'href="/admin/resources"' in home and 'href="/admin/taxonomy"' in home
