"""In real Chromium: a crisis alert reaching a crisis worker's console sounds an alarm (Web Audio)
and shows a desktop notification, so it is noticed with the tab in the background; the person
can switch the sound off, and that is remembered."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from hotline.auth.models import Role
from hotline.telephony.prompts import DANGER_KEY
from tests.browser import chromium
from tests.calls import LINE, connected_call, inbound
from tests.console.test_console_e2e import sign_in
from tests.escalation.test_response import escalated
from tests.factories import make_line, make_user
from tests.notes.test_api import NoteClient
from tests.stack import Stack

# Counts what the page does with the browser's audio and notifications.
RECORDER = """
window.__notifications = [];
window.__oscillators = 0;
const RealNotification = window.Notification;
class RecordingNotification extends RealNotification {
  constructor(title, options) {
    window.__notifications.push({ title, body: (options || {}).body || "" });
    // Seen by expect() (waiting on a function would need eval, which the strict CSP refuses).
    document.documentElement.dataset.notifications = String(window.__notifications.length);
    super(title, options);
  }
}
Object.defineProperty(RecordingNotification, "permission", {
  get: () => RealNotification.permission,
});
RecordingNotification.requestPermission = (...args) => RealNotification.requestPermission(...args);
window.Notification = RecordingNotification;
const realStart = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__oscillators += 1;
  return realStart.apply(this, args);
};
"""


def notified(page: Page, count: int) -> None:
    expect(page.locator("html")).to_have_attribute("data-notifications", str(count), timeout=10_000)


def counts(page: Page) -> tuple[int, int]:
    played, shown = page.evaluate("[window.__oscillators, window.__notifications.length]")
    return int(played), int(shown)


def test_a_crisis_alert_sounds_and_notifies_until_the_sound_is_switched_off(
    app_only: Stack,
) -> None:
    stack = app_only
    _call_id, _escalation_id, _alice, _zhao = escalated(stack, level="high")
    with chromium() as browser:
        context = browser.new_context(permissions=["notifications"])
        page = context.new_page()
        page.add_init_script(RECORDER)
        sign_in(page, stack.url, "zhao")
        expect(page.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        sound = page.get_by_test_id("btn-alert-sound")
        expect(sound).to_have_attribute("data-sound", "on")
        expect(page.get_by_test_id("btn-notify")).to_be_hidden()  # already granted

        stack.dispatcher.tick()  # the policy's first step pages zhao's console (if not yet)
        expect(page.get_by_test_id("alert-row")).to_be_visible(timeout=10_000)
        notified(page, 1)
        played, _shown = counts(page)
        assert played > 0
        expect(page.locator("body")).to_have_attribute("data-alarms-played", "1")
        notification = page.evaluate("window.__notifications[0]")
        assert notification["title"] == "Crisis alert"
        assert "High risk" in notification["body"] and "Line +8657796525" in notification["body"]

        sound.click()  # off: remembered in this browser
        expect(sound).to_have_attribute("data-sound", "off")
        assert page.evaluate("localStorage.getItem('hotline.alertSound')") == "off"

        # A second escalation: still notified, but silent now.
        second_call, _ = connected_call(stack, "CA" + "8" * 32, "bob")
        raised = NoteClient(stack, "bob").post(
            f"/api/calls/{second_call}/escalate", {"reason": "Has a plan", "level": "high"}
        )
        assert raised.status_code == 200, raised.text
        stack.dispatcher.tick()
        expect(page.get_by_test_id("alert-row")).to_have_count(2, timeout=10_000)
        notified(page, 2)
        assert counts(page) == (played, 2)
        expect(page.locator("body")).to_have_attribute("data-alarms-played", "1")

        page.reload()
        expect(page.get_by_test_id("btn-alert-sound")).to_have_attribute("data-sound", "off")
        context.close()


def test_a_caller_in_danger_waiting_alarms_a_supervisor_with_the_tab_in_the_background(
    quiet_app: Stack,
) -> None:
    stack = quiet_app
    make_line(stack.db, number=LINE)
    make_user(stack.db, "sam", role=Role.supervisor)
    with chromium() as browser:
        context = browser.new_context(permissions=["notifications"])
        page = context.new_page()
        page.add_init_script(RECORDER)
        sign_in(page, stack.url, "sam")
        expect(page.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        assert counts(page) == (0, 0)
        sid = "CA" + "9" * 32
        stack.webhook("/twilio/voice/incoming", inbound(sid, to=LINE))
        stack.webhook("/twilio/voice/gather", {**inbound(sid, to=LINE), "Digits": DANGER_KEY})
        expect(page.get_by_test_id("danger-alert")).to_be_visible(timeout=10_000)
        notified(page, 1)
        notification = page.evaluate("window.__notifications[0]")
        assert notification["title"] == "A caller in danger now is waiting"
        assert "Line +8657796525" in notification["body"]
        assert counts(page)[0] > 0
        expect(page.locator("body")).to_have_attribute("data-alarms-played", "1")
        context.close()
