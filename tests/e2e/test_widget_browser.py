"""The widget in a real browser on the demo site, against the real server in a subprocess."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ServerProcess

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NEED = "We need to qualify our inbound leads faster, our SDRs waste hours"
HANDOFF = "connecting you with someone from our sales team"
SLOW = 20_000  # ms: reconnects after a restart wait out the backoff


class Widget:
    """The widget as a visitor sees it; Playwright's CSS locators pierce the open shadow root."""

    def __init__(self, page: Any) -> None:
        from playwright.async_api import expect

        self.page = page
        self.expect = expect
        self.launcher = page.locator("#qualibot-widget .launcher")
        self.panel = page.locator("#qualibot-widget .panel")
        self.input = page.locator("#qualibot-widget textarea")
        self.status = page.locator("#qualibot-widget .status")
        self.bot = page.locator("#qualibot-widget .log .row.bot .bubble")
        self.visitor = page.locator("#qualibot-widget .log .row.visitor .bubble")

    async def visit(self, server: ServerProcess, path: str = "/") -> None:
        await self.page.goto(server.url + path)
        await self.expect(self.status).to_have_attribute("data-state", "online")

    async def open(self) -> None:
        await self.launcher.click()
        await self.expect(self.panel).to_be_visible()

    async def say(self, text: str) -> None:
        await self.input.fill(text)
        await self.input.press("Enter")

    async def choose(self, label: str) -> None:
        await self.page.locator("#qualibot-widget .replies .qr", has_text=label).click()

    async def bot_said(self, text: str, wait_ms: int = 10_000) -> None:
        await self.expect(self.bot.last).to_contain_text(text, timeout=wait_ms)

    async def rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await self.page.evaluate(
            """() => [...document.querySelector('#qualibot-widget').shadowRoot
                 .querySelectorAll('.log .row')].map(r => ({
                   seq: r.dataset.seq ? Number(r.dataset.seq) : null,
                   author: r.className.split(' ')[1],
                   text: r.querySelector('.bubble, .notice').lastChild.textContent}))"""
        )
        return rows

    async def assert_each_line_once(self, visitor_lines: list[str]) -> None:
        rows = await self.rows()
        seqs = [r["seq"] for r in rows]
        assert None not in seqs, rows  # nothing left unsent
        assert seqs == sorted(set(seqs)), rows  # in order, no duplicates
        assert [r["text"] for r in rows if r["author"] == "visitor"] == visitor_lines


async def test_a_visitor_completes_bant_by_typing_and_clicking(
    server: ServerProcess, page: Any
) -> None:
    widget = Widget(page)
    await widget.visit(server)
    await widget.open()
    await widget.bot_said("What brings you here today?")
    await widget.say(NEED)
    await widget.bot_said("When would you like to have a solution in place?")
    await widget.choose("Within 3 months")
    await widget.bot_said("budget")
    await widget.expect(page.locator("#qualibot-widget .replies .qr")).to_have_count(4)
    if os.environ.get("QUALIBOT_SCREENSHOTS"):
        await page.mouse.move(10, 790)
        await page.wait_for_timeout(400)  # let the hover transition settle: a picture, not a check
        await page.screenshot(path=str(ROOT / "docs" / "widget.png"))
    await widget.choose("$50k+/yr")
    await widget.bot_said("What's your role")
    await widget.choose("I decide")
    await widget.bot_said(HANDOFF)
    await widget.assert_each_line_once([NEED, "Within 3 months", "$50k+/yr", "I decide"])


async def test_a_reload_midway_keeps_the_conversation(server: ServerProcess, page: Any) -> None:
    widget = Widget(page)
    await widget.visit(server)
    await widget.open()
    await widget.say(NEED)
    await widget.bot_said("When would you like")
    before = await widget.rows()
    await page.reload()
    await widget.expect(widget.panel).to_be_visible()  # it stays open across pages
    await widget.expect(widget.status).to_have_attribute("data-state", "online")
    assert await widget.rows() == before
    await widget.choose("ASAP")
    await widget.bot_said("budget")
    await page.goto(server.url + "/pricing")  # navigation is a reload too
    await widget.choose("$10k–$50k/yr")
    await widget.bot_said("What's your role")
    await widget.choose("I decide")
    await widget.bot_said(HANDOFF)
    await widget.assert_each_line_once([NEED, "ASAP", "$10k–$50k/yr", "I decide"])


