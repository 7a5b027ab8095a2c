"""An idle bot with 100,000 users: resident memory and CPU per minute, and the tick's cost.

    .venv/bin/python bench/idle.py [--db sqlite|postgres|both] [--users 100000]
                                   [--seconds 60] [--warmup 15]

For each database: migrate a fresh database (SQLite file, or a PostgreSQL database of our
own, ``bench_idle``, dropped afterwards), seed ``--users`` users with consent and the full
reminder plan (4 slots each, 12 time zones; ``bench/seed.py``), and move every slot due in
the next hour one day on, so nothing is due while we watch. Then:

1. **The idle process**: ``python -m bot run`` — the production entry point, long polling
   the local Bot API stand-in (its own process) with the reminder tick every
   REMINDER_TICK_SECONDS (5 s). After ``--warmup`` seconds, its CPU time (utime+stime of
   all its threads, from /proc/<pid>/stat) over ``--seconds``, and its memory (VmRSS,
   VmHWM from /proc/<pid>/status).
2. **One tick, in process**: the real dispatcher's ``tick()`` 30 times on the same data,
   wall time each, and the query plan of every statement a tick sends (EXPLAIN QUERY PLAN
   on SQLite, EXPLAIN on PostgreSQL): each must use an index, not scan the table.

Not a test: it prints a table. Timings on a shared machine vary run to run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import nothing_due_for, seed  # noqa: E402

TOKEN = "123456789:BENCH-token-for-the-local-stand-in-only"
PG_DATABASE = "bench_idle"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- /proc
def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def memory_mb(pid: int) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
        elif name == "Threads":
            values[name] = int(rest)
    return values


# --------------------------------------------------------------------------- databases
@contextlib.contextmanager
def sqlite_url():
    folder = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    try:
        yield f"sqlite+aiosqlite:///{folder / 'idle.db'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_url(admin_url: str):
    from sqlalchemy.engine import make_url

    async def admin(statement: str) -> None:
        from sqlalchemy import text

        from bot.db import create_engine

        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"'))
    asyncio.run(admin(f'CREATE DATABASE "{PG_DATABASE}"'))
    try:
        yield make_url(admin_url).set(database=PG_DATABASE).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))


async def prepare(url: str, users: int, quiet: timedelta) -> dict[str, float]:
    from bot.db import Database

    db = Database.from_url(url)
    try:
        now = datetime.now(UTC)
        seconds = await seed(db, users, now)
        moved = await nothing_due_for(db, now, quiet)
        if db.is_postgres:
            async with db.engine.connect() as connection:
                from sqlalchemy import text

                await connection.execute(text("COMMIT"))
                await connection.execute(text("VACUUM ANALYZE"))
    finally:
        await db.dispose()
    return {"seed_s": seconds, "moved": moved}


# --------------------------------------------------------------------------- the tick
async def tick_cost(url: str, standin_base: str, repeats: int = 30) -> dict[str, Any]:
    """The real dispatcher's tick, in this process; plus the plan of each statement."""
    from sqlalchemy import event, text

    from bot.app import build_application
    from bot.config import Settings
    from bot.handlers.reminders import get_dispatcher

    settings = Settings(_env_file=None, database_url=url, telegram_bot_token=TOKEN)
    application = build_application(settings, base_url=standin_base, start_background_jobs=False)
    db = application.bot_data.services.db
    statements: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    await application.initialize()
    await application.start()  # the dispatcher claims only while the Application runs
    try:
        dispatcher = get_dispatcher(application)
        await dispatcher.tick()  # warm: statement caches, connections
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            report = await dispatcher.tick()
            times.append(time.perf_counter() - started)
            if report.claimed:
                raise RuntimeError("a reminder was due: the idle window is not idle")
        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        await dispatcher.tick()
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        plans = []
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT", "WITH")):
                    continue
                plans.append((statement, await explain(raw, db.is_sqlite, statement, parameters)))
            await connection.execute(text("SELECT 1"))
    finally:
        await application.stop()
        await application.shutdown()
    return {"median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000,
            "statements": len(statements), "plans": plans}


async def explain(raw: Any, is_sqlite: bool, statement: str, parameters: Any) -> str:
    """The database's plan for one statement, as one line per step."""
    driver = raw.driver_connection
    if is_sqlite:
        cursor = await driver.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        rows = await cursor.fetchall()
        return "; ".join(str(row[-1]) for row in rows)
    # asyncpg: the statement uses $1… placeholders and a tuple of parameters
    rows = await driver.fetch("EXPLAIN " + statement, *parameters)
    steps = (row[0].strip().removeprefix("->  ").split("  (cost=")[0] for row in rows)
    return "; ".join(step for step in steps if "Scan" in step or "Cond" in step)


