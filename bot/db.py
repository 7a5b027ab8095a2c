"""Database access: the async engine and the session factory."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
# One connection per process for a SQLite file: SQLite runs one writer at a time, and with
# several connections concurrent writers wait in SQLite's busy handler (sleeping 1-100 ms
# steps) while the lock holder waits for the event loop to commit: p99 of ~1 s at 10 users.
# With one connection, sessions queue in the pool in FIFO order instead (docs/performance.md).
# A session must not wait for a second session of the same Database while it is open.
SQLITE_POOL_SIZE = 1
# PostgreSQL: a pooled connection is pinged before reuse only if it sat idle this long. One
# dropped while idle (a database restart, an idle timeout, a failover) is replaced before
# any update sees it, and a busy connection is not pinged on every checkout (SQLAlchemy's
# pool_pre_ping: one more round trip per session, 1-2 ms of CPU per update; see
# docs/performance.md). A connection that breaks while busy fails that update once, and
# SQLAlchemy then replaces the pool's connections.
PING_AFTER_IDLE_SECONDS = 10.0


def _mark_idle(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(engine: AsyncEngine) -> Any:
    dialect = engine.sync_engine.dialect

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: the pool discards it and connects anew
            raise DisconnectionError("a pooled connection failed its ping") from error

    return checkout


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a SQLite database file, so the first run just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Build the async engine; SQLite gets WAL, a busy timeout and one pooled connection."""
    ensure_sqlite_directory(url)
    is_sqlite = url.startswith("sqlite")
    ping_when_idle = False
    if not is_sqlite:
        ping_when_idle = not kwargs.get("pool_pre_ping", False)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    elif make_url(url).database not in (None, "", ":memory:"):
        kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
        kwargs.setdefault("max_overflow", 0)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if ping_when_idle:
        event.listen(engine.sync_engine, "connect", _mark_idle)
        event.listen(engine.sync_engine, "checkin", _mark_idle)
        event.listen(engine.sync_engine, "checkout", _ping_if_idle(engine))
    return engine


class Database:
    """The engine and a session factory; data functions take the session explicitly."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessionmaker = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(create_engine(url, **kwargs))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for one use case; commit explicitly at its end."""
        async with self.sessionmaker() as session:
            yield session

    async def ping(self) -> bool:
        """True if the database answers a trivial query."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # any failure means "not reachable" for a health check
            log.warning("database ping failed", exc_info=False)
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
