"""The update path, end to end: updates/s and p50/p99 latency through the real Application.

    .venv/bin/python bench/update_path.py [--db sqlite|postgres|both] [--users 1,10,100]
                                          [--seconds N] [--scenarios start,triage,cramp]

What is measured: an update enters the Application (``application.update_queue.put``, the
Application started, updates processed concurrently up to ``--concurrency``) and the bot's
reply leaves it (the reply's HTTP request arrives at the local Bot API stand-in, which
timestamps it with ``time.monotonic()``). Latency = last reply request of the update minus
the moment it was queued; "first" is the first reply request (e.g. answerCallbackQuery).
Everything between is the production code: PTB's dispatch, the tracking upsert, the
feature handler, the database (SQLite file or PostgreSQL) and PTB's httpx client.

Load: N simulated users in a closed loop, each with one update in flight (a user sends the
next update when the bot has finished the previous one). Scenarios:

* ``start``  — ``/start`` by a returning user (consent given, so a greeting and a reminders line);
* ``triage`` — a triage button press (Yes/No/choice, or "Start over" on an outcome), using
  the real callback data of the message the bot last sent or edited; each press writes the
  session (compare-and-set on its step);
* ``cramp``  — ``/cramp``, the diary's one-tap log (an INSERT per press).

The stand-in runs in a separate process by default (``--standin process``) so its CPU is not
charged to the bot; ``--standin inline`` runs it in the bot's event loop for comparison.
CPU per update is the bot process's user+system time (all its threads, including the
load generator's Update.de_json, which a real bot also pays in getUpdates) over the
measured window, divided by updates completed.

``--profile PREFIX`` runs pyinstrument over each measured window and writes
``PREFIX-<db>-<scenario>-<users>.txt`` (call tree and top self-time frames, trimmed).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import logging
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402
from telegram import Update  # noqa: E402

import bot.models  # noqa: E402, F401  (registers every table)
from bot.app import CrampApplication, build_application  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import Database, create_engine  # noqa: E402
from bot.logging_setup import configure_logging  # noqa: E402
from bot.models.user import CONSENT_ACCEPTED, User  # noqa: E402
from bot.standin import BotApiStandIn, Call  # noqa: E402
from bot.update_processor import DEFAULT_MAX_CONCURRENT_UPDATES, PerUserUpdateProcessor  # noqa: E402

TOKEN = "123456789:BENCH-token-for-the-local-stand-in-only"
USER_BASE = 50_000_000
PG_DATABASE = "bench_update_path"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SCENARIOS = ("start", "triage", "cramp")


# --------------------------------------------------------------------------- stand-in side

Event = tuple[float, str, dict[str, Any] | None]  # (at, method, stored message or None)


class Events:
    """Reply calls seen at the stand-in, by key (chat id or ``cq:<id>``), in arrival order."""

    def __init__(self) -> None:
        self.by_key: dict[object, list[Event]] = defaultdict(list)
        self.times: dict[object, list[float]] = defaultdict(list)
        self.waiters: dict[object, list[asyncio.Future[None]]] = defaultdict(list)

    def add(self, at: float, method: str, key: object, message: dict[str, Any] | None) -> None:
        self.by_key[key].append((at, method, message))
        self.times[key].append(at)
        for waiter in self.waiters.pop(key, ()):
            if not waiter.done():
                waiter.set_result(None)

    def between(self, key: object, start: float, end: float) -> list[Event]:
        times = self.times.get(key)
        if not times:
            return []
        lo = bisect.bisect_left(times, start)
        hi = bisect.bisect_right(times, end)
        return self.by_key[key][lo:hi]

    async def message_after(self, key: object, start: float, wait: float = 10.0
                            ) -> dict[str, Any] | None:
        """The newest stored message with buttons sent to ``key`` at or after ``start``."""
        deadline = time.monotonic() + wait
        while True:
            for at, _method, message in reversed(self.by_key.get(key, [])):
                if at < start:
                    break
                if message is not None:
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            waiter = asyncio.get_running_loop().create_future()
            self.waiters[key].append(waiter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, remaining)

    def clear(self) -> None:
        self.by_key.clear()
        self.times.clear()


class StandIn:
    """The Bot API stand-in, in this process or in a child process."""

    def __init__(self, mode: str, rtt_ms: float = 0.0) -> None:
        self.mode = mode
        self.rtt_ms = rtt_ms
        self.events = Events()
        self.port = 0
        self._inline: BotApiStandIn | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.mode == "inline":
            if self.rtt_ms:
                raise ValueError("--rtt needs the stand-in in its own process")
            self._inline = await BotApiStandIn().start()
            self._inline.on_call.append(self._on_call)
            self.port = self._inline.port
            return
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "standin_process.py"), f"--rtt-ms={self.rtt_ms}",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024,
        )
        assert self._process.stdout is not None
        first = (await self._process.stdout.readline()).decode().split()
        if len(first) != 2 or first[0] != "PORT":
            raise RuntimeError(f"the stand-in process did not start: {first}")
        self.port = int(first[1])
        self._reader = asyncio.create_task(self._read())

    def _on_call(self, call: Call) -> None:
        params = call.params
        key = params.get("chat_id") if "chat_id" in params else f"cq:{params.get('callback_query_id')}"
        message = call.result if isinstance(call.result, dict) and "reply_markup" in call.result else None
        self.events.add(call.at, call.method, key, message)

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while line := await self._process.stdout.readline():
            at, method, key, message = json.loads(line)
            self.events.add(at, method, key, message)

    @property
    def pid(self) -> int:
        return self._process.pid if self._process is not None else os.getpid()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def stop(self) -> None:
        if self._inline is not None:
            await self._inline.stop()
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                await asyncio.wait_for(self._process.wait(), 5)
            except TimeoutError:
                self._process.terminate()
                await self._process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


# --------------------------------------------------------------------------- bot side

class TimedProcessor(PerUserUpdateProcessor):
    """The production processor (concurrent across users, ordered per user, at most
    ``max_concurrent_updates`` at once) that also reports when each update is done."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.pending: dict[int, asyncio.Future[float]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await super().do_process_update(update, coroutine)
        finally:
            future = self.pending.pop(getattr(update, "update_id", -1), None)
            if future is not None and not future.done():
                future.set_result(time.monotonic())