# --------------------------------------------------------------------------- the idle process
def start_standin() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, str(ROOT / "bench" / "standin_process.py")],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = process.stdout.readline().split()
    if len(first) != 2 or first[0] != "PORT":
        raise RuntimeError(f"the stand-in did not start: {first}")
    return process, f"http://127.0.0.1:{first[1]}/bot"


def watch_idle_bot(url: str, standin_base: str, warmup: float, seconds: float,
                   log_path: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "WEBHOOK_", "METRICS_"))}
    env.update({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": url, "LOG_LEVEL": "INFO",
                "TELEGRAM_API_BASE_URL": standin_base,
                "TELEGRAM_FILE_BASE_URL": standin_base.replace("/bot", "/file/bot")})
    with log_path.open("w") as log:
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "ready as" not in log_path.read_text():
            if bot.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not start:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        started_at = time.monotonic()
        start_memory = memory_mb(bot.pid)
        time.sleep(warmup)
        cpu0, t0 = cpu_seconds(bot.pid), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = cpu_seconds(bot.pid), time.monotonic()
        memory = memory_mb(bot.pid)
        ticks = log_path.read_text().count("reminders:")  # logged only when a tick did work
        return {"cpu_s": cpu1 - cpu0, "wall_s": t1 - t0,
                "cpu_s_per_min": (cpu1 - cpu0) / (t1 - t0) * 60,
                "core_pct": (cpu1 - cpu0) / (t1 - t0) * 100,
                "rss_mb": memory["VmRSS"], "hwm_mb": memory["VmHWM"],
                "rss_at_ready_mb": start_memory["VmRSS"], "threads": int(memory["Threads"]),
                "ticks_that_worked": ticks, "watched_after_ready_s": t0 - started_at}
    finally:
        bot.terminate()
        try:
            bot.wait(timeout=20)
        except subprocess.TimeoutExpired:
            bot.kill()
            bot.wait()


# --------------------------------------------------------------------------- main
def measure(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    from bot.migrate import upgrade

    print(f"[{name}] migrating and seeding {args.users:,} users …", file=sys.stderr, flush=True)
    upgrade(url)
    prepared = asyncio.run(prepare(url, args.users, timedelta(hours=1)))
    standin, base = start_standin()
    workdir = Path(tempfile.mkdtemp(prefix="bench-idle-log-"))
    try:
        print(f"[{name}] seeded in {prepared['seed_s']:.0f} s; one tick in process …",
              file=sys.stderr, flush=True)
        tick = asyncio.run(tick_cost(url, base))
        print(f"[{name}] idle bot for {args.warmup:g}+{args.seconds:g} s …", file=sys.stderr,
              flush=True)
        idle = watch_idle_bot(url, base, args.warmup, args.seconds, workdir / "bot.log")
    finally:
        assert standin.stdin is not None
        standin.stdin.close()
        standin.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    return {"db": name, "users": args.users, **prepared, **idle, "tick": tick}


def report(results: list[dict[str, Any]], tick_seconds: float) -> None:
    print("db | users | RSS MB (peak) | CPU s/min | % of a core | tick median ms | tick max ms "
          "| statements/tick")
    print("--- | --- | --- | --- | --- | --- | --- | ---")
    for r in results:
        t = r["tick"]
        print(f"{r['db']} | {r['users']:,} | {r['rss_mb']:.0f} ({r['hwm_mb']:.0f}) | "
              f"{r['cpu_s_per_min']:.2f} | {r['core_pct']:.2f} | {t['median_ms']:.2f} | "
              f"{t['max_ms']:.2f} | {t['statements']}")
    print(f"\n# tick every {tick_seconds:g} s; {results[0]['threads']} threads in the idle process")
    for r in results:
        print(f"\n# {r['db']}: query plans of one idle tick")
        for statement, plan in r["tick"]["plans"]:
            print(f"- {' '.join(statement.split())[:110]}…\n    {plan}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"# {os.cpu_count()} CPUs, load {'/'.join(f'{x:.2f}' for x in load)} at start",
          flush=True)
    results = []
    for name in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        if name == "sqlite":
            with sqlite_url() as url:
                results.append(measure(name, url, args))
        else:
            with postgres_url(args.pg_url) as url:
                results.append(measure(name, url, args))
    from bot.config import Settings

    report(results, Settings(_env_file=None).reminder_tick_seconds)
    print(f"# load {'/'.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
