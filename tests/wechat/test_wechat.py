"""The official account's message push, driven by the simulator's WeChat platform against the
app's wechatpy: the URL check; a follower's text to an open line starts a conversation (the
welcome as the passive reply), a counselor accepts on the console and replies through the
platform's customer-service API, within its 48-hour window only; media and events answered at
once, nothing of them kept; forged, malformed and repeated pushes; a follower offered a call
replies with their number."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import select

from hotline.auth.models import Role, User
from hotline.blocklist import service as blocklist
from hotline.calls.models import Call, Channel
from hotline.conversations import service as conversations
from hotline.conversations.models import Conversation, ConversationMessage, Delivery, Sender
from hotline.dialback import service as dialbacks
from hotline.dialback.models import DialBack
from hotline.lines.models import Line
from hotline.simulator.client import SimulatorControlError
from hotline.simulator.console_client import ConsoleClient
from hotline.wechat.service import sender_hash
from tests.calls import LINE
from tests.dialback.drive import Counselor, dial_back
from tests.factories import PASSWORD, make_line, make_user
from tests.fuzz.test_fuzz import row_counts
from tests.stack import Stack, running_stack

TOKEN = "wxToken2026"
ACCOUNT = "gh_12356abcdef"
FOLLOWER = "oFollower_0001"
APP_ID = "wx0123456789abcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def wechat(database_url: str) -> Iterator[tuple[Stack, int]]:
    with running_stack(
        database_url, wechat_token=TOKEN, wechat_app_id=APP_ID, wechat_app_secret=APP_SECRET
    ) as stack:
        line = make_line(stack.db, languages=["zh_CN", "en"])
        assert line.id is not None
        url = f"{stack.url}/wechat/{line.id}"
        stack.simulator.wechat_account(ACCOUNT, url, TOKEN, APP_ID, APP_SECRET)
        yield stack, line.id


def send(
    stack: Stack, content: str | None = None, *, stores: bool = False, **fields: str
) -> dict[str, object]:
    before = row_counts(stack)
    pushed = stack.simulator.wechat_send(
        ACCOUNT, fields.pop("open_id", FOLLOWER), content, **fields
    )
    after = row_counts(stack)
    if not stores:  # only the push's receipt (a retry gets the same reply)
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


def delivery_of(stack: Stack, body: str) -> Delivery | None:
    with stack.db.session() as session:
        found = session.exec(
            select(ConversationMessage).where(ConversationMessage.sender != Sender.person)
        ).all()
        return next((m.delivery for m in found if m.body == body), None)


def test_a_follower_talks_with_a_counselor_within_the_reply_window(
    wechat: tuple[Stack, int],
) -> None:
    stack, _line_id = wechat
    alice = make_user(stack.db, "alice")
    reply = send(stack, "我不想活了", stores=True)["reply"]
    assert isinstance(reply, dict) and reply["type"] == "text", reply
    assert "110" in reply["content"] and "120" in reply["content"]  # the welcome, passively
    assert delivery_of(stack, reply["content"]) == Delivery.sent
    with stack.db.session() as session:
        call = session.exec(select(Call)).one()
        talk = session.get(Conversation, call.id)
        assert call.channel == Channel.wechat and call.in_danger  # a danger phrase
        assert talk is not None and talk.address == FOLLOWER
    # The follower writes again: the same conversation, no reply.
    assert send(stack, "还在吗", stores=True)["reply"] is None

    console = ConsoleClient(stack.url, "alice", PASSWORD)
    try:
        console.send("set_state", state="available", reason=None)
        assert console.offer()["channel"] == "wechat"
        console.send("accept", call_id=call.id)
        console.wait(lambda s: any(c["call_id"] == call.id for c in s["conversations"]))
    finally:
        console.close()
    answer = "我在，愿意听你说。"
    say(stack, alice, call, answer)
    sent = stack.simulator.wait_for(
        lambda: [m for m in stack.simulator.wechat_sent() if m["content"] == answer]
    )
    assert sent[0]["open_id"] == FOLLOWER and sent[0]["account"] == ACCOUNT
    stack.simulator.wait_for(lambda: delivery_of(stack, answer) == Delivery.sent)
    # Past the platform's 48 hours since the follower last wrote: not attempted, failed.
    stack.clock.advance(49 * 3600)
    late = "你还好吗？"
    say(stack, alice, call, late)
    stack.simulator.wait_for(lambda: delivery_of(stack, late) == Delivery.failed)
    assert all(m["content"] != late for m in stack.simulator.wechat_sent())


def say(stack: Stack, alice: User, call: Call, body: str) -> None:
    with stack.db.session() as session:
        user = session.get(User, alice.id)
        assert user is not None and call.id is not None
        conversations.reply(
            session=session, user=user, call_id=call.id, body=body, now=stack.clock.now()
        )
    stack.dispatcher.kick()


def test_media_events_and_blocked_senders(wechat: tuple[Stack, int]) -> None:
    stack, _line_id = wechat
    picture = send(stack, type="image")["reply"]
    assert isinstance(picture, dict) and picture["content"].startswith("我们只能阅读文字消息")
    followed = send(stack, type="event", event="subscribe", open_id="oNewFollower_01")["reply"]
    assert isinstance(followed, dict) and "110" in followed["content"]
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
    assert send(stack, "hello", open_id="oSomeoneElse_1", stores=True)["reply"] is not None


def test_a_flooding_follower_is_not_stored_until_the_minute_has_passed(
    wechat: tuple[Stack, int],
) -> None:
    stack, _line_id = wechat
    per_minute = stack.settings.texts_per_minute
    send(stack, "第0条", stores=True)
    for i in range(1, per_minute):
        assert send(stack, f"第{i}条", stores=True)["reply"] is None  # in the conversation
    send(stack, "再来一条")  # dropped: nothing stored
    send(stack, "别人", open_id="oSomeoneElse_2", stores=True)  # someone else is still heard
    stack.clock.advance(61)
    send(stack, "过了一分钟", stores=True)
    with stack.db.session() as session:
        theirs = session.exec(
            select(ConversationMessage).where(ConversationMessage.sender == Sender.person)
        ).all()
    assert len(theirs) == per_minute + 2
    assert "再来一条" not in {m.body for m in theirs}


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


def test_a_follower_offered_a_call_replies_with_their_number(database_url: str) -> None:
    with running_stack(
        database_url, wechat_token=TOKEN, wechat_app_id=APP_ID, wechat_app_secret=APP_SECRET
    ) as stack:
        line = make_line(stack.db, number=LINE, languages=["en"])
        stack.dispatcher.sync_numbers()
        stack.simulator.wechat_account(
            ACCOUNT, f"{stack.url}/wechat/{line.id}", TOKEN, APP_ID, APP_SECRET
        )
        make_user(stack.db, "alice")
        send(stack, "I would rather talk", stores=True)
        alice = Counselor(stack, "alice")
        alice.console.send("set_state", state="available", reason=None)
        call_id = alice.console.offer()["call_id"]
        alice.console.send("accept", call_id=call_id)
        alice.console.wait(lambda s: any(c["call_id"] == call_id for c in s["conversations"]))
        offered = alice.post(f"/api/dialbacks/conversations/{call_id}/offer")
        assert offered.status_code == 202, offered.text
        stack.simulator.wait_for(
            lambda: [
                m for m in stack.simulator.wechat_sent() if "reply with your phone" in m["content"]
            ]
        )

        # Anything else is a message like another, and the offer stands.
        send(stack, "why?", stores=True)
        with stack.db.session() as session:
            assert session.exec(select(DialBack)).all() == []
            call = session.get(Call, call_id)
            assert call is not None and dialbacks.call_offered(session=session, call=call)

        # "No": said in the conversation, the offer ends, the line says they go on writing.
        send(stack, "不用了", stores=True)
        stack.simulator.wait_for(
            lambda: [m for m in stack.simulator.wechat_sent() if "go on writing" in m["content"]]
        )
        with stack.db.session() as session:
            call = session.get(Call, call_id)
            assert call is not None and not dialbacks.call_offered(session=session, call=call)
            assert session.exec(select(DialBack)).all() == []

        # Offered again, their number: the line calls it, and it is never a message.
        assert alice.post(f"/api/dialbacks/conversations/{call_id}/offer").status_code == 202
        send(stack, "138 1234 5678", stores=True)
        with stack.db.session() as session:
            dial = session.exec(select(DialBack)).one()
            bodies = [m.body for m in conversations.transcript(session=session, call_id=call_id)]
        assert dial.conversation_id == call_id
        assert "不用了" in bodies and "why?" in bodies
        assert not any("1234" in body for body in bodies)
        dial_id = dial.id
        assert dial_id is not None
        alice.wait_state(stack, dial_id, "connected")
        placed = stack.simulator.get_call(dial_back(stack, dial_id).call_sid or "")
        assert placed["from"] == LINE and placed["to"] == "+8613812345678"
        alice.console.close()
