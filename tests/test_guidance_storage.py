"""Storage of the relief and causes flows, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from bot.db import Database
from bot.models.causes import CausesSession
from bot.models.relief import ReliefSession
from bot.models.user import User
from bot.storage import causes as causes_store
from bot.storage import relief as relief_store
from tests.factories import make_user

NOW = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


async def test_a_new_relief_flow_replaces_the_old_one(database: Database) -> None:
    await make_user(database, 1)
    async with database.session() as session:
        first = await relief_store.start(session, 1, NOW)
        second = await relief_store.start(session, 1, NOW + timedelta(minutes=1))
        await session.commit()
        rows = (await session.execute(select(ReliefSession))).scalars().all()
    assert [r.id for r in rows] == [second.id] and first.id != second.id
    assert rows[0].started_at == NOW + timedelta(minutes=1)
    assert rows[0].started_at.tzinfo is not None


async def test_relief_rows_are_owned(database: Database) -> None:
    await make_user(database, 1)
    await make_user(database, 2)
    async with database.session() as session:
        row = await relief_store.start(session, 1, NOW)
        await session.commit()
        assert await relief_store.get_owned(session, 2, row.id) is None
        assert (await relief_store.get_owned(session, 1, row.id)).id == row.id


async def test_hold_sequence_makes_older_countdowns_stale(database: Database) -> None:
    await make_user(database, 1)
    async with database.session() as session:
        row = await relief_store.start(session, 1, NOW)
        first = await relief_store.start_hold(session, row.id, 0, NOW)
        await session.commit()
        assert await relief_store.hold_is_current(session, row.id, first, 0)
        second = await relief_store.start_hold(session, row.id, 0, NOW)
        await session.commit()
        assert not await relief_store.hold_is_current(session, row.id, first, 0)
        assert await relief_store.hold_is_current(session, row.id, second, 0)
        assert second == first + 1
        row = await relief_store.get(session, row.id)
        await relief_store.set_step(session, row, 1, NOW)
        await session.commit()
        assert not await relief_store.hold_is_current(session, row.id, second, 0)


async def test_still_question_is_claimed_once_even_concurrently(database: Database) -> None:
    await make_user(database, 1)
    async with database.session() as session:
        row = await relief_store.start(session, 1, NOW)
        await session.commit()
        sid = row.id

    async def claim() -> bool:
        async with database.session() as session:
            claimed = await relief_store.claim_still_question(session, sid, NOW)
            await session.commit()
            return claimed

    results = await asyncio.gather(*(claim() for _ in range(4)))
    assert sorted(results) == [False, False, False, True]


async def test_finishing_without_consent_deletes_the_flow(database: Database) -> None:
    await make_user(database, 1)
    async with database.session() as session:
        kept = await relief_store.start(session, 1, NOW)
        await relief_store.finish(session, kept, "eased", NOW, keep=True)
        await session.commit()
        assert (await relief_store.get(session, kept.id)).finished_at == NOW
        gone = await relief_store.start(session, 1, NOW)
        await relief_store.finish(session, gone, "eased", NOW, keep=False)
        await session.commit()
        assert (await session.execute(select(ReliefSession))).scalars().all() == []


async def _finished_run(database: Database, user_id: int, when: datetime, factors: list[str],
                        medicines: list[str]) -> int:
    async with database.session() as session:
        row = await causes_store.start(session, user_id, "exert", when)
        await causes_store.finish(session, row, step="done", answers={"yes": []}, factors=factors,
                                  medicines=medicines, now=when, keep=True)
        await session.commit()
        return int(row.id)


async def test_latest_medicines_and_factors_come_from_the_latest_finished_run(
        database: Database) -> None:
    await make_user(database, 1)
    await make_user(database, 2)
    async with database.session() as session:
        assert await causes_store.latest_medicines(session, 1) == []
        assert await causes_store.latest_factors(session, 1) == []
    await _finished_run(database, 1, NOW, ["Pregnancy"], ["Insulin"])
    await _finished_run(database, 1, NOW + timedelta(days=1), ["Diabetes"], ["Naproxen", "Insulin"])
    await _finished_run(database, 2, NOW + timedelta(days=2), ["Other"], ["Other"])
    async with database.session() as session:
        unfinished = await causes_store.start(session, 1, "exert", NOW + timedelta(days=3))
        await causes_store.save_progress(session, unfinished, "meds", {"meds": ["bp"]},
                                         NOW + timedelta(days=3))
        await session.commit()
        assert await causes_store.latest_medicines(session, 1) == ["Naproxen", "Insulin"]
        assert await causes_store.latest_factors(session, 1) == ["Diabetes"]
        stored = await causes_store.get_owned(session, 1, unfinished.id)
        assert stored.answers == {"meds": ["bp"]} and stored.step == "meds"


async def test_causes_writes_are_compare_and_set(database: Database) -> None:
    await make_user(database, 1)
    async with database.session() as session:
        row = await causes_store.start(session, 1, "meds", NOW)
        await session.commit()
        sid = row.id

    async def read():
        async with database.session() as session:
            return await causes_store.get_owned(session, 1, sid)

    async def write(seen, key: str) -> bool:
        async with database.session() as session:
            written = await causes_store.save_progress(session, seen, "meds", {"meds": [key]}, NOW)
            await session.commit()
            return written

    # Two presses read the same version; only the first write lands, the second must retry.
    first, second = await read(), await read()
    assert await write(first, "bp") is True
    assert await write(second, "insulin") is False
    async with database.session() as session:
        stored = await causes_store.get_owned(session, 1, sid)
        assert stored.version == 1 and len(stored.answers["meds"]) == 1
        # A finished run takes no more writes.
        assert await causes_store.finish(session, stored, step="done", answers={}, factors=[],
                                         medicines=[], now=NOW, keep=True)
        await session.commit()
        assert not await causes_store.save_progress(session, stored, "meds", {}, NOW)


async def test_starting_drops_unfinished_runs_and_without_history_everything(
        database: Database) -> None:
    await make_user(database, 1)
    await _finished_run(database, 1, NOW, ["Pregnancy"], [])
    async with database.session() as session:
        await causes_store.start(session, 1, "exert", NOW)
        await causes_store.start(session, 1, "exert", NOW)
        await session.commit()
        rows = (await session.execute(select(CausesSession))).scalars().all()
        assert sorted(r.finished_at is not None for r in rows) == [False, True]
        await causes_store.start(session, 1, "exert", NOW, keep_history=False)
        await session.commit()
        rows = (await session.execute(select(CausesSession))).scalars().all()
        assert [r.finished_at for r in rows] == [None]


async def test_deleting_a_user_cascades_to_their_flows(database: Database) -> None:
    await make_user(database, 1)
    await _finished_run(database, 1, NOW, ["Pregnancy"], [])
    async with database.session() as session:
        await relief_store.start(session, 1, NOW)
        await session.commit()
        await session.execute(delete(User).where(User.id == 1))
        await session.commit()
        assert (await session.execute(select(CausesSession))).scalars().all() == []
        assert (await session.execute(select(ReliefSession))).scalars().all() == []
