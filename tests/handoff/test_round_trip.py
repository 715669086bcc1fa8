"""A visitor and an agent, each in their own Chromium context, through real Rasa and the hub."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.widget_page import Widget
from tests.handoff.pages import ConsolePage, conversation_of, expect
from tests.handoff.support import ConsoleClient, Live

pytestmark = [pytest.mark.browser, pytest.mark.rasa]


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    made: list[BrowserContext] = []

    def new() -> BrowserContext:
        context = browser.new_context()
        context.set_default_timeout(30_000)
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()


def visitor_asks_for_a_person(page: Page, live: Live) -> Widget:
    """Ask once (the bot says what it can do and offers a person), then accept the offer."""
    page.goto(f"{live.hub.url}/")
    widget = Widget(page)
    widget.open()
    widget.say("i want to talk to a person")
    expect(widget.last_answer()).to_contain_text("800-375-5283")
    widget.reply_button("Connect me with a person").click()
    return widget


def nobody_online(live: Live, timeout: float = 30.0) -> None:
    """Wait until the consoles of earlier tests are gone (the supervisor API, over HTTP only)."""
    supervisor = ConsoleClient(live.hub)
    assert supervisor.sign_in("sam").status_code == 200
    deadline = time.monotonic() + timeout
    while supervisor.get("supervisor").json()["agents"]:
        assert time.monotonic() < deadline, "a console of an earlier test is still online"
        time.sleep(0.2)


def test_handoff_claim_messages_transfer_end_and_the_bot_resumes(
    live: Live, contexts: Callable[[], BrowserContext]
) -> None:
    agent = ConsolePage(contexts().new_page(), live.hub)
    agent.sign_in("maria")
    visitor = contexts().new_page()
    widget = visitor_asks_for_a_person(visitor, live)
    expect(widget.last_answer()).to_contain_text("number 1 in line")

    # The new chat shows up in Tier 1 with a cue and its waiting time.
    waiting = agent.waiting("Tier 1")
    expect(waiting).to_have_count(1)
    expect(waiting.first).to_have_class(re.compile(r"\bnew\b"))
    expect(waiting.first.locator(".wait")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(waiting.first).to_contain_text("Visitor asked twice for a person")
    agent.claim_first("Tier 1")
    # The whole transcript, the bot's part included, with the reason.
    expect(agent.transcript("visitor").first).to_have_text("i want to talk to a person")
    expect(agent.transcript("bot").first).to_contain_text("800-375-5283")
    expect(agent.page.locator("#chat-facts")).to_contain_text("Visitor asked twice")
    expect(widget.last_answer()).to_contain_text("Maria from the help team has joined")

    # The visitor sees the agent typing, then the message.
    agent.page.get_by_label("Reply", exact=True).fill("Hello, this is Maria.")
    typing = visitor.locator("#ellis-chat .typing")
    expect(typing).to_be_visible()
    expect(typing).to_contain_text("agent is typing")
    agent.reply("Hello, this is Maria. How can I help?")
    expect(widget.bubbles("agent").last).to_have_text("Hello, this is Maria. How can I help?")
    expect(typing).to_be_hidden()
    hostile = "<img src=x onerror=alert()> <b>I need an appointment</b>"
    widget.say(hostile)
    expect(agent.transcript("visitor").last).to_have_text(hostile)
    expect(agent.page.locator("#transcript img, #transcript b")).to_have_count(0)

    # A canned reply in the chat's language.
    agent.page.get_by_label("Canned reply").select_option("anything_else")
    expect(agent.page.get_by_label("Reply", exact=True)).to_have_value(
        "Is there anything else I can help you with?"
    )
    agent.page.get_by_role("button", name="Send", exact=True).click()
    expect(widget.bubbles("agent").last).to_have_text("Is there anything else I can help you with?")

    # Transfer to Tier 2, take it from there, then end: the bot answers again.
    agent.page.get_by_label("Transfer to").select_option("tier_2")
    agent.page.get_by_role("button", name="Transfer", exact=True).click()
    expect(widget.last_answer()).to_contain_text("passing your chat to another team")
    expect(agent.waiting("Tier 2")).to_have_count(1)
    agent.claim_first("Tier 2")
    expect(agent.transcript("visitor").last).to_have_text(hostile)
    agent.page.get_by_role("button", name="End and return to the bot").click()
    expect(widget.last_answer()).to_contain_text("back with the virtual assistant")
    expect(agent.page.locator("#my-chats")).to_contain_text("None yet")
    widget.say("hello")
    expect(widget.last_answer()).to_contain_text("I'm Ellis")

    # Rasa's tracker holds the pause, the human part and the resume.
    events = live.stack.tracker(conversation_of(visitor, live.hub))["events"]
    kinds = [event["event"] for event in events]
    assert "pause" in kinds and "resume" in kinds
    assert kinds.index("pause") < kinds.index("resume")
    human = [e for e in events if e["event"] == "bot" and (e.get("metadata") or {}).get("agent")]
    assert [e["text"] for e in human][:1] == ["Hello, this is Maria. How can I help?"]
    assert any(e["event"] == "user" and e.get("text") == hostile for e in events)


def test_a_hub_restart_during_a_live_chat_loses_nothing(
    live: Live, contexts: Callable[[], BrowserContext]
) -> None:
    agent = ConsolePage(contexts().new_page(), live.hub)
    agent.sign_in("maria")
    visitor = contexts().new_page()
    widget = visitor_asks_for_a_person(visitor, live)
    agent.claim_first("Tier 1")
    agent.reply("Before the restart.")
    expect(widget.bubbles("agent").last).to_have_text("Before the restart.")

    live.hub.restart()

    # Both pages reconnect by themselves and the chat goes on where it was.
    agent.reply("After the restart.")
    expect(widget.bubbles("agent").last).to_have_text("After the restart.")
    widget.say("I can still write to you")
    expect(agent.transcript("visitor").last).to_have_text("I can still write to you")
    visitor.reload()
    expect(widget.bubbles("agent")).to_have_text(["Before the restart.", "After the restart."])
    # The agent's browser reloads too: still signed in, the chat still theirs, nothing missing.
    agent.page.reload()
    agent.page.locator("#my-chats .my-chat").first.click()
    expect(agent.transcript("visitor").last).to_have_text("I can still write to you")
    agent.page.get_by_role("button", name="End and return to the bot").click()
    expect(widget.last_answer()).to_contain_text("back with the virtual assistant")
    widget.say("hello")
    expect(widget.last_answer()).to_contain_text("I'm Ellis")


def test_with_no_agent_online_the_visitor_gets_other_routes_and_can_leave_a_question(
    live: Live, contexts: Callable[[], BrowserContext]
) -> None:
    nobody_online(live)
    visitor = contexts().new_page()
    widget = visitor_asks_for_a_person(visitor, live)
    answer = widget.last_answer()
    expect(answer).to_contain_text("No agent is free")
    expect(answer).to_contain_text("800-375-5283")
    expect(answer).to_contain_text("TTY: 800-767-1833")
    expect(answer).to_contain_text("secure message")
    widget.reply_button("Leave a question by e-mail").click()
    expect(widget.last_answer()).to_contain_text("type your question")
    widget.say("When will my green card arrive after approval?")
    expect(widget.last_answer()).to_contain_text("e-mail address")
    widget.say("not an address")
    refused = visitor.locator("#ellis-chat .msg-bot", has_text="doesn't look like an e-mail")
    expect(refused).to_have_count(1)
    expect(widget.last_answer()).to_contain_text("e-mail address should the answer go to")
    widget.say("ana@example.com")
    expect(widget.last_answer()).to_contain_text("service request number is")
    found = re.search(r"number is (\d{8})", widget.last_answer().inner_text())
    assert found is not None
    number = found.group(1)
    # The bot keeps helping.
    widget.say("hello")
    expect(widget.last_answer()).to_contain_text("I'm Ellis")

    # The request waits in the console's service-request queue; the answer goes by e-mail.
    agent = ConsolePage(contexts().new_page(), live.hub)
    agent.sign_in("maria")
    agent.page.get_by_role("button", name=re.compile("Service requests")).click()
    item = agent.page.locator(f'li.request[data-number="{number}"]')
    expect(item).to_contain_text("When will my green card arrive after approval?")
    item.get_by_role("textbox").fill("Cards are mailed within a few weeks of approval.")
    item.get_by_role("button", name="Send answer by e-mail").click()
    expect(item).to_have_count(0)
    mails = [m for m in live.mailbox.messages if number in m["Subject"]]
    assert len(mails) == 1 and mails[0]["To"] == "ana@example.com"
    assert "within a few weeks" in mails[0].get_content()


def test_after_hours_the_visitor_is_told_and_the_bot_keeps_helping(
    live: Live, contexts: Callable[[], BrowserContext]
) -> None:
    hub = live.hub
    today = datetime.now(ZoneInfo("America/New_York")).date()
    # Yesterday and tomorrow too, so that a run across midnight is still after hours.
    days = ",".join((today + timedelta(days=d)).isoformat() for d in (-1, 0, 1))
    hub.env["HANDOFF_HOLIDAYS"] = days
    hub.restart()
    try:
        agent = ConsolePage(contexts().new_page(), hub)
        agent.sign_in("sam")
        expect(agent.page.locator("#hours-note")).to_contain_text("closed")
        agent.page.get_by_role("button", name="Supervisor view").click()
        expect(agent.page.locator("#figures")).to_contain_text("Agents online")
        expect(agent.page.locator("#chart-queues svg rect")).to_have_count(4)
        agent.page.get_by_role("button", name="Chats", exact=True).click()
        visitor = contexts().new_page()
        visitor.goto(f"{hub.url}/es/")
        widget = Widget(visitor)
        widget.open()
        widget.say("quiero hablar con una persona")
        expect(widget.last_answer()).to_contain_text("800-375-5283")
        widget.reply_button("Comuníqueme con una persona").click()
        expect(widget.last_answer()).to_contain_text("está cerrado en este momento")
        expect(widget.last_answer()).to_contain_text("TTY: 800-767-1833")
        widget.say("hola")
        expect(widget.last_answer()).to_contain_text("Soy Ellis")
    finally:
        del hub.env["HANDOFF_HOLIDAYS"]
        hub.restart()