@dataclass
class Sample:
    user: int
    cq: str | None
    queued: float
    done: float
    kind: str


@dataclass
class Cell:
    db: str
    scenario: str
    users: int
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)
    unmatched: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def row(self) -> dict[str, Any]:
        return {
            "db": self.db, "scenario": self.scenario, "users": self.users,
            "updates": len(self.latencies), "updates_per_s": round(self.rate, 1),
            "p50_ms": round(percentile(self.latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(self.latencies, 99) * 1000, 2),
            "first_p50_ms": round(percentile(self.firsts, 50) * 1000, 2),
            "cpu_ms_per_update": round(self.cpu * 1000 / max(1, len(self.latencies)), 2),
            "errors": self.errors + self.unmatched,
        }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class Harness:
    """One started Application on one database, driven by simulated users."""

    def __init__(self, application: CrampApplication, processor: TimedProcessor,
                 standin: StandIn, seed: int = 7) -> None:
        self.application = application
        self.processor = processor
        self.standin = standin
        self.builder = BotApiStandIn()  # only its Telegram-shaped update builders
        self.rng = random.Random(seed)
        self.last_message: dict[int, dict[str, Any]] = {}
        self.cq_of: dict[int, str] = {}

    def tg_user(self, index: int) -> dict[str, Any]:
        return BotApiStandIn.make_user(USER_BASE + index, f"User{index}", "en")

    async def send(self, raw: dict[str, Any]) -> tuple[float, float]:
        """Queue one update; return (queued, done) monotonic times."""
        update = Update.de_json(raw, self.application.bot)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.processor.pending[update.update_id] = future
        queued = time.monotonic()
        self.application.update_queue.put_nowait(update)
        done = await asyncio.wait_for(future, 60)
        return queued, done

    def errors(self) -> float:
        from bot import metrics

        return metrics.of(self.application.bot_data.services).total("cramp_handler_errors_total")

    # ---------------------------------------------------------------- scenario steps
    async def step(self, scenario: str, index: int) -> Sample | None:
        user = self.tg_user(index)
        uid = user["id"]
        if scenario == "start":
            queued, done = await self.send(self.builder.build_text_update(user, "/start"))
            return Sample(uid, None, queued, done, "start")
        if scenario == "cramp":
            queued, done = await self.send(self.builder.build_text_update(user, "/cramp"))
            return Sample(uid, None, queued, done, "cramp")
        if scenario == "triage":
            message = self.last_message.get(uid)
            if message is None:  # untimed set-up: open a symptom check
                queued, done = await self.send(self.builder.build_text_update(user, "/check"))
                await self._remember(uid, queued)
                return None
            data, kind = self._choose(message)
            raw = self.builder.build_callback_update(user, message, data)
            cq = f"cq:{raw['callback_query']['id']}"
            queued, done = await self.send(raw)
            await self._remember(uid, queued)
            return Sample(uid, cq, queued, done, kind)
        raise ValueError(scenario)

    async def _remember(self, uid: int, since: float) -> None:
        message = await self.standin.events.message_after(uid, since)
        if message is None:
            self.last_message.pop(uid, None)
        else:
            self.last_message[uid] = message

    def _choose(self, message: dict[str, Any]) -> tuple[str, str]:
        """An answer button (Yes/No/a choice) at random; "Start over" on an outcome."""
        buttons = [b.get("callback_data") or "" for row in message["reply_markup"]["inline_keyboard"]
                   for b in row]
        answers = [d for d in buttons if d.startswith("triage:a:")]
        if answers:
            return self.rng.choice(answers), "answer"
        begin = [d for d in buttons if d == "triage:begin"]
        if begin:
            return begin[0], "begin"
        raise RuntimeError(f"no triage button to press in {buttons}")

    # ---------------------------------------------------------------- one cell
    async def run_cell(self, cell: Cell, warmup: float, seconds: float,
                       profile_path: Path | None = None, think: float = 0.0) -> Cell:
        stop_at = time.monotonic() + warmup + seconds
        window: dict[str, float] = {}
        errors_before = self.errors()

        async def user_loop(index: int) -> None:
            pause = random.Random(index)
            while time.monotonic() < stop_at:
                sample = await self.step(cell.scenario, index)
                if sample is not None:
                    cell.samples.append(sample)
                if think:  # a person reads the reply before the next tap
                    await asyncio.sleep(think * pause.uniform(0.5, 1.5))

        async def measure() -> None:
            await asyncio.sleep(warmup)
            profiler = None
            if profile_path is not None and profile_path.suffix == ".prof":
                import cProfile

                profiler = cProfile.Profile(time.thread_time)  # main-thread CPU, not wall
                profiler.enable()
            elif profile_path is not None:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005, async_mode="disabled")
                profiler.start()
            usage = resource.getrusage(resource.RUSAGE_SELF)
            window["start"] = time.monotonic()
            window["cpu0"] = usage.ru_utime + usage.ru_stime
            await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
            usage = resource.getrusage(resource.RUSAGE_SELF)
            window["end"] = time.monotonic()
            window["cpu1"] = usage.ru_utime + usage.ru_stime
            if profiler is not None and profile_path.suffix == ".prof":
                profiler.disable()
                profiler.dump_stats(profile_path)
            elif profiler is not None:
                profiler.stop()
                write_profile(profiler, profile_path, cell)

        await asyncio.gather(measure(), *(user_loop(i) for i in range(cell.users)))
        await asyncio.sleep(0.3)  # let the last stand-in events arrive over the pipe
        cell.seconds = window["end"] - window["start"]
        cell.cpu = window["cpu1"] - window["cpu0"]
        cell.errors = int(self.errors() - errors_before)
        events = self.standin.events
        for sample in cell.samples:
            if not window["start"] <= sample.queued < window["end"]:
                continue
            replies = events.between(sample.user, sample.queued, sample.done)
            if sample.cq:
                replies += events.between(sample.cq, sample.queued, sample.done)
            if not replies:
                cell.unmatched += 1
                continue
            times = [at for at, _m, _msg in replies]
            cell.latencies.append(max(times) - sample.queued)
            cell.firsts.append(min(times) - sample.queued)
        # Throughput counts updates queued in the window (the closed loop keeps it full).
        cell.samples.clear()
        events.clear()
        self.last_message.clear()  # events are gone: triage users re-open a check next cell
        return cell


