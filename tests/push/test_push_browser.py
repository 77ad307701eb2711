"""A crisis worker's push page in real Chromium.

Headless Chromium has no push service of its own (pushManager.subscribe answers "permission
denied" whatever the permission), so the device's subscription comes from the simulator's push
service and the page's real service worker gets the push through the DevTools protocol
(ServiceWorker.deliverPushMessage), with the very payload the app's pywebpush request carried.
What the journey shows: the console's button registers the worker with a scope covering the
console (and says so when the browser cannot subscribe), the worker shows the lock-screen text
with an acknowledge action, and that action's request acknowledges the escalation. Clicking a
notification's action is outside what the DevTools protocol can do: the simulator makes the
worker's request instead.
"""

from __future__ import annotations

import json

from hotline.escalation.models import EscalationStatus
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.push.test_push_paging import (
    CALLER,
    allow_device,
    escalate,
    push_policy_line,
    push_stack,  # noqa: F401 - the fixture
    pushed,
    status_of,
)
from tests.stack import Stack

NOTIFICATIONS = (
    "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(n => "
    "({title: n.title, body: n.body, actions: n.actions.map(a => [a.action, a.title]), "
    "data: n.data})))"
)


def test_a_crisis_worker_gets_the_page_in_the_browser_and_acknowledges(
    push_stack: Stack,  # noqa: F811
) -> None:
    stack = push_stack
    push_policy_line(stack)
    with chromium() as browser:
        context = browser.new_context(permissions=["notifications"])
        page = context.new_page()
        sign_in(page, stack.url, "crisis1")
        page.goto(stack.url + "/console/devices?lang=en")
        page.click("[data-testid=btn-push-subscribe]")
        page.wait_for_function(  # a function, not a string: the CSP forbids eval
            "() => ['done', 'failed'].includes("
            "document.getElementById('push-status').dataset.state)"
        )
        scopes = page.evaluate(
            "navigator.serviceWorker.getRegistrations().then(rs => rs.map(r => r.scope))"
        )
        assert scopes == [stack.url + "/"]  # covers /console

        allow_device(stack, "crisis1")
        escalation_id = escalate(stack)
        stack.dispatcher.tick()
        message = pushed(stack)[0]

        devtools = context.new_cdp_session(page)
        registrations: list[dict[str, str]] = []
        devtools.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: registrations.extend(event["registrations"]),
        )
        devtools.send("ServiceWorker.enable")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        while not registrations:
            page.wait_for_timeout(50)
        devtools.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": stack.url + "/",
                "registrationId": registrations[0]["registrationId"],
                "data": json.dumps(message["payload"]),
            },
        )
        shown_all = page.evaluate(NOTIFICATIONS)
        for _wait in range(100):  # shown by the worker on its own time
            if shown_all:
                break
            page.wait_for_timeout(50)
            shown_all = page.evaluate(NOTIFICATIONS)
        (shown,) = shown_all
        assert shown["title"] in ("Hotline", "热线")
        assert shown["body"] == message["payload"]["body"]
        assert shown["actions"][0][0] == "ack"
        assert CALLER not in json.dumps(shown)

        clicked = stack.simulator.push_click(message["id"], "ack")
        assert clicked["status"] == 200, clicked
        assert status_of(stack, escalation_id) == EscalationStatus.acknowledged
        context.close()
