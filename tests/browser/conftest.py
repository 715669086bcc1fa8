"""Debian's Chromium through Playwright, one browser and one hub per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from scripts.stack import HubProcess, Stack, running_hub


@pytest.fixture(scope="module")
def hub(stack: Stack) -> Iterator[HubProcess]:
    with running_hub(stack) as running:
        yield running


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh visitor: own storage, so own conversation."""
    context = browser.new_context()
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
