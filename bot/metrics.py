"""Prometheus metrics for one bot instance, in a registry of our own (never the global one).

One ``Metrics`` object lives in ``Services.extras["metrics"]``; get it with ``of(services)``.
What other features call:

* reminders dispatcher: ``of(services).reminder("sent" | "failed" | "skipped", count=1)``
* handlers are timed automatically: ``register_handlers`` wraps every callback with
  ``instrument(handler, module_name)`` (updates handled, latency and exceptions by handler,
  labelled ``feature.function``, e.g. ``triage.on_press``).
* the webhook counts refused requests with ``webhook_refused(reason)``.

User gauges (active, blocked, seen recently) are computed from the database at scrape time
by ``render(services)``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select
from telegram.ext import ApplicationHandlerStop, BaseHandler

from bot.models.user import CONSENT_ACCEPTED, User

if TYPE_CHECKING:
    from bot.app import Services

CONTENT_TYPE = CONTENT_TYPE_LATEST
EXTRAS_KEY = "metrics"
REMINDER_OUTCOMES = ("sent", "failed", "skipped")
SEEN_WINDOWS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
# Handler latency buckets, in seconds: most handlers take a few milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The instance's counters, histograms and gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter("cramp_updates", "Updates handled, by handler.", ["handler"], registry=r)
        self.latency = Histogram("cramp_handler_seconds", "Handler latency, by handler.",
                                 ["handler"], buckets=LATENCY_BUCKETS, registry=r)
        self.handler_errors = Counter("cramp_handler_errors", "Exceptions raised, by handler.",
                                      ["handler"], registry=r)
        self.errors = Counter("cramp_errors", "Errors that reached the error handler, by kind "
                              "(database_unavailable, blocked, unhandled).", ["kind"], registry=r)
        self.reminders = Counter("cramp_reminders", "Reminders by outcome (sent, failed, skipped).",
                                 ["outcome"], registry=r)
        self.webhook_refused_total = Counter(
            "cramp_webhook_refused", "Webhook requests refused, by reason.", ["reason"], registry=r
        )
        self.flood_dropped = Counter("cramp_flood_dropped",
                                     "Updates dropped by the per-user flood guard.", registry=r)
        self.telegram_retries = Counter("cramp_telegram_retries",
                                        "Bot API requests retried after a 5xx or a timeout.",
                                        ["method"], registry=r)
        self.users = Gauge("cramp_users", "Users by state (active, blocked, consented).", ["state"],
                           registry=r)
        self.users_seen = Gauge("cramp_users_seen", "Users seen within a window.", ["window"],
                                registry=r)
        self.database_up = Gauge("cramp_database_up", "1 if the database answered the last scrape.",
                                 registry=r)
        for outcome in REMINDER_OUTCOMES:
            self.reminders.labels(outcome=outcome)
        for reason in ("missing_secret", "wrong_secret", "bad_content_type"):
            self.webhook_refused_total.labels(reason=reason)

    def reminder(self, outcome: str, count: int = 1) -> None:
        """Count reminders: ``outcome`` is "sent", "failed" or "skipped"."""
        if outcome not in REMINDER_OUTCOMES:
            raise ValueError(f"unknown reminder outcome {outcome!r}")
        if count:
            self.reminders.labels(outcome=outcome).inc(count)

    def telegram_retry(self, method: str) -> None:
        self.telegram_retries.labels(method=method).inc()

    def error(self, kind: str) -> None:
        self.errors.labels(kind=kind).inc()

    def webhook_refused(self, reason: str) -> None:
        self.webhook_refused_total.labels(reason=reason).inc()

    def observe(self, handler: str, seconds: float) -> None:
        self.updates.labels(handler=handler).inc()
        self.latency.labels(handler=handler).observe(seconds)

    def total(self, sample_name: str) -> float:
        """The sum of a sample over all its labels, e.g. ``total("cramp_updates_total")``."""
        return float(sum(sample.value for family in self.registry.collect()
                         for sample in family.samples if sample.name == sample_name))

    def value(self, name: str, **labels: str) -> float:
        """A sample's current value (0 if absent): for tests and the admin screen."""
        found = self.registry.get_sample_value(name, labels)
        return float(found or 0.0)


def of(services: Services) -> Metrics:
    """The instance's metrics, created on first use."""
    metrics = services.extras.get(EXTRAS_KEY)
    if metrics is None:
        metrics = services.extras[EXTRAS_KEY] = Metrics()
    return metrics


Callback = Callable[[Any, Any], Awaitable[Any]]


def instrument(handler: BaseHandler, module_name: str) -> BaseHandler:
    """Wrap ``handler``'s callback so it is counted and timed as ``feature.function``."""
    callback: Callback = handler.callback
    label = handler_label(module_name, callback)

    async def timed(update: Any, context: Any) -> Any:
        metrics = of(context.services)
        started = time.perf_counter()
        try:
            return await callback(update, context)
        except ApplicationHandlerStop:
            raise
        except Exception:
            metrics.handler_errors.labels(handler=label).inc()
            raise
        finally:
            metrics.observe(label, time.perf_counter() - started)

    timed.__name__ = getattr(callback, "__name__", "callback")
    timed.__doc__ = callback.__doc__
    timed.__wrapped__ = callback  # type: ignore[attr-defined]
    handler.callback = timed
    return handler


def handler_label(module_name: str, callback: Callable[..., Any]) -> str:
    """``feature.function``, e.g. ``triage.on_press``."""
    return f"{module_name.rsplit('.', 1)[-1]}.{getattr(callback, '__name__', 'callback')}"


async def refresh_user_gauges(services: Services) -> bool:
    """Count users by state from the database; False if the database did not answer."""
    metrics = of(services)
    now = services.clock()
    try:
        async with services.db.session() as session:
            row = (await session.execute(select(
                func.count(),
                func.count().filter(User.is_active.is_(True)),
                func.count().filter(User.is_active.is_(False)),
                func.count().filter(User.consent == CONSENT_ACCEPTED),
                *[func.count().filter(User.last_seen_at >= now - span)
                  for span in SEEN_WINDOWS.values()],
            ).select_from(User))).one()
    except Exception:  # a scrape must not fail because the database is down
        metrics.database_up.set(0)
        return False
    total, active, blocked, consented, *seen = (int(v) for v in row)
    metrics.users.labels(state="total").set(total)
    metrics.users.labels(state="active").set(active)
    metrics.users.labels(state="blocked").set(blocked)
    metrics.users.labels(state="consented").set(consented)
    for window, count in zip(SEEN_WINDOWS, seen, strict=True):
        metrics.users_seen.labels(window=window).set(count)
    metrics.database_up.set(1)
    return True


async def render(services: Services) -> bytes:
    """The Prometheus text exposition, user gauges refreshed first."""
    await refresh_user_gauges(services)
    return generate_latest(of(services).registry)
