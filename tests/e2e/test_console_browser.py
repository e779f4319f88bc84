"""A visitor on the demo site and a rep in the console, two real browser pages, one real server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_widget_browser import Widget

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
HOSTILE_NAME = "Dana <b>Scully</b>"  # markup in a name must show as text on both sides
MARKUP = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script><b>hi</b>"
NEED = (
    "Hi, I am Sarah Chen from Northwind Logistics (sarah.chen@northwind.io). We need to "
    "qualify inbound leads faster, our SDRs waste hours"
)
# What the markup above would create if it were ever parsed as HTML, in the page and the widget.
INJECTED = """() => ({pwned: typeof window.__pwned, nodes: [document,
    document.querySelector('#qualibot-widget') && document.querySelector('#qualibot-widget')
      .shadowRoot].filter(Boolean).flatMap(root => [...root.querySelectorAll(
        'img, [onerror], script:not([src]), b')]).filter(n => n.tagName !== 'B'
          || ['Scully', 'hi'].includes(n.textContent)).length})"""


async def add_rep(server: ServerProcess, email: str, name: str) -> None:
    """``qualibot reps add`` against the server's database, as an operator would."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from bot.cli import main; main()",
        "reps", "add", email, "--name", name, "--team", "enterprise",
        "--db", server.env["QUALIBOT_DATABASE_URL"],
        cwd=server.workdir, env=server.env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate((PASSWORD + "\n").encode())
    assert proc.returncode == 0, out.decode()


async def other_lead(server: ServerProcess) -> None:
    """A second prospect, over the widget protocol, who asks for a person early."""
    async with aiohttp.ClientSession() as session, session.ws_connect(
        server.url + "/widget/ws", headers={"Origin": server.url}
    ) as ws:
        frames = [
            {"type": "hello", "token": None, "last_seq": 0},
            {"type": "start", "id": "s"},
            {"type": "message", "id": "a",
             "text": "Hi, this is Marco Rossi from Acme Retail and we need better lead scoring"},
            {"type": "click", "id": "b", "value": "tl_year"},
            {"type": "message", "id": "c", "text": "Can I talk to a person please?"},
        ]
        for frame in frames:
            await ws.send_str(json.dumps(frame))
            if "id" in frame:
                while json.loads((await ws.receive(timeout=10)).data).get("type") != "ack":
                    pass


class Console:
    """The rep console as a rep sees it."""

    def __init__(self, page: Any) -> None:
        from playwright.async_api import expect

        self.page = page
        self.expect = expect
        self.waiting = page.locator("#waiting .item")
        self.live = page.locator("#live .item")
        self.transcript = page.locator("#transcript")
        self.text = page.locator("#text")

    async def sign_in(self, server: ServerProcess, email: str) -> None:
        await self.page.goto(server.url + "/console")
        await self.expect(self.page).to_have_url(server.url + "/console/login")
        await self.page.fill("input[name=email]", email)
        await self.page.fill("input[name=password]", PASSWORD)
        await self.page.click("button[type=submit]")
        await self.expect(self.page).to_have_url(server.url + "/console")
        await self.expect(self.page.locator("#conn")).to_have_attribute("data-state", "live")

    async def say(self, text: str) -> None:
        await self.text.fill(text)
        await self.text.press("Enter")