def package_of(file_path: str | None, function: str) -> str | None:
    """Which library a frame's own time belongs to (None: a built-in, charged to its caller)."""
    path = file_path or ""
    if function.startswith("epoll.") or "selectors.py" in path:
        return "waiting (epoll: nothing to run)"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].split(".", 1)[0]
    if "/bot/" in path:
        return "bot (our code)"
    if "hide_sniffio" in path:
        return "failed sniffio import"
    if "/lib/python3" in path:
        name = path.split("/lib/python3", 1)[1].split("/", 2)[1]
        return "stdlib " + name.removesuffix(".py")
    if path.startswith("<built-in>") or not path:
        return None
    return Path(path).name


def self_time_by_package(session: Any) -> list[tuple[str, float]]:
    totals: dict[str, float] = defaultdict(float)

    def walk(frame: Any, inherited: str) -> None:
        own = package_of(frame.file_path, frame.function or "") or inherited
        children_time = sum(child.time for child in frame.children)
        totals[own] += max(0.0, frame.time - children_time)
        for child in frame.children:
            walk(child, own)

    root = session.root_frame()
    if root is not None:
        walk(root, "other")
    total = sum(totals.values()) or 1.0
    return sorted(((name, t / total) for name, t in totals.items()), key=lambda x: -x[1])


