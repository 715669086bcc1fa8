"""The agent console as an agent meets it, for the browser tests."""

from __future__ import annotations

import jwt
from playwright.sync_api import Expect, Locator, Page

from scripts.stack import HubProcess
from tests.handoff.support import PASSWORD

# Rasa turns and reconnects can take longer than Playwright's default 5 s on a busy machine;
# this instance waits up to 30 s without changing the global `expect` other tests use.
expect = Expect()
expect.set_options(timeout=30_000)


class ConsolePage:
    def __init__(self, page: Page, hub: HubProcess) -> None:
        self.page = page
        self.hub = hub

    def sign_in(self, username: str) -> None:
        self.page.goto(f"{self.hub.url}/console/")
        self.page.get_by_label("User name").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.locator("#who")).to_contain_text("Signed in as")
        # Online (the live channel is open): from now on handoffs can come to this agent.
        expect(self.page.locator("body[data-live=yes]")).to_have_count(1)

    def waiting(self, queue: str) -> Locator:
        return self.page.locator(f'#queues ul[aria-label="{queue}"] li.waiting')

    def claim_first(self, queue: str) -> None:
        self.waiting(queue).first.get_by_role("button", name="Claim").click()
        expect(self.page.locator("#chat-body")).to_be_visible()

    def transcript(self, role: str) -> Locator:
        return self.page.locator(f"#transcript .entry-{role} .text")

    def reply(self, text: str) -> None:
        self.page.get_by_label("Reply", exact=True).fill(text)
        self.page.get_by_role("button", name="Send", exact=True).click()
        expect(self.transcript("agent").last).to_have_text(text)


def conversation_of(page: Page, hub: HubProcess) -> str:
    """The visitor's conversation id (Rasa's sender id), from the widget's session token."""
    token = page.evaluate(
        "(key) => window.localStorage.getItem(key)", f"ellis-chat:{hub.url}:token"
    )
    return jwt.decode(token, hub.env["HUB_SECRET"], algorithms=["HS256"])["cid"]