async def test_a_server_restart_midway_loses_and_duplicates_nothing(
    server: ServerProcess, page: Any
) -> None:
    widget = Widget(page)
    await widget.visit(server)
    await widget.open()
    await widget.say(NEED)
    await widget.choose("Within 3 months")
    await widget.bot_said("budget")

    assert await server.stop() == 0  # SIGTERM: a graceful stop
    await widget.expect(widget.status).to_have_attribute("data-state", "offline")
    await widget.choose("$50k+/yr")  # clicked while the server is down: queued
    await widget.expect(page.locator("#qualibot-widget .state.queued")).to_have_count(1)

    await server.start()  # same database file, same secret, same port
    await widget.expect(widget.status).to_have_attribute("data-state", "online", timeout=SLOW)
    await widget.bot_said("What's your role", wait_ms=SLOW)
    await widget.expect(page.locator("#qualibot-widget .state")).to_have_count(0)
    await widget.choose("I decide")
    await widget.bot_said(HANDOFF)
    await widget.assert_each_line_once([NEED, "Within 3 months", "$50k+/yr", "I decide"])
    await page.reload()
    await widget.bot_said(HANDOFF)
    await widget.assert_each_line_once([NEED, "Within 3 months", "$50k+/yr", "I decide"])


async def test_markup_typed_by_the_visitor_is_shown_as_text(
    server: ServerProcess, page: Any
) -> None:
    widget = Widget(page)
    await widget.visit(server)
    await widget.open()
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>hi</b>'
    await widget.say(attack)
    stored = page.locator("#qualibot-widget .log .row.visitor[data-seq]")
    await widget.expect(stored).to_have_count(1)  # acknowledged: the server has it
    await widget.expect(stored.locator(".bubble")).to_contain_text(attack)
    await page.reload()  # and it comes back from the cache and the server as text too
    await widget.expect(stored.locator(".bubble")).to_contain_text(attack)
    injected = await page.evaluate(
        """() => ({pwned: typeof window.__pwned,
                  nodes: document.querySelector('#qualibot-widget').shadowRoot
                           .querySelectorAll('.log img, .log script, .log b').length})"""
    )
    assert injected == {"pwned": "undefined", "nodes": 0}


async def test_a_second_tab_shows_the_conversation_and_counts_unread(
    server: ServerProcess, page: Any
) -> None:
    other = await page.context.new_page()
    try:
        tab = Widget(other)
        await tab.visit(server, "/pricing")  # closed, in the background
        widget = Widget(page)
        await widget.visit(server)
        await widget.open()
        await widget.say(NEED)
        await widget.bot_said("When would you like")
        badge = other.locator("#qualibot-widget .badge")
        await tab.expect(badge).to_be_visible()
        await tab.expect(badge).to_have_text("3")  # greeting, first question, next question
        await tab.open()
        await tab.expect(badge).to_be_hidden()
        await tab.assert_each_line_once([NEED])
    finally:
        await other.close()


async def test_keyboard_and_screen_reader_basics(server: ServerProcess, page: Any) -> None:
    widget = Widget(page)
    await widget.visit(server)
    await widget.expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    await widget.launcher.focus()
    await page.keyboard.press("Enter")
    await widget.expect(widget.panel).to_be_visible()
    await widget.expect(widget.input).to_be_focused()
    log = page.locator("#qualibot-widget .log")
    await widget.expect(log).to_have_attribute("role", "log")
    await widget.expect(log).to_have_attribute("aria-live", "polite")
    await widget.expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    await page.keyboard.press("Escape")
    await widget.expect(widget.panel).to_be_hidden()
    await widget.expect(widget.launcher).to_be_focused()


async def test_the_pricing_page_opens_the_chat_proactively(
    server: ServerProcess, page: Any
) -> None:
    await page.clock.install()
    widget = Widget(page)
    await widget.visit(server, "/pricing")
    await widget.expect(widget.panel).to_be_hidden()
    await page.clock.fast_forward(21_000)  # the flow says: after 20 s on /pricing*
    await widget.expect(widget.panel).to_be_visible()
    await widget.expect(widget.bot.first).to_contain_text("Comparing plans?")
    await widget.bot_said("What brings you here today?")


async def test_phones_get_a_full_screen_chat(server: ServerProcess, browser: Any) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 780}, is_mobile=True)
    try:
        page = await context.new_page()
        widget = Widget(page)
        await widget.visit(server)
        await widget.open()
        box = await widget.panel.bounding_box()
        assert box is not None
        assert (round(box["x"]), round(box["y"])) == (0, 0)
        assert (round(box["width"]), round(box["height"])) == (390, 780)
    finally:
        await context.close()
