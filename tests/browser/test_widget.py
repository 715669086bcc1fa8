"""The widget on the demo page, in Debian's Chromium, against the real hub and Rasa."""

from __future__ import annotations

import contextlib
import http.server
import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from scripts.stack import HubProcess, Stack, free_port, start_hub
from tests.browser.widget_page import Widget, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.rasa]


def test_greet_quick_replies_links_and_history_after_reload(hub: HubProcess, page: Page) -> None:
    page.goto(f"{hub.url}/")
    widget = Widget(page)
    expect(widget.panel).to_be_hidden()
    widget.open()
    widget.say("hello")
    expect(widget.last_answer()).to_contain_text("I'm Ellis")
    widget.reply_button("What can you do?").click()
    expect(widget.bubbles("visitor").last).to_have_text("What can you do?")
    widget.reply_button("Talk to a person").click()
    link = page.locator('#ellis-chat a[href="https://www.uscis.gov/contactcenter"]')
    expect(link).to_be_visible()
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    page.reload()
    # The chat stays open and shows the whole conversation again.
    expect(widget.panel).to_be_visible()
    expect(widget.bubbles("visitor")).to_have_text(
        ["hello", "What can you do?", "Talk to a person"]
    )
    expect(widget.bubbles("bot").first).to_contain_text("I'm Ellis")
    expect(page.locator("#ellis-chat .pending")).to_have_count(0)


def test_switching_to_spanish_changes_the_answers_and_the_labels(
    hub: HubProcess, page: Page
) -> None:
    page.goto(f"{hub.url}/")
    widget = Widget(page)
    widget.open()
    page.get_by_role("button", name="Cambiar el idioma a español").click()
    expect(widget.input).to_have_attribute("placeholder", "Escriba su pregunta")
    widget.say("hello")
    expect(widget.last_answer()).to_contain_text("Soy Ellis")
    page.reload()
    expect(widget.input).to_have_attribute("placeholder", "Escriba su pregunta")
    widget.say("what can you do")
    expect(widget.reply_button("Hablar con una persona")).to_be_visible()


def test_the_page_language_sets_the_first_language(hub: HubProcess, page: Page) -> None:
    page.goto(f"{hub.url}/es/")
    widget = Widget(page)
    expect(widget.launcher).to_have_attribute("aria-label", re.compile("Chatear con Ellis"))
    widget.open()
    expect(page.locator("#ellis-chat .title")).to_have_text("Pregúntele a Ellis")
    widget.say("/greet")
    expect(widget.last_answer()).to_contain_text("Soy Ellis")


