"""Triage storage on SQLite and PostgreSQL: sessions, compare-and-set steps, the result
contract (latest_result, results_between), no-consent deletion and the cascade."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from bot.db import Database
from bot.models.triage import TriageResult
from bot.models.user import User
from bot.storage import triage as store
from tests.factories import make_user

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ANSWERS = [{"question": "body_danger", "answer": "no", "rf": []},
           {"question": "cramp_severity", "answer": "yes", "rf": ["RF-E4", "RF-E2"]}]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> Database:
    """The SQLite database, then a PostgreSQL schema (skipped without TEST_DATABASE_URL)."""
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


@pytest.fixture
async def database(any_db: Database) -> Database:
    """Two users, 1001 and 2002, in the database under test."""
    await make_user(any_db, 1001)
    await make_user(any_db, 2002)
    return any_db


async def _finished(database: Database, user_id: int, at: datetime, level: str = "ROUTINE") -> int:
    async with database.session() as session:
        row = await store.start(session, user_id, node="body_danger", graph_version="1", now=at)
        sid = row.id
        assert await store.finish(session, sid, expected_step=0, node="routine", answers=ANSWERS,
                                  red_flags=["RF-E4", "RF-E2"], level=level, now=at)
        await session.commit()
    return sid


async def test_start_abandons_only_the_users_unfinished_sessions(database: Database) -> None:
    done = await _finished(database, 1001, T0)
    async with database.session() as session:
        first = await store.start(session, 1001, node="body_danger", graph_version="1", now=T0)
        other = await store.start(session, 2002, node="body_danger", graph_version="1", now=T0)
        await session.commit()
    async with database.session() as session:
        second = await store.start(session, 1001, node="body_danger", graph_version="1", now=T0)
        await session.commit()
        assert await store.get(session, first.id) is None
        assert await store.get(session, second.id) is not None
        assert await store.get(session, other.id) is not None
        assert await store.get(session, done) is not None


async def test_advance_is_a_compare_and_set_on_the_step(database: Database) -> None:
    async with database.session() as session:
        sid = (await store.start(session, 1001, node="body_danger", graph_version="1", now=T0)).id
        await session.commit()
    async with database.session() as session:
        assert await store.advance(session, sid, expected_step=0, node="cramp_severity",
                                   answers=ANSWERS[:1], now=T0 + timedelta(seconds=5))
        # The same press again (expected step 0) must not advance a second time.
        assert not await store.advance(session, sid, expected_step=0, node="leg_signs",
                                       answers=ANSWERS, now=T0)
        await session.commit()
        row = await store.get(session, sid)
    assert row is not None and row.step == 1 and row.node == "cramp_severity"
    assert row.answers == ANSWERS[:1]
    assert row.updated_at == T0 + timedelta(seconds=5) and row.updated_at.tzinfo is not None


async def test_finish_stores_the_result_the_diary_reads(database: Database) -> None:
    sid = await _finished(database, 1001, T0, level="EMERGENCY")
    async with database.session() as session:
        result = await store.latest_result(session, 1001)
        assert not await store.finish(session, sid, expected_step=1, node="emergency",
                                      answers=ANSWERS, red_flags=[], level="SELF_CARE", now=T0)
    assert isinstance(result, TriageResult)
    assert result.id == sid and result.level == "EMERGENCY"
    assert result.finished_at == T0 and result.finished_at.tzinfo is not None
    assert result.answers == ANSWERS
    assert result.red_flags == ["RF-E4", "RF-E2"]


async def test_finish_without_keeping_deletes_the_answers(database: Database) -> None:
    async with database.session() as session:
        sid = (await store.start(session, 1001, node="feelings", graph_version="1", now=T0)).id
        assert await store.finish(session, sid, expected_step=0, node="self_care", answers=ANSWERS,
                                  red_flags=[], level="SELF_CARE", now=T0, keep=False)
        await session.commit()
        assert await store.get(session, sid) is None
        assert await store.latest_result(session, 1001) is None


async def test_results_between_is_half_open_ordered_and_per_user(database: Database) -> None:
    times = [T0 + timedelta(days=d) for d in (0, 1, 2, 3)]
    ids = [await _finished(database, 1001, at) for at in times]
    await _finished(database, 2002, times[1])
    async with database.session() as session:
        await store.start(session, 1001, node="body_danger", graph_version="1", now=times[1])
        await session.commit()
        found = await store.results_between(session, 1001, times[1], times[3])
        latest = await store.latest_result(session, 1001)
    assert [r.id for r in found] == ids[1:3]
    assert all(r.user_id == 1001 and r.finished_at is not None for r in found)
    assert latest is not None and latest.id == ids[3]


async def test_deleting_the_user_deletes_their_triage_sessions(database: Database) -> None:
    await _finished(database, 1001, T0)
    async with database.session() as session:
        await session.execute(delete(User).where(User.id == 1001))
        await session.commit()
        assert await store.latest_result(session, 1001) is None
        assert await store.results_between(session, 1001, T0 - timedelta(days=1),
                                           T0 + timedelta(days=1)) == []


@pytest.mark.postgres
async def test_racing_presses_on_postgres_advance_once(pg_db: Database) -> None:
    await make_user(pg_db, 1001)
    async with pg_db.session() as session:
        sid = (await store.start(session, 1001, node="body_danger", graph_version="1", now=T0)).id
        await session.commit()

    async def press(node: str) -> bool:
        async with pg_db.session() as session:
            applied = await store.advance(session, sid, expected_step=0, node=node,
                                          answers=ANSWERS[:1], now=T0)
            await session.commit()
            return applied

    results = await asyncio.gather(*(press(f"n{i}") for i in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    async with pg_db.session() as session:
        row = await store.get(session, sid)
    assert row is not None and row.step == 1