def write_profile(profiler: Any, path: Path, cell: Cell, tree_lines: int = 70,
                  flat_lines: int = 30) -> None:
    """Self time by library, the top self-time frames and the call tree (>= 1%), trimmed."""
    tree = profiler.output_text(unicode=False, color=False,
                                processor_options={"filter_threshold": 0.01}).splitlines()
    flat = profiler.output_text(unicode=False, color=False, flat=True).splitlines()
    shares = self_time_by_package(profiler.last_session)
    header = (f"# pyinstrument, {cell.db}, scenario {cell.scenario}, {cell.users} users, "
              f"{len(cell.samples)} updates; main thread only (the aiosqlite thread is not "
              "sampled; built-ins are charged to their caller's library)\n")
    body = ["## self time by library (share of the main thread's samples)",
            *[f"{share * 100:5.1f}%  {name}" for name, share in shares[:14]], "",
            "## top frames by self time", *flat[:flat_lines], "",
            f"## call tree (first {tree_lines} lines, frames >= 1%)", *tree[:tree_lines]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n".join(body) + "\n")


# --------------------------------------------------------------------------- databases

async def seed_users(db: Database, count: int) -> None:
    """Returning users: consent given, time zone and country set (like tests/factories.py)."""
    now = datetime.now(UTC)
    rows = [
        {"id": USER_BASE + i, "chat_id": USER_BASE + i, "first_name": f"User{i}",
         "language_code": "en", "timezone": "Europe/London", "country": "GB",
         "consent": CONSENT_ACCEPTED, "consent_at": now, "created_at": now,
         "last_seen_at": now, "is_active": True}
        for i in range(count)
    ]
    async with db.engine.begin() as connection:
        await connection.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def sqlite_database(workdir: Path, engine_options: dict[str, Any]):
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    db = Database.from_url(url, **engine_options)
    async with db.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    try:
        yield url, db
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str, engine_options: dict[str, Any] | None = None):
    """A database of our own (``bench_update_path``), created fresh and dropped after."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"'))
        await connection.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    url = make_url(admin_url).set(database=PG_DATABASE).render_as_string(hide_password=False)
    db = Database.from_url(url, **(engine_options or {}))
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
        yield url, db
    finally:
        await db.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        await admin.dispose()


# --------------------------------------------------------------------------- main

async def run_database(name: str, url: str, db: Database, standin: StandIn,
                       args: argparse.Namespace, report: Callable[[Cell], None]) -> list[Cell]:
    await seed_users(db, max(args.users))
    settings = Settings(_env_file=None, database_url=url, telegram_bot_token=TOKEN,
                        flood_max_updates=10_000, flood_window_seconds=1.0)
    processor = TimedProcessor(args.concurrency)
    application = build_application(
        settings, db=db, base_url=standin.base_url, base_file_url=standin.base_file_url,
        start_background_jobs=False, concurrent_updates=processor,
    )
    await application.initialize()
    await application.post_init(application)
    await application.start()
    harness = Harness(application, processor, standin)
    cells = []
    try:
        for scenario in args.scenarios:  # warm caches (statements, imports, pools) once
            await harness.run_cell(Cell(name, scenario, 4), 0.0, args.warmup)
        for scenario in args.scenarios:
            for users in args.users:
                suffix = ".prof" if args.profiler == "cprofile" else ".txt"
                profile = (Path(f"{args.profile}-{name}-{scenario}-{users}{suffix}")
                           if args.profile else None)
                cell = await harness.run_cell(Cell(name, scenario, users), args.warmup,
                                              args.seconds, profile, args.think / 1000)
                report(cell)
                cells.append(cell)
    finally:
        await application.stop()
        await application.shutdown()
    return cells


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError, ValueError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {"cpus": os.cpu_count(), "cpu_model": model, "ram_mb": mem,
            "python": platform.python_version(), "load": os.getloadavg()}


def print_table(cells: list[Cell]) -> None:
    head = ("db", "scenario", "users", "updates", "upd/s", "p50 ms", "p99 ms", "first p50",
            "cpu ms/upd", "errors")
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for cell in cells:
        r = cell.row()
        print(" | ".join(str(v) for v in (
            r["db"], r["scenario"], r["users"], r["updates"], r["updates_per_s"], r["p50_ms"],
            r["p99_ms"], r["first_p50_ms"], r["cpu_ms_per_update"], r["errors"])))


async def main_async(args: argparse.Namespace) -> list[Cell]:
    standin = StandIn(args.standin, args.rtt)
    await standin.start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-update-path-"))
    log_path = workdir / "bot.log"
    configure_logging("INFO", TOKEN)  # as in production, written to a file
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_path.open("a"))  # type: ignore[arg-type]
    cells: list[Cell] = []

    def report(cell: Cell) -> None:
        r = cell.row()
        print(f"  {r['db']:8} {r['scenario']:6} users={r['users']:<4} {r['updates_per_s']:7} upd/s "
              f"p50 {r['p50_ms']:6} ms  p99 {r['p99_ms']:7} ms  cpu {r['cpu_ms_per_update']} ms/upd "
              f"errors {r['errors']}", file=sys.stderr, flush=True)

    try:
        for name in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
            if name == "sqlite":
                options = {"pool_size": args.sqlite_pool, "max_overflow": 0} if args.sqlite_pool else {}
                async with sqlite_database(workdir, options) as (url, db):
                    cells += await run_database(name, url, db, standin, args, report)
            else:
                options = {"pool_pre_ping": True} if args.pg_pre_ping else {}
                async with postgres_database(args.pg_url, options) as (url, db):
                    cells += await run_database(name, url, db, standin, args, report)
    finally:
        await standin.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return cells


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", default="1,10,100",
                        type=lambda s: [int(x) for x in s.split(",") if x])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per cell")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds per cell")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        type=lambda s: [x for x in s.split(",") if x])
    parser.add_argument("--concurrency", type=int, default=DEFAULT_MAX_CONCURRENT_UPDATES,
                        help="updates in progress at once (1 = one at a time, PTB's default)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="ms each user waits after a reply before the next update "
                        "(0: back to back, the bot saturated; x0.5-1.5 jitter)")
    parser.add_argument("--rtt", type=float, default=0.0,
                        help="emulated network round trip to the Bot API, in ms (stand-in process)")
    parser.add_argument("--standin", choices=["process", "inline"], default="process")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio",
                        help="the bot's event loop")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))
    parser.add_argument("--sqlite-pool", type=int, default=0,
                        help="experiment: a SQLite pool of exactly N connections (0: bot.db's default)")
    parser.add_argument("--pg-pre-ping", action="store_true",
                        help="experiment: SQLAlchemy's pool_pre_ping (a ping per checkout)")
    parser.add_argument("--profile", help="write pyinstrument profiles to PREFIX-<cell>.txt")
    parser.add_argument("--profiler", choices=["pyinstrument", "cprofile"], default="pyinstrument",
                        help="cprofile writes PREFIX-<cell>.prof (pstats) instead")
    parser.add_argument("--json", help="also write the results (and the machine) to this file")
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {SCENARIOS}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine()
    print(f"# {info['cpus']} x {info['cpu_model']}, {info['ram_mb']} MB RAM, Python "
          f"{info['python']}, load {'/'.join(f'{x:.2f}' for x in info['load'])} at start; "
          f"stand-in {args.standin}, rtt {args.rtt:g} ms, concurrency {args.concurrency}, "
          f"loop {args.loop}, think {args.think:g} ms, "
          f"{args.seconds:g} s per cell",
          flush=True)
    if args.loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            cells = runner.run(main_async(args))
    else:
        cells = asyncio.run(main_async(args))
    print_table(cells)
    end_load = os.getloadavg()
    print(f"# load {'/'.join(f'{x:.2f}' for x in end_load)} at the end")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"machine": info, "load_end": end_load, "args": dict(vars(args)),
             "cells": [c.row() for c in cells]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