def test_html_in_a_message_is_shown_as_text(hub: HubProcess, page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{hub.url}/")
    widget = Widget(page)
    widget.open()
    probes = ["<img src=x onerror=alert(1)>", '<script>alert("hi")</script> <b>bold</b>']
    for probe in probes:
        widget.say_and_wait(probe)
        expect(widget.bubbles("visitor").last).to_have_text(probe)
    page.reload()
    # After a reload the history, replayed from the hub's transcript, is still plain text.
    expect(widget.bubbles("visitor").nth(0)).to_have_text(probes[0])
    expect(widget.bubbles("visitor").nth(1)).to_have_text(probes[1])
    assert page.locator("img, script:not([src]), b").count() == 0
    assert page.locator("#ellis-chat img, #ellis-chat script, #ellis-chat b").count() == 0
    assert dialogs == []


def test_keyboard_alone_opens_chats_and_closes(hub: HubProcess, page: Page) -> None:
    page.goto(f"{hub.url}/")
    widget = Widget(page)
    for _ in range(40):
        page.keyboard.press("Tab")
        if widget.focused() == "launcher":
            break
    assert widget.focused() == "launcher", "the launcher must be reachable with Tab"
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    assert widget.focused() == "ec-input"
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    expect(widget.last_answer()).to_contain_text("I'm Ellis")
    # Screen readers hear the answer through the live region.
    expect(page.locator("#ellis-chat [aria-live=polite]")).to_contain_text("Ellis said: Hi!")
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert widget.focused() == "launcher"


def test_a_too_long_message_is_explained_and_kept(hub: HubProcess, page: Page) -> None:
    page.goto(f"{hub.url}/")
    widget = Widget(page)
    widget.open()
    widget.say("x" * 1001)
    expect(page.locator("#ellis-chat .error")).to_contain_text("too long (1001 characters)")
    expect(widget.input).to_have_value("x" * 1001)
    expect(widget.input).to_have_attribute("aria-invalid", "true")
    expect(widget.bubbles("visitor")).to_have_count(0)
    widget.say("hello")
    expect(widget.last_answer()).to_contain_text("I'm Ellis")
    expect(page.locator("#ellis-chat .error")).to_be_hidden()


@pytest.mark.parametrize("width", [1280, 360])
def test_axe_finds_no_violations_open_or_closed(hub: HubProcess, page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{hub.url}/")
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    assert axe_violations(page) == []
    widget.open()
    widget.say("what can you do")
    expect(widget.reply_button("Talk to a person")).to_be_visible()
    assert axe_violations(page) == []


def test_fits_a_360_pixel_screen(hub: HubProcess, page: Page) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{hub.url}/")
    widget = Widget(page)
    widget.open()
    widget.say("what can you do")
    expect(widget.reply_button("Talk to a person")).to_be_visible()
    for part in (widget.panel, widget.input, page.locator("#ellis-chat .send")):
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360


EMBEDDING_PAGE = """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>Otra agencia</title></head>
<body><main><h1>Otra agencia</h1></main>
<script src="{hub}/widget/widget.js" data-hub-url="{hub}" data-title-es="Asistente"
  data-color-primary="#162e51"></script></body></html>"""


@contextlib.contextmanager
def another_site(html: str, port: int) -> Iterator[None]:
    """A plain web server on its own port: another origin embedding the widget."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()


def test_another_site_embeds_the_widget_only_when_allowed(stack: Stack, page: Page) -> None:
    port = free_port()
    other_hub = start_hub(stack, {"HUB_ALLOWED_ORIGINS": f"http://127.0.0.1:{port}"})
    try:
        with another_site(EMBEDDING_PAGE.format(hub=other_hub.url), port):
            page.goto(f"http://127.0.0.1:{port}/")
            widget = Widget(page)
            widget.open()
            expect(page.locator("#ellis-chat .title")).to_have_text("Asistente")
            widget.say("/greet")
            expect(widget.last_answer()).to_contain_text("Soy Ellis")
            # The same page under another origin is not on the list: no chat opens.
            page.goto(f"http://localhost:{port}/")
            widget.open()
            expect(widget.status).to_contain_text("Reconectando")
    finally:
        other_hub.stop()


def test_a_second_tab_joins_the_same_conversation(hub: HubProcess, context: BrowserContext) -> None:
    first, second = context.new_page(), context.new_page()
    first.goto(f"{hub.url}/")
    one = Widget(first)
    one.open()
    one.say("hello")
    expect(one.last_answer()).to_contain_text("I'm Ellis")
    second.goto(f"{hub.url}/")
    two = Widget(second)
    two.open()
    expect(two.bubbles("visitor")).to_have_text(["hello"])
    two.say("what can you do")
    # The first tab sees the second tab's message and the answer as they happen.
    expect(one.bubbles("visitor")).to_have_text(["hello", "what can you do"])
    expect(one.reply_button("Talk to a person")).to_be_visible()


def test_reconnects_after_a_hub_restart_and_sends_what_was_typed_offline(
    hub: HubProcess, page: Page
) -> None:
    page.goto(f"{hub.url}/")
    widget = Widget(page)
    widget.open()
    widget.say("hello")
    expect(widget.last_answer()).to_contain_text("I'm Ellis")
    hub.stop()
    expect(widget.status).to_contain_text("Reconnecting")
    widget.say("what can you do")
    expect(page.locator("#ellis-chat .pending")).to_contain_text("Sending")
    hub.start()
    expect(widget.reply_button("Talk to a person")).to_be_visible()
    expect(widget.status).to_be_hidden()
    expect(widget.bubbles("visitor")).to_have_text(["hello", "what can you do"])
    # And the conversation simply goes on.
    widget.reply_button("Talk to a person").click()
    expect(widget.last_answer()).to_contain_text("800-375-5283")
