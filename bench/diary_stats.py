"""/stats for a user with 10,000 logged cramps: the text and the chart, timed separately.

    .venv/bin/python bench/diary_stats.py [--episodes 10000] [--runs 7] [--db sqlite|postgres|both]

PostgreSQL is measured when ``TEST_DATABASE_URL`` (or ``DATABASE_URL``) points at one (an
isolated schema is created and dropped). What is timed, per period (7, 30, 90 days):

* ``text``  — what /stats does before it can answer: read the period's episodes (one
  indexed range query), the cross-feature reads (last triage, reminder adherence), compute
  the statistics (pure) and format the message (``bot.handlers.stats.stats_text``);
* ``chart`` — ``bot.diary.chart.render_chart`` on those statistics (matplotlib, Agg), the
  part /stats runs in a worker thread while the chat shows "sending a photo…";
* ``/stats end to end`` — the real Application handling a typed /stats, through the local
  Bot API stand-in: from the update to the photo's upload request (30 days);
* ``/export`` — the CSV of every episode and the one-page PDF (90 days), end to end.

The 10,000 cramps are spread over the last 90 days (about 110 a day: far more than any
person logs, so the 90-day figures are an upper bound). Each measure runs ``--runs`` times
after one warm-up; the table shows p50 and max in milliseconds. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import bot.models  # noqa: E402, F401
from bot.config import Settings  # noqa: E402
from bot.db import Database, create_engine  # noqa: E402
from bot.diary import sources  # noqa: E402
from bot.diary.chart import render_chart  # noqa: E402
from bot.diary.vocab import CONTEXTS, DURATIONS, LOCATIONS, REMEDIES, SIDES, night_of  # noqa: E402
from bot.models.episode import Episode  # noqa: E402
from bot.models.user import CONSENT_ACCEPTED, User  # noqa: E402

USER_ID = 1001
TZ = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
PERIODS = (7, 30, 90)
TOKEN = "123456789:BENCH-token-for-the-local-stand-in-only"


def episode_rows(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """``count`` plausible cramps in the last 90 days, mostly at night."""
    rng = random.Random(seed)
    hours = [0, 1, 2, 3, 3, 4, 4, 5, 6, 7, 14, 18, 21, 22, 23, 23]
    rows = []
    for _ in range(count):
        started = NOW - timedelta(days=rng.randrange(90), hours=rng.randrange(24))
        started = started.replace(hour=rng.choice(hours), minute=rng.randrange(60))
        if started > NOW:
            started -= timedelta(days=1)
        helped = rng.sample(list(REMEDIES)[:5], rng.randint(0, 2))
        rows.append({
            "user_id": USER_ID, "started_at": started, "logged_at": started,
            "night_of": night_of(started.astimezone(TZ)), "source": "button",
            "location": rng.choice([*LOCATIONS, None]), "side": rng.choice([*SIDES, None]),
            "severity": rng.choice([*range(1, 11), None]),
            "duration": rng.choice([*DURATIONS, None]), "context": rng.choice([*CONTEXTS, None]),
            "helped": helped or None, "helped_rating": rng.randint(0, 3) if helped else None,
        })
    return rows


async def seed(db: Database, count: int) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    async with db.session() as session:
        session.add(User(id=USER_ID, chat_id=USER_ID, first_name="Bench", timezone=TZ.key,
                         country="GB", consent=CONSENT_ACCEPTED, consent_at=NOW,
                         created_at=NOW, last_seen_at=NOW))
        await session.commit()
        rows = episode_rows(count)
        connection = await session.connection()
        for start in range(0, len(rows), 2000):
            await connection.execute(insert(Episode.__table__), rows[start:start + 2000])
        await session.commit()


async def timed(runs: int, action: Callable[[], Awaitable[Any]]) -> list[float]:
    await action()  # warm-up: imports, font cache, query plans
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def measure(label: str, db: Database, runs: int) -> list[tuple[str, str, list[float]]]:
    from bot.handlers.stats import stats_text

    results = []
    for days in PERIODS:
        holder: dict[str, Any] = {}

        async def text_path(days: int = days, holder: dict[str, Any] = holder) -> None:
            stats = await sources.gather_stats(db, USER_ID, days=days, now=NOW, tz=TZ)
            holder["stats"] = stats
            holder["text"] = stats_text(stats)

        samples = await timed(runs, text_path)
        results.append((label, f"text, {days} days ({holder['stats'].total} cramps)", samples))

        async def chart_path(holder: dict[str, Any] = holder) -> None:
            holder["png"] = await asyncio.to_thread(render_chart, holder["stats"])

        samples = await timed(runs, chart_path)
        results.append((label, f"chart, {days} days ({len(holder['png']) // 1024} KB PNG)",
                        samples))
    results += await end_to_end(label, db, runs)
    return results


async def end_to_end(label: str, db: Database, runs: int) -> list[tuple[str, str, list[float]]]:
    """/stats and /export through the real Application and the local Bot API stand-in."""
    from bot.app import build_application
    from bot.standin import BotApiStandIn, UserDriver

    standin = await BotApiStandIn().start()
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///unused.db",
                        telegram_bot_token=TOKEN)
    application = build_application(settings, db=db, clock=lambda: NOW,
                                    base_url=standin.base_url,
                                    base_file_url=standin.base_file_url,
                                    start_background_jobs=False)
    await application.initialize()
    await application.start()
    user = UserDriver(standin, application, user_id=USER_ID, first_name="Bench")
    results = []
    try:
        async def stats_command() -> None:
            reply = await user.send("/stats")
            assert reply.last.method == "sendPhoto", reply.last.method

        async def export_command() -> None:
            reply = await user.send("/export")
            assert [m.method for m in reply].count("sendDocument") == 2

        results.append((label, "/stats end to end, 30 days", await timed(runs, stats_command)))
        results.append((label, "/export end to end (CSV of all + PDF)",
                        await timed(max(3, runs // 2), export_command)))
    finally:
        await application.stop()
        await application.shutdown()
        await standin.stop()
    return results


async def run_sqlite(count: int, runs: int) -> list[tuple[str, str, list[float]]]:
    with tempfile.TemporaryDirectory() as folder:
        db = Database.from_url(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            await seed(db, count)
            return await measure("SQLite", db, runs)
        finally:
            await db.dispose()


async def run_postgres(url: str, count: int, runs: int) -> list[tuple[str, str, list[float]]]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(create_engine(url, connect_args={"server_settings": {"search_path": schema}}))
    try:
        await seed(db, count)
        async with db.engine.begin() as connection:
            await connection.execute(text("ANALYZE episodes"))
        return await measure("PostgreSQL", db, runs)
    finally:
        await db.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args(argv)
    pg_url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if pg_url and not pg_url.startswith("postgresql"):
        pg_url = None
    results: list[tuple[str, str, list[float]]] = []
    if args.db in ("sqlite", "both"):
        results += asyncio.run(run_sqlite(args.episodes, args.runs))
    if args.db in ("postgres", "both"):
        if pg_url:
            results += asyncio.run(run_postgres(pg_url, args.episodes, args.runs))
        else:
            print("PostgreSQL skipped: set TEST_DATABASE_URL to measure it.")
    print(f"/stats with {args.episodes:,} cramps in 90 days; {args.runs} runs after a warm-up")
    print(f"Machine: {machine()}")
    print()
    print(f"| {'database':<10} | {'measure':<44} | {'runs':>4} | {'p50 ms':>8} | {'max ms':>8} |")
    print(f"|{'-' * 12}|{'-' * 46}|{'-' * 6}:|{'-' * 9}:|{'-' * 9}:|")
    for label, what, samples in results:
        print(f"| {label:<10} | {what:<44} | {len(samples):>4} | "
              f"{statistics.median(samples):>8.1f} | {max(samples):>8.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
