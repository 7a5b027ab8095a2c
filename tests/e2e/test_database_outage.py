"""The database goes away and comes back: users are told, the bot stays up and recovers.

The Application talks to PostgreSQL through a small TCP relay that the test can cut (every
connection dropped, new ones refused) and restore on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.config import Settings
from bot.db import Database, create_engine
from bot.handlers.errors import UNAVAILABLE
from bot.standin import BotApiStandIn, UserDriver
from tests.conftest import (
    FakeClock,
    drop_pg_schema,
    make_pg_database,
    start_application,
    stop_application,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


class Relay:
    """A TCP relay to PostgreSQL that can be cut and restored."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


@pytest.fixture
async def relay_db(pg_schema_url: tuple[str, str]) -> AsyncIterator[tuple[Database, Relay]]:
    url, schema = pg_schema_url
    setup = await make_pg_database(url, schema)  # the schema and its tables, directly
    await setup.dispose()
    parts = urlsplit(url)
    relay = Relay(parts.hostname or "127.0.0.1", parts.port or 5432)
    await relay.start()
    netloc = parts.netloc.rsplit("@", 1)
    relayed = f"{netloc[0]}@127.0.0.1:{relay.port}" if len(netloc) == 2 else f"127.0.0.1:{relay.port}"
    database = Database(create_engine(
        urlunsplit(parts._replace(netloc=relayed)),
        connect_args={"server_settings": {"search_path": schema}, "timeout": 5},
    ))
    yield database, relay
    await database.dispose()
    if relay._server is not None:
        await relay.cut()
    await drop_pg_schema(url, schema)


async def test_users_are_told_and_the_bot_recovers_by_itself(
    relay_db: tuple[Database, Relay], settings: Settings, standin: BotApiStandIn
) -> None:
    database, relay = relay_db
    app = await start_application(settings, database, standin, FakeClock())
    try:
        user = UserDriver(standin, app, user_id=3003, first_name="Robin")
        assert (await user.send("/start"))[0].first_line.startswith("Hi Robin")
        assert await database.ping()

        await relay.cut()
        for text in ("/help", "Cramping now", "hello"):
            reply = await user.send(text)
            assert reply.last.text == UNAVAILABLE
        assert not await database.ping()  # what /healthz reports: 503

        await relay.start()  # the database is back, on the same address
        reply = await user.send("/help")
        assert reply.last.first_line == "What I can do"
        assert await database.ping()
        counters = app.bot_data.services.extras["metrics"]
        assert counters.value("cramp_errors_total", kind="database_unavailable") == 3
        assert counters.value("cramp_errors_total", kind="unhandled") == 0
    finally:
        await stop_application(app)
