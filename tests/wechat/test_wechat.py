"""The official account's message push, driven by the simulator's WeChat platform against the
app's wechatpy: the URL check, a follower's text, media and events answered at once with the
line's number and the emergency numbers, nothing of the message kept; forged, malformed and
repeated pushes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import select

from hotline.auth.models import Role
from hotline.blocklist import service as blocklist
from hotline.lines.models import Line
from hotline.simulator.client import SimulatorControlError
from hotline.wechat.service import sender_hash
from tests.calls import LINE
from tests.factories import make_line, make_user
from tests.fuzz.test_fuzz import row_counts
from tests.stack import Stack, running_stack

TOKEN = "wxToken2026"
ACCOUNT = "gh_12356abcdef"
FOLLOWER = "oFollower_0001"


@pytest.fixture
def wechat(database_url: str) -> Iterator[tuple[Stack, int]]:
    with running_stack(database_url, wechat_token=TOKEN) as stack:
        line = make_line(stack.db, languages=["zh_CN", "en"])
        assert line.id is not None
        stack.simulator.wechat_account(ACCOUNT, f"{stack.url}/wechat/{line.id}", TOKEN)
        yield stack, line.id


def send(stack: Stack, content: str | None = None, **fields: str) -> dict[str, object]:
    before = row_counts(stack)
    pushed = stack.simulator.wechat_send(
        ACCOUNT, fields.pop("open_id", FOLLOWER), content, **fields
    )
    after = row_counts(stack)
    # Only the push's receipt (a retry gets the same reply): not the message, not the sender.
    assert {t for t in before if before[t] != after[t]} <= {"webhook_receipts"}
    assert pushed["status"] == 200 and pushed["attempts"] == 1
    return pushed


def signed(url: str, token: str = TOKEN, **extra: str) -> str:
    timestamp, nonce = "1765000000", "n0nce"
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    return f"{url}?signature={signature}&timestamp={timestamp}&nonce={nonce}&{query}"


TEXT = (
    "<xml><ToUserName><![CDATA[gh_12356abcdef]]></ToUserName>"
    "<FromUserName><![CDATA[oFollower_0002]]></FromUserName><CreateTime>1765000000</CreateTime>"
    "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[help]]></Content>"
    "<MsgId>6000000000000000777</MsgId></xml>"
)


def test_a_follower_is_answered_with_the_line_number_and_the_emergency_numbers(
    wechat: tuple[Stack, int],
) -> None:
    stack, _line_id = wechat
    reply = send(stack, "我不想活了")["reply"]
    assert isinstance(reply, dict) and reply["type"] == "text", reply
    assert LINE in reply["content"] and "110" in reply["content"] and "120" in reply["content"]
    assert "我不想活了" not in reply["content"]


def test_media_events_and_blocked_senders(wechat: tuple[Stack, int]) -> None:
    stack, _line_id = wechat
    picture = send(stack, type="image")["reply"]
    assert isinstance(picture, dict) and picture["content"].startswith("我们只能阅读文字消息")
    followed = send(stack, type="event", event="subscribe", open_id="oNewFollower_01")["reply"]
    assert isinstance(followed, dict) and LINE in followed["content"]
    assert send(stack, type="event", event="unsubscribe")["reply"] is None

    admin = make_user(stack.db, "root", role=Role.admin)
    with stack.db.session() as session:
        blocklist.block(
            session=session,
            caller_hash=sender_hash(secret=stack.settings.secret_key, open_id=FOLLOWER),
            secret=stack.settings.secret_key,
            duration="24h",
            reason="abuse",
            user=admin,
            now=stack.clock.now(),
        )
    assert send(stack, "hello")["reply"] is None
    assert send(stack, "hello", open_id="oSomeoneElse_1")["reply"] is not None


def test_an_inactive_line_says_nothing(wechat: tuple[Stack, int]) -> None:
    stack, line_id = wechat
    with stack.db.session() as session:
        line = session.exec(select(Line).where(Line.id == line_id)).one()
        line.active = False
        session.add(line)
    assert send(stack, "hello")["reply"] is None


def test_the_url_check_needs_the_token(wechat: tuple[Stack, int]) -> None:
    stack, line_id = wechat
    url = f"{stack.url}/wechat/{line_id}"
    with pytest.raises(SimulatorControlError) as refused:
        stack.simulator.wechat_account("gh_otheraccount", url, "notOurToken")
    assert refused.value.status == 400
    answer = httpx.get(signed(url, echostr="abc123"), timeout=10)
    assert answer.status_code == 200 and answer.text == "abc123"
    assert httpx.get(signed(url, token="forged", echostr="abc"), timeout=10).status_code == 403
    assert httpx.get(url, params={"echostr": "abc"}, timeout=10).status_code == 403


def test_forged_malformed_and_repeated_pushes(wechat: tuple[Stack, int]) -> None:
    stack, line_id = wechat
    url = f"{stack.url}/wechat/{line_id}"
    before = row_counts(stack)
    refused = [
        httpx.post(signed(url, token="forged", openid="o2"), content=TEXT, timeout=10),
        httpx.post(url, content=TEXT, timeout=10),
        httpx.post(signed(url, openid="o2"), content="<xml><oops", timeout=10),
        httpx.post(signed(url, openid="o2"), content="<xml></xml>", timeout=10),
        httpx.post(signed(url, openid="o2"), content="x" * 20_000, timeout=10),
        httpx.post(signed(f"{stack.url}/wechat/0", openid="o2"), content=TEXT, timeout=10),
        httpx.post(signed(f"{stack.url}/wechat/abc", openid="o2"), content=TEXT, timeout=10),
    ]
    assert [r.status_code for r in refused] == [403, 403, 400, 400, 413, 422, 422]
    assert row_counts(stack) == before

    first = httpx.post(signed(url, openid="o2"), content=TEXT, timeout=10)
    again = httpx.post(signed(url, openid="o2"), content=TEXT, timeout=10)
    assert first.status_code == again.status_code == 200
    assert first.text == again.text and "oFollower_0002" in first.text
    after = row_counts(stack)
    assert after["webhook_receipts"] == before["webhook_receipts"] + 1
