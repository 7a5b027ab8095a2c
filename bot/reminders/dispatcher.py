"""The reminder dispatcher: one short job per instance claims due reminders and sends them.

No per-user jobs live in memory. Each tick:

1. revives slots of users who came back (after a 403 or a consent change);
2. claims, in small batches sized to the send budget, stale ``pending`` deliveries left by
   a stopped dispatcher, snoozes that have ended, and due slots (see
   ``bot.storage.reminders`` for the transactions);
3. for each message: waits for a token of the global send budget, marks the delivery
   ``sending`` (a committed compare-and-set), then calls Telegram outside any transaction;
4. records the outcomes; a 403 deactivates the user and stops their slots.

At-most-once: a delivery is marked ``sending`` before the send call, and a ``sending`` row
is never sent again. A crash during the send call itself therefore loses that one reminder
rather than risking it twice (docs/reminders.md explains why).

Telegram limits: a global budget (``send_budget_per_second / instance_count``) as a token
bucket; at most one message per second per chat; ``RetryAfter`` pauses all sending for the
time Telegram asks; transient failures where Telegram certainly did not act (5xx answers,
connection refused) are retried with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.db import Database
from bot.models.reminders import (
    STATUS_BLOCKED,
    STATUS_FAILED,
    STATUS_SENT,
)
from bot.reminders import messages
from bot.reminders.timemath import is_quiet
from bot.storage import reminders as storage

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[Any]]

# SendReport kinds.
SENT = "sent"
RETRY_AFTER = "retry_after"
TRANSIENT = "transient"
BLOCKED = "blocked"
FAILED = "failed"


@dataclass(frozen=True)
class Outgoing:
    """One rendered reminder, ready for the Bot API."""

    delivery_id: int
    user_id: int
    chat_id: int
    text: str
    rows: tuple[tuple[tuple[str, str], ...], ...]
    silent: bool


@dataclass(frozen=True)
class SendReport:
    """What one send call did: ``kind`` is sent, retry_after, transient, blocked or failed."""

    kind: str
    message_id: int | None = None
    retry_after: float = 0.0
    error: str | None = None


class Sender(Protocol):
    """Delivers one message; maps every failure to a ``SendReport`` (never raises for
    Telegram errors)."""

    async def send(self, outgoing: Outgoing) -> SendReport: ...


class RateLimiter:
    """A send budget: one token every ``1/rate`` seconds, no bursts.

    The schedule is kept through small timer overshoots (a late token does not push every
    later one back), so the long-run rate is ``rate``; after an idle spell it restarts.
    ``rate=None`` means no limit. ``pause(seconds)`` holds every caller (RetryAfter).
    """

    def __init__(self, rate: float | None, *, monotonic: Callable[[], float] | None = None,
                 sleep: Sleep = asyncio.sleep) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._interval = 1.0 / rate if rate else 0.0
        self._tat = -math.inf
        self._paused_until = -math.inf
        self._monotonic = monotonic
        self._sleep = sleep

    def _now(self) -> float:
        if self._monotonic is not None:
            return self._monotonic()
        return asyncio.get_running_loop().time()

    def _allowed_at(self) -> float:
        return max(self._tat, self._paused_until)

    def try_acquire(self) -> bool:
        """Take a token if one is available now."""
        if self.rate is None:
            return self._now() >= self._paused_until
        now = self._now()
        if now < self._allowed_at():
            return False
        late = now - self._tat
        self._tat = (self._tat if late < self._interval else now) + self._interval
        return True

    async def acquire(self) -> None:
        """Wait for a token."""
        while not self.try_acquire():
            await self._sleep(max(self._allowed_at() - self._now(), 0.001))

    def pause(self, seconds: float) -> None:
        """Hold all sending for ``seconds`` (Telegram's flood control)."""
        self._paused_until = max(self._paused_until, self._now() + seconds)


@dataclass
class TickReport:
    """What one tick did (for logs, metrics and tests)."""

    busy: bool = False
    revived: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0
    lost_to_takeover: int = 0
    outcomes: list[storage.Outcome] = field(default_factory=list)


class Dispatcher:
    """Claims due reminders from the database and sends them within Telegram's limits."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        sender: Sender,
        *,
        rate: float | None,
        grace: timedelta = timedelta(minutes=30),
        footer: str = "",
        per_chat_interval: float = 1.0,
        batch_size: int = 500,
        claim_horizon: float = 1.0,
        lease: timedelta = timedelta(minutes=2),
        max_in_flight: int = 8,
        max_attempts: int = 4,
        max_tick_seconds: float = 60.0,
        stop_timeout: float = 10.0,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] | None = None,
        on_outcome: Callable[[str, int], None] | None = None,
        on_retry: Callable[[], None] | None = None,
        keep_running: Callable[[], bool] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.sender = sender
        self.grace = grace
        self.footer = footer
        self.per_chat_interval = per_chat_interval
        self.batch_size = batch_size
        self.claim_horizon = claim_horizon
        self.lease = lease
        self.max_attempts = max_attempts
        self.max_tick_seconds = max_tick_seconds
        self.stop_timeout = stop_timeout
        self.token = uuid.uuid4().hex
        self.limiter = RateLimiter(rate, monotonic=monotonic, sleep=sleep)
        self._sleep = sleep
        self._monotonic = monotonic
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._chat_last: dict[int, float] = {}
        self._busy = False
        self._on_outcome = on_outcome
        self._on_retry = on_retry
        self.keep_running = keep_running or (lambda: True)

    # ----------------------------------------------------------------- helpers
    def _now_mono(self) -> float:
        return self._monotonic() if self._monotonic is not None else asyncio.get_running_loop().time()

    def claim_limit(self) -> int:
        """How many deliveries to claim at once: about ``claim_horizon`` seconds of budget,
        so a crash strands few claimed rows and none waits long in memory."""
        if self.limiter.rate is None:
            return self.batch_size
        return max(1, min(self.batch_size, math.ceil(self.limiter.rate * self.claim_horizon)))

    def render(self, claimed: storage.Claimed) -> Outgoing:
        """The message for one claimed delivery (silent in the user's quiet hours)."""
        rendered = messages.render(claimed.kind, claimed.stretch, claimed.delivery_id,
                                   footer=self.footer)
        silent = is_quiet(claimed.send_at, ZoneInfo(claimed.zone_name))
        return Outgoing(claimed.delivery_id, claimed.user_id, claimed.chat_id, rendered.text,
                        rendered.rows, silent)

    def _count(self, outcome: str, count: int) -> None:
        if self._on_outcome is not None and count:
            self._on_outcome(outcome, count)

    # ----------------------------------------------------------------- the tick
    async def tick(self) -> TickReport:
        """Claim and send everything due now (bounded by ``max_tick_seconds``).

        Returns at once if the previous tick of this dispatcher is still running.
        """
        if self._busy:
            return TickReport(busy=True)
        self._busy = True
        report = TickReport()
        opened = False
        try:
            async with self.db.session() as session:
                report.revived = await storage.revive_suspended(session, now=self.clock())
            started = self._now_mono()
            while self.keep_running():
                examined, claimed = await self._claim(report)
                if claimed:
                    if not opened:
                        await _call(self.sender, "open")
                        opened = True
                    await self._deliver(claimed, report)
                if examined < self.claim_limit() or self._now_mono() - started > self.max_tick_seconds:
                    break
        finally:
            self._busy = False
            if opened:
                await _call(self.sender, "close")
        self._count("sent", report.sent)
        self._count("failed", report.failed + report.blocked)
        self._count("skipped", report.skipped)
        return report

    async def _claim(self, report: TickReport) -> tuple[int, list[storage.Claimed]]:
        limit = self.claim_limit()
        claimed: list[storage.Claimed] = []
        examined = 0
        steps = (
            lambda s, n: storage.reclaim_stale_pending(s, now=self.clock(), lease=self.lease,
                                                       limit=n, token=self.token, grace=self.grace),
            lambda s, n: storage.claim_snoozes(s, now=self.clock(), limit=n, token=self.token,
                                               grace=self.grace),
            lambda s, n: storage.claim_due_slots(s, now=self.clock(), limit=n, token=self.token,
                                                 grace=self.grace),
        )
        for step in steps:
            room = limit - examined
            if room <= 0:
                break
            async with self.db.session() as session:
                batch = await step(session, room)
            examined += batch.examined
            report.skipped += batch.skipped
            claimed.extend(batch.claimed)
        report.claimed += len(claimed)
        return examined, claimed

    async def _deliver(self, claimed: Sequence[storage.Claimed], report: TickReport) -> None:
        outgoing = [self.render(c) for c in claimed]
        tasks: list[asyncio.Task[storage.Outcome]] = []
        index = 0
        try:
            while index < len(outgoing):
                await self.limiter.acquire()
                if not self.keep_running():
                    break
                size = 1
                while index + size < len(outgoing) and self.limiter.try_acquire():
                    size += 1
                chunk = outgoing[index:index + size]
                index += size
                async with self.db.session() as session:
                    allowed = await storage.start_sending(
                        session, [o.delivery_id for o in chunk], self.token
                    )
                report.lost_to_takeover += len(chunk) - len(allowed)
                for item in chunk:
                    if item.delivery_id in allowed:
                        await self._in_flight.acquire()
                        tasks.append(asyncio.create_task(self._send_one(item)))
            outcomes = list(await asyncio.gather(*tasks))
        except BaseException:
            # Stopping mid-batch: let the sends already started finish and record them,
            # and hand back the rows never moved to "sending" (a crash leaves them to the
            # lease instead).
            done = [t.result() for t in await _settle(tasks, self.stop_timeout)]
            if done:
                await self._record(done, report)
            await self._release(outgoing[index:])
            raise
        await self._record(outcomes, report)
        await self._release(outgoing[index:])

    async def _release(self, unsent: Sequence[Outgoing]) -> None:
        if unsent:
            async with self.db.session() as session:
                await storage.release_claims(session, [o.delivery_id for o in unsent],
                                             self.token)

    async def _record(self, outcomes: list[storage.Outcome], report: TickReport) -> None:
        async with self.db.session() as session:
            await storage.record_results(session, outcomes, self.clock())
        report.outcomes.extend(outcomes)
        for outcome in outcomes:
            if outcome.status == STATUS_SENT:
                report.sent += 1
            elif outcome.status == STATUS_BLOCKED:
                report.blocked += 1
            else:
                report.failed += 1

    async def _wait_for_chat(self, chat_id: int) -> None:
        while True:
            now = self._now_mono()
            last = self._chat_last.get(chat_id)
            if last is None or now - last >= self.per_chat_interval:
                self._chat_last[chat_id] = now
                if len(self._chat_last) > 10_000:
                    cutoff = now - self.per_chat_interval
                    self._chat_last = {c: t for c, t in self._chat_last.items() if t > cutoff}
                return
            await self._sleep(last + self.per_chat_interval - now)

    async def _send_one(self, item: Outgoing) -> storage.Outcome:
        try:
            attempts = 0
            while True:
                attempts += 1
                await self._wait_for_chat(item.chat_id)
                result = await self.sender.send(item)
                if result.kind == SENT:
                    return storage.Outcome(item.delivery_id, item.user_id, STATUS_SENT,
                                           result.message_id)
                if result.kind == BLOCKED:
                    return storage.Outcome(item.delivery_id, item.user_id, STATUS_BLOCKED,
                                           error=result.error)
                if result.kind in (RETRY_AFTER, TRANSIENT) and attempts < self.max_attempts:
                    if self._on_retry is not None:
                        self._on_retry()
                    if result.kind == RETRY_AFTER:
                        log.warning("flood control: pausing reminders for %.0f s",
                                    result.retry_after)
                        self.limiter.pause(result.retry_after)
                    else:
                        await self._sleep(0.5 * 2 ** (attempts - 1))
                    await self.limiter.acquire()
                    continue
                return storage.Outcome(item.delivery_id, item.user_id, STATUS_FAILED,
                                       error=result.error or result.kind)
        finally:
            self._in_flight.release()


async def _call(sender: Sender, name: str) -> None:
    """Call the sender's optional ``open``/``close`` (its HTTP client lives for one tick)."""
    method = getattr(sender, name, None)
    if method is not None:
        await method()


async def _settle(tasks: list[asyncio.Task[storage.Outcome]],
                  grace_seconds: float) -> list[asyncio.Task[storage.Outcome]]:
    """Give sends already started up to ``grace_seconds`` to end (shielded from the
    cancellation in progress); cancel the rest. Returns the ones that succeeded."""
    if not tasks:
        return []
    _, pending = await asyncio.shield(asyncio.wait(tasks, timeout=grace_seconds))
    for task in pending:
        task.cancel()
    return [t for t in tasks if t.done() and not t.cancelled() and t.exception() is None]


# --------------------------------------------------------------------------- Telegram
class TelegramSender:
    """Sends reminders through a Bot of its own and classifies Telegram's answers.

    It has its own plain HTTP client (a small pool: httpx's pool bookkeeping costs grow
    with its size, and 8 requests in flight cover several times the 25/s budget at
    Telegram's round-trip times) on purpose: the Application's request object retries
    read timeouts (fine for replies), which for reminders could deliver a message twice.
    Only failures where Telegram certainly did not act are reported as transient (and
    retried by the dispatcher): a 5xx answer, a refused connection, a pool or connect
    timeout. A read timeout or a connection dropped after the request left may have
    delivered the message, so it is reported as failed and never retried (at most once).
    """

    def __init__(self, token: str, base_url: str, *, pool_size: int = 8) -> None:
        from telegram import Bot
        from telegram.request import HTTPXRequest

        self._request = HTTPXRequest(connection_pool_size=pool_size)
        self.bot = Bot(token, base_url=base_url, request=self._request,
                       get_updates_request=self._request)

    async def open(self) -> None:
        await self._request.initialize()

    async def close(self) -> None:
        await self._request.shutdown()

    async def send(self, outgoing: Outgoing) -> SendReport:
        import httpx
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup
        from telegram.constants import ParseMode
        from telegram.error import (
            BadRequest,
            Forbidden,
            NetworkError,
            RetryAfter,
            TelegramError,
            TimedOut,
        )

        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=data) for label, data in row]
             for row in outgoing.rows]
        )
        try:
            message = await self.bot.send_message(
                outgoing.chat_id, outgoing.text, parse_mode=ParseMode.HTML, reply_markup=markup,
                disable_notification=outgoing.silent,
            )
        except RetryAfter as err:
            wait = err._retry_after  # a timedelta; the public property warns on access
            return SendReport(RETRY_AFTER, retry_after=max(1.0, wait.total_seconds()))
        except Forbidden:
            return SendReport(BLOCKED, error="forbidden")
        except BadRequest as err:
            text = str(err).lower()
            if "chat not found" in text or "user is deactivated" in text:
                return SendReport(BLOCKED, error="chat_not_found")
            return SendReport(FAILED, error="bad_request")
        except TimedOut as err:
            if isinstance(err.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout) or (
                "pool timeout" in str(err).lower()
            ):
                return SendReport(TRANSIENT, error="connect_timeout")
            return SendReport(FAILED, error="timeout")
        except NetworkError as err:
            cause = err.__cause__
            if cause is None or isinstance(cause, httpx.ConnectError):
                return SendReport(TRANSIENT, error="server_error" if cause is None else "connect")
            return SendReport(FAILED, error="network")
        except TelegramError as err:
            return SendReport(FAILED, error=type(err).__name__[:32])
        return SendReport(SENT, message_id=message.message_id)
