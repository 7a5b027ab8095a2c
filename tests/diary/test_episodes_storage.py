"""Episode storage on SQLite and PostgreSQL: owner-only access, night dates, ranges, cascade."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete
from sqlmodel import SQLModel

from bot.db import Database
from bot.models.user import User
from bot.storage import episodes
from bot.storage.episodes import InvalidEpisodeError
from tests.conftest import PG_URL, drop_pg_schema, make_pg_database
from tests.factories import make_user

NOW = datetime(2026, 3, 10, 3, 12, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The same tests on both databases (PostgreSQL in a schema of its own)."""
    schema = None
    if request.param == "sqlite":
        database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'episodes.db'}")
        async with database.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
    else:
        if not PG_URL:
            pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped (.ci/run sets it)")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        database = await make_pg_database(PG_URL, schema)
    await make_user(database, 1001, timezone="America/New_York")
    await make_user(database, 2002, timezone=None)
    yield database
    await database.dispose()
    if schema is not None:
        await drop_pg_schema(PG_URL, schema)


async def test_add_computes_the_night_in_the_users_zone(store: Database) -> None:
    async with store.session() as session:
        # 06:30 UTC on the 10th is 02:30 in New York: the night of the 9th.
        early = await episodes.add_episode(session, 1001, datetime(2026, 3, 10, 6, 30, tzinfo=UTC),
                                           location="calf", side="left", severity=7)
        # The same instant for a user without a zone (UTC): 06:30 is the night of the 9th too,
        # but 13:00 UTC is daytime of the 10th.
        late = await episodes.add_episode(session, 2002, datetime(2026, 3, 10, 13, 0, tzinfo=UTC))
        given = await episodes.add_episode(session, 2002, datetime(2026, 3, 10, 23, 0, tzinfo=UTC),
                                           tz=ZoneInfo("Asia/Tokyo"))  # 08:00 on the 11th
        await session.commit()
    assert early.night_of == date(2026, 3, 9)
    assert late.night_of == date(2026, 3, 10)
    assert given.night_of == date(2026, 3, 10)
    async with store.session() as session:
        again = await episodes.get_for_owner(session, 1001, early.id)
    assert again is not None
    assert again.started_at == datetime(2026, 3, 10, 6, 30, tzinfo=UTC)
    assert (again.location, again.side, again.severity, again.source) == ("calf", "left", 7,
                                                                          "command")


async def test_only_the_owner_can_read_change_or_delete(store: Database) -> None:
    async with store.session() as session:
        mine = await episodes.add_episode(session, 1001, NOW, severity=5)
        await session.commit()
    async with store.session() as session:
        assert await episodes.get_for_owner(session, 2002, mine.id) is None
        assert await episodes.update_for_owner(session, 2002, mine.id, severity=1) is None
        assert await episodes.toggle_helped(session, 2002, mine.id, "heat") is None
        assert await episodes.delete_for_owner(session, 2002, mine.id) is False
        await session.commit()
    async with store.session() as session:
        still = await episodes.get_for_owner(session, 1001, mine.id)
    assert still is not None and still.severity == 5 and still.helped is None


async def test_update_toggle_and_delete(store: Database) -> None:
    async with store.session() as session:
        episode = await episodes.add_episode(session, 1001, NOW)
        await session.commit()
    async with store.session() as session:
        await episodes.toggle_helped(session, 1001, episode.id, "stretch")
        await episodes.toggle_helped(session, 1001, episode.id, "heat")
        changed = await episodes.update_for_owner(session, 1001, episode.id, helped_rating=3,
                                                  duration="gt10")
        await session.commit()
    assert changed.helped == ["stretch", "heat"] and changed.helped_rating == 3
    async with store.session() as session:
        nothing = await episodes.toggle_helped(session, 1001, episode.id, "nothing")
        await session.commit()
    assert nothing.helped == ["nothing"] and nothing.helped_rating is None
    async with store.session() as session:
        moved = await episodes.update_for_owner(
            session, 1001, episode.id, started_at=datetime(2026, 3, 8, 4, 0, tzinfo=UTC))
        await session.commit()
    assert moved.night_of == date(2026, 3, 7)  # 23:00 on the 7th in New York
    async with store.session() as session:
        assert await episodes.delete_for_owner(session, 1001, episode.id) is True
        await session.commit()
    async with store.session() as session:
        assert await episodes.get_for_owner(session, 1001, episode.id) is None


@pytest.mark.parametrize("bad", [
    {"location": "knee"}, {"severity": 11}, {"severity": 0}, {"severity": True},
    {"duration": "forever"}, {"helped": ["prayer"]}, {"helped_rating": 4}, {"colour": "red"},
])
async def test_values_outside_the_vocabulary_are_refused(db: Database, bad: dict) -> None:
    await make_user(db, 1001)
    async with db.session() as session:
        with pytest.raises(InvalidEpisodeError):
            await episodes.add_episode(session, 1001, NOW, **bad)


async def test_naive_times_are_refused(db: Database) -> None:
    await make_user(db, 1001)
    async with db.session() as session:
        with pytest.raises(InvalidEpisodeError):
            await episodes.add_episode(session, 1001, datetime(2026, 3, 10, 3, 0))


async def test_paging_newest_first_and_ranges(store: Database) -> None:
    async with store.session() as session:
        for hours in range(20):
            await episodes.add_episode(session, 1001, NOW - timedelta(hours=hours * 6),
                                       severity=1 + hours % 10)
        await episodes.add_episode(session, 2002, NOW)
        await session.commit()
    async with store.session() as session:
        assert await episodes.count_for_owner(session, 1001) == 20
        first = await episodes.list_for_owner(session, 1001, offset=0, limit=8)
        third = await episodes.list_for_owner(session, 1001, offset=16, limit=8)
        records = await episodes.records_between(session, 1001, NOW - timedelta(days=2), NOW)
        everything = await episodes.all_records(session, 1001)
        nights = await episodes.nights_between(session, 1001, date(2026, 3, 1), date(2026, 3, 31))
    assert [e.started_at for e in first] == [NOW - timedelta(hours=h * 6) for h in range(8)]
    assert len(third) == 4
    assert len(records) == 9  # 0, 6, ..., 48 hours back
    assert records[0].started_at < records[-1].started_at
    assert len(everything) == 20 and all(r.id for r in everything)
    # New York: 23:12 on 9 March back to 04:12 on 5 March (the night of the 4th).
    assert nights == [date(2026, 3, d) for d in range(4, 10)]


async def test_deleting_the_user_deletes_their_episodes(store: Database) -> None:
    async with store.session() as session:
        await episodes.add_episode(session, 1001, NOW)
        await session.commit()
    async with store.session() as session:
        await session.execute(delete(User).where(User.id == 1001))
        await session.commit()
    async with store.session() as session:
        assert await episodes.count_for_owner(session, 1001) == 0


def test_zone_falls_back_to_utc() -> None:
    assert episodes.zone(None).key == "UTC"
    assert episodes.zone("Not/AZone").key == "UTC"
    assert episodes.zone("../etc/passwd").key == "UTC"
    assert episodes.zone("Europe/London").key == "Europe/London"


async def test_a_deleted_episodes_id_is_never_reused(store: Database) -> None:
    async with store.session() as session:
        first = await episodes.add_episode(session, 1001, NOW)
        await session.commit()
    async with store.session() as session:
        await episodes.delete_for_owner(session, 1001, first.id)
        await session.commit()
    async with store.session() as session:
        second = await episodes.add_episode(session, 1001, NOW)
        await session.commit()
    assert second.id > first.id  # an old "open" button can never reach the new cramp
