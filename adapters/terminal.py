"""The terminal channel: chat with the bot locally, with the live score and stage shown."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import TextIO

from bot.describe import describe
from bot.messages import ConversationKey, Inbound
from bot.scoring import score
from bot.service import Reply, Service
from bot.state import StoredMessage

DIM, BOLD, RESET = "\033[2m", "\033[1m", "\033[0m"


class TerminalChat:
    """Reads lines from a terminal and prints the bot's replies; a number picks a quick reply."""

    def __init__(self, service: Service, out: TextIO = sys.stdout) -> None:
        self.service = service
        self.out = out
        self.key = ConversationKey("terminal", uuid.uuid4().hex[:12])
        self.color = out.isatty()
        self._buttons: list[tuple[str, str]] = []

    async def run(self, lines: TextIO = sys.stdin) -> None:
        """Chat until end of input or /quit."""
        self._print_help()
        self._show(await self.service.start(self.key))
        loop = asyncio.get_running_loop()
        while True:
            self.out.write("you> ")
            self.out.flush()
            line = await loop.run_in_executor(None, lines.readline)  # keep the loop free
            if not line or line.strip() in ("/quit", "/exit"):
                break
            text = line.rstrip("\n")
            if text.strip() == "/why":
                await self._explain()
                continue
            self._show(await self.service.receive(self._inbound(text)))
            await self._status()

    def _inbound(self, text: str) -> Inbound:
        kind = "text"
        if text.strip().isdigit() and 0 < int(text) <= len(self._buttons):
            text, kind = self._buttons[int(text) - 1][1], "click"
        return Inbound(self.key, uuid.uuid4().hex, text, self.service.clock.now(), kind)  # type: ignore[arg-type]

    def _show(self, reply: Reply) -> None:
        for message in reply.messages:
            self._line(message)

    def _line(self, message: StoredMessage) -> None:
        self.out.write(f"{self._b('bot>')} {message.text}\n")
        self._buttons = [(q.label, q.value) for q in message.quick_replies]
        for number, (label, _) in enumerate(self._buttons, start=1):
            self.out.write(f"      [{number}] {label}\n")

    async def _status(self) -> None:
        async with self.service.store.unit() as unit:
            snap = await unit.load(self.key, self.service.clock.now())
        owner = {"bot": "", "queued": "  hand-off: waiting for a rep", "rep": "  with a rep"}
        self.out.write(
            self._d(
                f"   score {snap.score}  stage {snap.stage or '-'}{owner[snap.owner]}"
                f"{'  (opted out)' if snap.opted_out else ''}"
            )
            + "\n"
        )

    async def _explain(self) -> None:
        async with self.service.store.unit() as unit:
            snap = await unit.load(self.key, self.service.clock.now())
        for slot, item in snap.evidence.items():
            if item.status == "answer":
                self.out.write(self._d(f"   {slot}: {describe(slot, item.value)}") + "\n")
        for line in score(self.service.flow.spec.scoring, snap.evidence).lines:
            self.out.write(self._d(f'   {line.points:+d} {line.rule}  <- "{line.quote}"') + "\n")

    def _print_help(self) -> None:
        self.out.write(
            self._d("Type to chat; a number picks a button; /why explains the score; /quit leaves.")
            + "\n"
        )

    def _b(self, text: str) -> str:
        return f"{BOLD}{text}{RESET}" if self.color else text

    def _d(self, text: str) -> str:
        return f"{DIM}{text}{RESET}" if self.color else text
