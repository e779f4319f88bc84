"""The Telegram channel: updates by webhook (/telegram/webhook) or polling, replies paced per chat.

PTB is used for what it is good at here, the Bot API client and its types (``Bot``,
``Update.de_json``), in our own aiohttp server as in PTB's custom-webhook example. Its
``Application`` is not: its update processing is either one update at a time for every chat or
concurrent without per-chat order, and we need both concurrency and order (telegram_order).
No ``ConversationHandler`` or persistence either: the conversation table is the state (style 4).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

import structlog
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from adapters.outbound import Pace, Pacer
from adapters.retry import Verdict, Wait
from adapters.split_text import split, utf16_length
from adapters.telegram_order import ChatQueues
from bot.clock import Clock
from bot.config import TelegramSettings
from bot.messages import ConversationKey, Inbound, InboundKind
from bot.service import Reply, Service
from bot.state import StoredMessage

log = structlog.stdlib.get_logger(__name__)

TELEGRAM_PACE = Pace(per_chat=1.0, chat_burst=3, overall=30.0)
TELEGRAM_LIMIT = 4096  # characters per message, counted in UTF-16 code units
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
UPDATES = ["message", "callback_query"]
POLL_SECONDS = 30
DRAIN_SECONDS = 10.0
GROUP_ANSWER = "I only talk one to one: open a private chat with me{handle} and send /start."


def classify(exc: BaseException) -> Verdict:
    """What a failed Bot API call means, from PTB's exception classes (telegram.error).

    ``RetryAfter`` (429, flood control): wait its ``retry_after``. ``TimedOut`` and a plain
    ``NetworkError`` (PTB raises it for connection failures, dropped connections and 5xx
    answers, and wraps any other transport error in it) are transient. Everything else is
    permanent, including ``NetworkError``'s other subclass ``BadRequest`` (400: message too
    long, chat not found), ``Forbidden`` (403: bot blocked by the user, kicked),
    ``InvalidToken`` (401/404), ``ChatMigrated`` and ``Conflict``. A ``TimedOut`` read may
    have been delivered all the same, so a retry can rarely show a message twice: a
    duplicate reply is better than a lost one.
    """
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # int vs timedelta migration warning (PTB 22.2)
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            value = exc.retry_after
        return Wait(value.total_seconds() if isinstance(value, timedelta) else float(value))
    if isinstance(exc, TimedOut) or type(exc) is NetworkError:
        return "transient"
    return "permanent"


class TelegramChannel:
    """Telegram for prospects in private chats; groups get a pointer there, or silence.

    Args:
        settings: token, secret token, mode, API URL, group policy.
        pacer: the paced queue for sends (tests pass one on a fake clock).
        settle: seconds a chat waits for concurrent updates before applying them in order.
    """

    def __init__(
        self, settings: TelegramSettings, *, pacer: Pacer | None = None, settle: float = 0.05
    ) -> None:
        self.settings = settings
        base = (settings.api_url or "https://api.telegram.org").rstrip("/")
        self.bot = Bot(
            settings.token.reveal(), base_url=f"{base}/bot", base_file_url=f"{base}/file/bot"
        )
        self.pacer = pacer or Pacer(TELEGRAM_PACE, classify)
        self.chats: ChatQueues[Update] = ChatQueues(self._apply, settle)
        self._service: Service | None = None
        self._clock: Clock | None = None
        self._poller: asyncio.Task[None] | None = None

    def setup(self, app: web.Application) -> None:
        """Mount ``POST /telegram/webhook`` in webhook mode."""
        if self.settings.mode == "webhook":
            app.router.add_post("/telegram/webhook", self._webhook)

    async def start(self, service: Service, clock: Clock) -> None:
        """Bind to the running service, learn the bot's name (getMe), start polling if asked."""
        await self.bot.initialize()
        self._service, self._clock = service, clock
        if self.settings.mode == "polling":
            self._poller = asyncio.create_task(self._poll(), name="telegram-polling")
        log.info("telegram.started", mode=self.settings.mode, bot=self.bot.username)

    async def close(self) -> None:
        """Stop polling, apply updates already taken, flush the send queue, close the client."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        await self.chats.close(DRAIN_SECONDS)
        await self.pacer.close()
        self._service = None
        await self.bot.shutdown()

    async def idle(self) -> None:
        """Wait until every update taken has been applied and every reply sent (tests)."""
        await self.chats.join()
        await self.pacer.join()

    # -- the Channel port -------------------------------------------------------------------

    async def send(self, key: ConversationKey, messages: Sequence[StoredMessage]) -> None:
        """Queue ``messages`` to the chat; the pacer delivers them in order."""
        chat_id = int(key.address)
        for message in messages:
            pieces = split(_shown(message), TELEGRAM_LIMIT, measure=utf16_length) or ["…"]
            for i, piece in enumerate(pieces):
                markup = _keyboard(message) if i == len(pieces) - 1 else None
                self.pacer.put(str(chat_id), self._sender(chat_id, piece, markup))

    def _sender(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> Callable[[], Awaitable[Message]]:
        return lambda: self.bot.send_message(chat_id, text, reply_markup=markup)

    # -- inbound ------------------------------------------------------------------------------

    async def _webhook(self, request: web.Request) -> web.Response:
        expected = self.settings.secret_token
        given = request.headers.get(SECRET_HEADER, "")
        if expected is None or not hmac.compare_digest(
            given.encode(), expected.reveal().encode()
        ):
            log.warning("telegram.secret_refused", address=request.remote)
            raise web.HTTPForbidden(text="wrong secret token")
        if self._service is None:
            raise web.HTTPServiceUnavailable(text="starting or stopping, retry shortly")
        try:
            update = Update.de_json(await request.json(), self.bot)
        except (ValueError, TypeError, KeyError) as exc:
            raise web.HTTPBadRequest(text="not an update") from exc
        self.take(update)
        return web.Response(text="ok")  # answered at once; the update is applied in order

    def take(self, update: Update) -> None:
        """Queue one update behind its chat's earlier ones."""
        chat = update.effective_chat
        self.chats.put(chat.id if chat is not None else 0, update.update_id, update)

    async def _poll(self) -> None:
        """Long polling for development: no public URL needed (and no webhook may be set)."""
        await self.bot.delete_webhook()
        offset, backoff = 0, 1.0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_SECONDS, allowed_updates=UPDATES,
                    read_timeout=POLL_SECONDS + 10,
                )
            except TelegramError as exc:
                log.warning("telegram.poll_failed", error=str(exc)[:200])
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            for update in updates:
                self.take(update)
                offset = update.update_id + 1

    async def _apply(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._click(update)
            return
        message = update.message
        if message is None:
            return  # edits, channel posts, membership changes: nothing to answer
        if message.chat.type != "private":
            await self._group(message)
            return
        text = message.text or message.caption
        if not text:
            return
        command = _command(text)
        if command == "start":
            # Read as "hi": greets a new chat, re-asks in an open one, resumes after /stop;
            # stored under the update_id, so a re-delivered /start changes nothing.
            text = "hi"
        elif command in ("stop", "help"):
            text = command
        name = message.from_user.full_name if message.from_user else None
        await self._receive(message.chat.id, str(update.update_id), text, "text", name)

    async def _click(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None
        message = query.message
        with contextlib.suppress(TelegramError):  # an expired query must not lose the answer
            await query.answer()
        if not isinstance(message, Message) or message.chat.type != "private" or not query.data:
            return
        handled = await self._receive(
            message.chat.id, str(update.update_id), query.data, "click", query.from_user.full_name
        )
        if handled:  # the buttons go once answered, so an old question cannot be re-answered
            chat, message_id = message.chat.id, message.message_id
            self.pacer.put(str(chat), lambda: self.bot.edit_message_reply_markup(
                chat, message_id, reply_markup=None
            ))

    async def _group(self, message: Message) -> None:
        if self.settings.groups == "ignore":
            return
        text = message.text or ""
        handle = f"@{self.bot.username}" if self.bot.username else ""
        addressed = text.startswith("/") or (handle and handle.lower() in text.lower()) or (
            message.reply_to_message is not None
            and message.reply_to_message.from_user is not None
            and message.reply_to_message.from_user.id == self.bot.id
        )
        if addressed:  # in a group the bot answers only when spoken to, never to all chatter
            answer = GROUP_ANSWER.format(handle=f" ({handle})" if handle else "")
            chat, reply_to = message.chat.id, message.message_id
            self.pacer.put(str(chat), lambda: self.bot.send_message(
                chat, answer, reply_to_message_id=reply_to
            ))

    async def _receive(
        self, chat_id: int, external_id: str, text: str, kind: InboundKind, name: str | None
    ) -> bool:
        assert self._service is not None
        assert self._clock is not None
        key = ConversationKey("telegram", str(chat_id))
        reply: Reply = await self._service.receive(
            Inbound(key, external_id, text, self._clock.now(), kind, name)
        )
        await self.send(key, reply.messages)
        return not reply.duplicate


def _command(text: str) -> str | None:
    """``/start@QualiBot payload`` -> ``start``; None for ordinary text."""
    if not text.startswith("/"):
        return None
    return text.split(maxsplit=1)[0][1:].partition("@")[0].lower()


def _shown(message: StoredMessage) -> str:
    """Plain text (no parse mode: nothing a prospect typed can break the formatting)."""
    if message.author == "rep":
        return f"{message.author_name or 'Sales'}: {message.text}"
    return message.text


def _keyboard(message: StoredMessage) -> InlineKeyboardMarkup | None:
    """Quick replies as an inline keyboard, one button a row (labels stay readable on phones).

    ``callback_data`` holds the value and Telegram allows 64 bytes: longer values are left
    out (and logged); flow values are short ids like ``tl_3m``.
    """
    rows: list[list[InlineKeyboardButton]] = []
    for qr in message.quick_replies:
        if len(qr.value.encode()) > 64:
            log.warning("telegram.quick_reply_too_long", value=qr.value[:80])
            continue
        rows.append([InlineKeyboardButton(qr.label, callback_data=qr.value)])
    return InlineKeyboardMarkup(rows) if rows else None
