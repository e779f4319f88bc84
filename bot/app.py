"""The composition root: the one place that wires settings, storage, the service and channels."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from adapters.console import ConsoleChannel
from adapters.proxies import TrustedProxies
from adapters.widget import WidgetChannel
from adapters.widget_session import Proactive
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.flow import Flow
from bot.inprocess import MemoryBus, MemoryLocks, TeeBus
from bot.messages import ConversationKey
from bot.ports import Bus, Locks, Store
from bot.rep_ports import Cards
from bot.service import Service
from flows import load_flow

if TYPE_CHECKING:
    from adapters.slack import SlackChannel
    from adapters.telegram import TelegramChannel

log = structlog.stdlib.get_logger(__name__)

TICK_SECONDS = 2.0  # how often due timers run and the outbox is relayed
TIDY_SECONDS = 3600.0  # how often old outbox events and expired sessions are deleted

SETTINGS = web.AppKey("SETTINGS", Settings)
FLOW = web.AppKey("FLOW", Flow)
CLOCK: web.AppKey[Clock] = web.AppKey("CLOCK")
STORE: web.AppKey[Store] = web.AppKey("STORE")
BUS: web.AppKey[Bus] = web.AppKey("BUS")
# The events of the turns this process commits (with Redis, BUS carries every process's).
OWN_EVENTS: web.AppKey[Bus] = web.AppKey("OWN_EVENTS")
CARDS: web.AppKey[Cards] = web.AppKey("CARDS")
LOCKS: web.AppKey[Locks] = web.AppKey("LOCKS")
SERVICE = web.AppKey("SERVICE", Service)
WIDGET = web.AppKey("WIDGET", WidgetChannel)
CONSOLE = web.AppKey("CONSOLE", ConsoleChannel)
# Present only when configured; their SDKs are imported only then (about a second of start-up).
SLACK: web.AppKey[SlackChannel] = web.AppKey("SLACK")
TELEGRAM: web.AppKey[TelegramChannel] = web.AppKey("TELEGRAM")


def create_app(
    settings: Settings, *, flow: Flow | None = None, clock: Clock | None = None
) -> web.Application:
    """Build the web application; storage opens and background tasks start on startup.

    Args:
        settings: from ``Settings.from_env``.
        flow: an already loaded flow (tests); default: ``settings.flow`` or the BANT flow,
            loaded and validated here so a broken flow file stops the server before it listens.
        clock: the time source (tests pass a ``FixedClock``).
    """
    flow = flow if flow is not None else load_flow(settings.flow)
    # Before any route is added: the client's address behind trusted proxies is what every
    # handler sees as request.remote (widget cap, console throttle, webhooks, logs).
    middlewares = (
        [TrustedProxies(settings.trusted_proxies, settings.proxy_headers).middleware]
        if settings.trusted_proxies
        else []
    )
    app = web.Application(client_max_size=64 * 1024, middlewares=middlewares)
    app[SETTINGS] = settings
    app[FLOW] = flow
    app[CLOCK] = clock or SystemClock()
    widget = WidgetChannel(
        settings.widget,
        secret=settings.secret.reveal(),
        allowed_origins=settings.allowed_origins,
        proactive=[
            Proactive(rule.page, rule.after_seconds, rule.message)
            for rule in flow.spec.widget.proactive
        ],
        # Clicks are stored as the button's value; the visitor should see the label they clicked.
        labels={qr.value: qr.label for q in flow.spec.questions for qr in q.quick_replies},
    )
    widget.setup(app)
    app[WIDGET] = widget
    console = ConsoleChannel(
        allowed_origins=settings.allowed_origins,
        heartbeat_seconds=settings.widget.heartbeat_seconds,
        max_chars=settings.widget.max_chars,
    )
    console.setup(app)
    app[CONSOLE] = console
    if settings.slack is not None:
        from adapters.slack import SlackChannel

        app[SLACK] = SlackChannel(settings.slack)
        app[SLACK].setup(app)
    if settings.telegram is not None:
        from adapters.telegram import TelegramChannel

        app[TELEGRAM] = TelegramChannel(settings.telegram)
        app[TELEGRAM].setup(app)
    app.router.add_get("/healthz", _healthz)
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_channels)
    app.cleanup_ctx.append(_background)
    return app


async def _storage(app: web.Application) -> AsyncIterator[None]:
    """Open the store, bus and locks, build the service, bind the channels; close in reverse."""
    from storage import open_store  # the composition root is the one place storage is named

    settings = app[SETTINGS]
    store = await open_store(settings.database_url.reveal(), migrate=True)
    bus: Bus
    locks: Locks
    closers: list[Callable[[], Awaitable[object]]] = [store.close]
    if settings.redis_url is not None:
        from storage.redis import RedisBus, RedisLocks, connect_redis

        client = connect_redis(settings.redis_url.reveal())
        own = MemoryBus()
        redis_bus, redis_locks = RedisBus(client), RedisLocks(client)
        bus, locks = TeeBus(redis_bus, own), redis_locks
        # Their readers and lock keeper stop before the client they send through closes.
        closers[:0] = [redis_bus.close, redis_locks.close, client.aclose]
    else:
        bus, locks = MemoryBus(), MemoryLocks()
        own = bus
    service = Service(app[FLOW], store, bus, locks, app[CLOCK], reps=store)
    app[STORE] = store
    app[BUS] = bus
    app[OWN_EVENTS] = own
    app[CARDS] = store
    app[LOCKS] = locks
    app[SERVICE] = service
    app[WIDGET].bind(service, store, bus, app[CLOCK])
    app[CONSOLE].bind(
        app[FLOW], service, store, reps=store, desk=store, sessions=store, bus=bus, clock=app[CLOCK]
    )
    # The URL itself may hold a password: log only which database it is.
    dialect = settings.database_url.reveal().partition(":")[0]
    log.info("storage.opened", database=dialect, redis=settings.redis_url is not None)
    try:
        yield
    finally:
        for close in closers:
            await close()


async def _channels(app: web.Application) -> AsyncIterator[None]:
    """Start Slack and Telegram once storage is open and register them for pushes.

    They close before storage does (cleanup runs in reverse), after finishing what they took.
    """
    service = app[SERVICE]
    slack, telegram = app.get(SLACK), app.get(TELEGRAM)
    try:  # a channel that fails to start (bad token) stops the server, after closing the other
        if slack is not None:
            await slack.start(
                service, app[STORE], app[OWN_EVENTS], app[CLOCK], reps=service.reps,
                cards=app[CARDS],
            )
            service.channels["slack"] = slack
        if telegram is not None:
            await telegram.start(service, app[CLOCK])
            service.channels["telegram"] = telegram
        yield
    finally:
        if telegram is not None:
            service.channels.pop("telegram", None)
            await telegram.close()
        if slack is not None:
            service.channels.pop("slack", None)
            await slack.close()


async def _background(app: web.Application) -> AsyncIterator[None]:
    """Run due timers and relay the outbox every couple of seconds while the app is up."""
    tasks = [
        asyncio.create_task(_every(TICK_SECONDS, app[SERVICE]), name="qualibot-ticker"),
        asyncio.create_task(_hourly(app[STORE], app[CLOCK]), name="qualibot-tidy"),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app[SERVICE].drain()  # publish what finished turns left before storage closes


async def _every(seconds: float, service: Service) -> None:
    while True:
        await asyncio.sleep(seconds)
        for job in (service.tick, service.relay_outbox):
            try:
                await job()
            except Exception:
                # Logged and retried next round: a database blip must not kill the timers.
                log.exception("background.failed", job=job.__name__)


async def _hourly(store: Store, clock: Clock) -> None:
    """Delete published outbox rows (one per turn) and expired console sessions, once an hour."""
    from storage.maintenance import tidy

    while True:
        try:
            turns, sessions = await tidy(store, clock.now())
            log.info("maintenance.tidied", outbox_rows=turns, sessions=sessions)
        except Exception:
            log.exception("maintenance.failed")
        await asyncio.sleep(TIDY_SECONDS)


async def _healthz(request: web.Request) -> web.Response:
    """200 when the database answers a trivial query, else 503 (load balancers, orchestrators)."""
    try:
        async with asyncio.timeout(5):
            await request.app[STORE].transcript(ConversationKey("widget", "-healthz-"), 0, 1)
    except Exception as exc:
        log.warning("healthz.failed", error=type(exc).__name__)
        return web.json_response({"ok": False, "error": "database unavailable"}, status=503)
    return web.json_response({"ok": True})
