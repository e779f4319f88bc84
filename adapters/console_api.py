"""The console's JSON API: the queue, one conversation, and what a rep does to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast, get_args

from aiohttp import web

from adapters import console_views as views
from adapters.console_auth import Login
from adapters.console_socket import NOTES_TOPIC
from bot.clock import Clock
from bot.flow import Flow
from bot.messages import ConversationKey
from bot.ports import Bus, Store
from bot.rep_ports import Desk, Reps
from bot.service import Service
from bot.state import Outcome

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
OUTCOMES = frozenset(get_args(Outcome))
MAX_NOTE = 4000


@dataclass(slots=True)
class Runtime:
    """What the console's handlers share, bound once storage is open."""

    flow: Flow
    service: Service
    store: Store
    reps: Reps
    desk: Desk
    bus: Bus
    clock: Clock
    max_chars: int


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer with markup characters escaped (see ``console_views.dumps``)."""
    return web.Response(
        text=views.dumps(data), status=status, content_type="application/json", charset="utf-8"
    )


def refuse(status: int, message: str) -> web.HTTPException:
    """An error the console shows to the rep as it is, e.g. "already taken by Dana"."""
    kind = _ERRORS[status]
    return kind(text=views.dumps({"error": message}), content_type="application/json")


_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
    429: web.HTTPTooManyRequests,
}


def _key(request: web.Request) -> ConversationKey:
    key = views.parse_key(request.match_info["key"])
    if key is None:
        raise refuse(404, "no such conversation")
    return key


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise refuse(400, "expected a JSON object") from None
    if not isinstance(data, dict):
        raise refuse(400, "expected a JSON object")
    return data


def _text(data: dict[str, Any], limit: int) -> str:
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise refuse(400, "write something first")
    if len(text) > limit:
        raise refuse(400, f"messages are limited to {limit} characters")
    return text.strip()


class Api:
    """Handlers; each gets the request and the signed-in rep (checked by the caller)."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def me(self, request: web.Request, login: Login) -> web.Response:
        """The signed-in rep, their presence and how many conversations they hold."""
        rep = login.rep
        loads = {load.id: load.active for load in await self.rt.reps.rep_loads()}
        return json_response({
            "id": rep.id, "name": rep.name, "email": rep.email, "team": rep.team,
            "presence": rep.presence, "capacity": rep.capacity, "active": loads.get(rep.id, 0),
            "stages": [s.name for s in self.rt.flow.spec.stages],
            "channels": sorted(views.CHANNELS - {"simulate", "console"}),
            "now": self.rt.clock.now().isoformat(),
        })

    async def queue(self, request: web.Request, login: Login) -> web.Response:
        """Waiting and live hand-offs, optionally filtered by ``?stage=`` and ``?channel=``."""
        handoffs = await self.rt.desk.handoffs(("queued", "claimed"))
        rows = views.queue(handoffs, request.query.get("stage"), request.query.get("channel"))
        return json_response({"now": self.rt.clock.now().isoformat(), "items": rows})

    async def conversation(self, request: web.Request, login: Login) -> web.Response:
        """One conversation: transcript, lead card, evidence and score, stages, hand-off, notes."""
        key = _key(request)
        handoff = await self.rt.desk.handoff_for(key)
        transcript = await self.rt.store.transcript(key)
        if handoff is None and not transcript:
            # Loading would create the conversation: a typo in a URL must not do that.
            raise refuse(404, "no such conversation")
        async with self.rt.store.unit() as unit:
            snapshot = await unit.load(key, self.rt.clock.now())
        data = views.conversation(
            self.rt.flow, snapshot, handoff, transcript,
            await self.rt.store.stage_history(key), await self.rt.desk.notes(key),
        )
        return json_response({**data, "now": self.rt.clock.now().isoformat()})

    async def claim(self, request: web.Request, login: Login) -> web.Response:
        """Take the conversation over; exactly one rep wins, the others learn who did."""
        key = _key(request)
        if await self.rt.service.claim(key, login.rep):
            return json_response({"ok": True})
        handoff = await self.rt.desk.handoff_for(key)
        if handoff is not None and handoff.status == "claimed":
            if handoff.rep_id == login.rep.id:
                return json_response({"ok": True})
            raise refuse(409, f"already taken by {handoff.rep_name or 'another rep'}")
        raise refuse(409, "this conversation is not waiting for a rep")

    async def say(self, request: web.Request, login: Login) -> web.Response:
        """Send the rep's message to the prospect (only the owning rep can)."""
        key = _key(request)
        data = await _body(request)
        text = _text(data, self.rt.max_chars)
        client_id = data.get("id")
        if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
            raise refuse(400, "id must be 1-64 characters of A-Z a-z 0-9 _ -")
        stored = await self.rt.service.rep_say(key, login.rep, text, f"{login.rep.id}:{client_id}")
        if stored is None:
            handoff = await self.rt.desk.handoff_for(key)
            if handoff is not None and handoff.status == "claimed" and (
                handoff.rep_id == login.rep.id
            ):
                return json_response({"ok": True, "duplicate": True})
            raise refuse(409, "take the conversation over before writing to the prospect")
        return json_response({"ok": True, "message": views.message(stored)}, status=201)

    async def hand_back(self, request: web.Request, login: Login) -> web.Response:
        """Give the conversation back to the bot, which resumes the open questions."""
        reply = await self.rt.service.hand_back(_key(request), login.rep)
        if not reply.messages:
            raise refuse(409, "only the rep in the conversation can hand it back")
        return json_response({"ok": True})

    async def close(self, request: web.Request, login: Login) -> web.Response:
        """Close with an outcome: won, lost, nurture or spam."""
        key = _key(request)
        outcome = (await _body(request)).get("outcome")
        if outcome not in OUTCOMES:
            raise refuse(400, f"outcome must be one of {', '.join(sorted(OUTCOMES))}")
        reply = await self.rt.service.close(key, login.rep, cast(Outcome, outcome))
        if not reply.messages:
            raise refuse(409, "only the rep in the conversation can close it")
        return json_response({"ok": True})

    async def note(self, request: web.Request, login: Login) -> web.Response:
        """An internal note: stored apart from the transcript, shown to reps only."""
        key = _key(request)
        text = _text(await _body(request), MAX_NOTE)
        if await self.rt.desk.handoff_for(key) is None and not await self.rt.store.transcript(
            key, 0, 1
        ):
            raise refuse(404, "no such conversation")
        note = await self.rt.desk.add_note(key, login.rep.id, text, self.rt.clock.now())
        data = views.note(note)
        await self.rt.bus.publish(NOTES_TOPIC, {"event": "note_added", "key": str(key), **data})
        return json_response({"ok": True, "note": data}, status=201)

    async def presence(self, request: web.Request, login: Login) -> web.Response:
        """The rep sets themselves away (no new leads offered) or back online."""
        presence = (await _body(request)).get("presence")
        if presence not in ("online", "away"):
            raise refuse(400, "presence must be online or away")
        await self.rt.reps.update_rep(login.rep.id, presence=presence)
        return json_response({"ok": True, "presence": presence})