async def test_a_rep_takes_a_hot_lead_over_and_hands_it_back(
    server: ServerProcess, browser: Any
) -> None:
    await add_rep(server, "dana@example.com", "Dana Scully")
    rep_context = await browser.new_context(viewport={"width": 1440, "height": 860})
    visitor_context = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        console = Console(await rep_context.new_page())
        await console.sign_in(server, "dana@example.com")
        await other_lead(server)
        await console.expect(console.waiting).to_have_count(1)  # arrived live

        widget = Widget(await visitor_context.new_page())
        await widget.visit(server)
        await widget.open()
        await widget.say(NEED)
        await widget.choose("Within 3 months")
        await widget.choose("$50k+/yr")
        await widget.choose("I decide")
        await widget.bot_said("connecting you with someone from our sales team")

        hot = console.waiting.filter(has_text="SQL")
        await console.expect(console.waiting).to_have_count(2)  # the new lead, live
        await console.expect(hot.locator(".sla")).to_contain_text("left")
        await hot.click()
        await console.expect(console.transcript).to_contain_text(NEED)
        await console.expect(console.page.locator("#evidence")).to_contain_text("$50,000")
        await console.expect(console.page.locator("#explain")).to_contain_text("Decision maker")
        await console.page.click("#claim")
        await widget.expect(widget.page.locator("#qualibot-widget .log .notice").last).to_have_text(
            "Dana Scully joined the conversation."
        )
        await console.expect(console.live).to_have_count(1)

        await console.say("Hi Sarah, I'm Dana from sales. Happy to help you get set up.")
        rep_bubble = widget.page.locator("#qualibot-widget .log .row.rep .bubble").last
        await widget.expect(rep_bubble).to_contain_text("Happy to help you get set up.")
        await widget.say("Great, can we book a demo next Tuesday?")
        visitor_line = console.transcript.locator(".line.visitor .bubble").last
        await console.expect(visitor_line).to_have_text("Great, can we book a demo next Tuesday?")
        await console.page.click("#composer .tabs button[data-mode=note]")
        await console.say("Budget confirmed, decision maker. Book with the AE team.")
        await console.expect(console.transcript.locator(".line.note")).to_have_count(1)
        await console.page.click("#composer .tabs button[data-mode=reply]")
        await console.say("Tuesday works. Sending an invite now.")
        await widget.expect(rep_bubble).to_contain_text("Tuesday works. Sending an invite now.")
        await console.expect(console.transcript.locator(".line.rep .bubble").last).to_have_text(
            "Tuesday works. Sending an invite now."
        )
        if os.environ.get("QUALIBOT_SCREENSHOTS"):
            await console.page.screenshot(path=str(ROOT / "docs" / "console.png"))

        await widget.say(MARKUP)  # markup both ways shows as text on both sides
        await console.expect(visitor_line).to_have_text(MARKUP)
        await console.say(MARKUP)
        await widget.expect(rep_bubble).to_contain_text(MARKUP)
        await console.expect(console.transcript.locator(".line.rep .bubble").last).to_have_text(
            MARKUP
        )

        await console.page.click("#handback")
        await widget.bot_said("How many people work at your company?")
        await console.expect(console.live).to_have_count(0)
        await console.expect(console.page.locator("#c-owner")).to_have_text("The bot is talking")
        notes_seen = widget.page.locator("#qualibot-widget .log", has_text="Budget confirmed")
        await widget.expect(notes_seen).to_have_count(0)  # internal notes never reach them

        for page in (console.page, widget.page):
            assert await page.evaluate(INJECTED) == {"pwned": "undefined", "nodes": 0}
    finally:
        await visitor_context.close()
        await rep_context.close()


async def test_a_second_rep_sees_who_took_the_lead(server: ServerProcess, browser: Any) -> None:
    await add_rep(server, "dana@example.com", HOSTILE_NAME)
    await add_rep(server, "fox@example.com", "Fox Mulder")
    contexts = [await browser.new_context() for _ in range(3)]
    try:
        dana, fox = Console(await contexts[0].new_page()), Console(await contexts[1].new_page())
        await dana.sign_in(server, "dana@example.com")
        await dana.expect(dana.page.locator("#me-name")).to_have_text(HOSTILE_NAME)
        await fox.sign_in(server, "fox@example.com")
        widget = Widget(await contexts[2].new_page())
        await widget.visit(server)
        await widget.open()
        await widget.say("Can I talk to a person please?")
        await widget.bot_said("connecting you")
        for console in (dana, fox):
            await console.expect(console.waiting).to_have_count(1)
            await console.waiting.first.click()
            await console.expect(console.page.locator("#claim")).to_be_visible()
        await dana.page.click("#claim")
        await dana.expect(dana.live).to_have_count(1)
        notice = widget.page.locator("#qualibot-widget .log .notice").last
        await widget.expect(notice).to_have_text(f"{HOSTILE_NAME} joined the conversation.")
        # As if he clicked in the instant before his screen caught up (it hides the button).
        await fox.page.locator("#claim").dispatch_event("click")
        await fox.expect(fox.page.locator("#banner")).to_have_text(
            f"already taken by {HOSTILE_NAME}"
        )
        await fox.expect(fox.page.locator("#c-owner")).to_have_text(
            f"{HOSTILE_NAME} is in this conversation"
        )
        await fox.expect(fox.text).to_be_disabled()  # he cannot write to her prospect
        await dana.say("Hello from Dana")
        await widget.expect(
            widget.page.locator("#qualibot-widget .log .row.rep .who").last
        ).to_have_text(HOSTILE_NAME)
        for page in (dana.page, fox.page, widget.page):
            assert await page.evaluate(INJECTED) == {"pwned": "undefined", "nodes": 0}
    finally:
        for context in contexts:
            await context.close()
