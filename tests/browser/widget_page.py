"""The chat widget as a visitor meets it, for the browser tests (Playwright CSS pierces the
widget's open shadow root)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


class Widget:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator("#ellis-chat .launcher")
        self.panel = page.locator("#ellis-chat .panel")
        self.input = page.locator("#ellis-chat #ec-input")
        self.status = page.locator("#ellis-chat .status")

    def open(self) -> None:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        expect(self.input).to_be_focused()

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def bubbles(self, role: str) -> Locator:
        return self.page.locator(f"#ellis-chat .msg-{role} .bubble")

    def last_answer(self) -> Locator:
        return self.page.locator("#ellis-chat .msg-bot, #ellis-chat .msg-system").last

    def answers(self) -> int:
        return self.page.locator("#ellis-chat .msg-bot, #ellis-chat .msg-system").count()

    def say_and_wait(self, text: str) -> None:
        """Send `text` and wait until at least one answer to it is on screen."""
        before = self.answers()
        self.say(text)
        self.page.wait_for_function(
            """(before) => document.querySelector('#ellis-chat').shadowRoot
                .querySelectorAll('.msg-bot, .msg-system').length > before""",
            arg=before,
        )

    def reply_button(self, title: str) -> Locator:
        return self.page.locator("#ellis-chat .reply", has_text=title).last

    def focused(self) -> str | None:
        """The class of the element focused inside the widget, if any."""
        return self.page.evaluate(
            """() => {
                const active = document.querySelector('#ellis-chat').shadowRoot.activeElement;
                return active ? (active.id || active.className) : null;
            }"""
        )


def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA and best-practice findings for the whole page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document);
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))
            }));
        }"""
    )
