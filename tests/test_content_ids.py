"""Every medical text cites clinical ids, and every cited id exists in docs/clinical-sources.md.

Generic over the data files: any ``ids``, ``rf`` or ``cites`` list in any TOML file under
``bot/content`` and ``bot/triage`` is checked, so the triage graph is covered too.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.content import (
    CLINICAL_SOURCES,
    ContentError,
    check_raw,
    cited_ids,
    load_known_ids,
    parse_known_ids,
    uncited_texts,
)

ROOT = Path(__file__).resolve().parent.parent
DATA_DIRS = (ROOT / "bot" / "content", ROOT / "bot" / "triage")
TOML_FILES = sorted(p for d in DATA_DIRS if d.exists() for p in d.rglob("*.toml"))
CONTENT_FILES = [p for p in TOML_FILES if p.parent == ROOT / "bot" / "content"]


def _load(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def test_the_id_list_is_in_the_repository_and_complete() -> None:
    known = load_known_ids()
    assert CLINICAL_SOURCES.is_relative_to(ROOT)
    # Every fact id of the clinical file's sections is listed.
    expected = {f"INFO-{n}" for n in range(1, 6)} | {f"RF-E{n}" for n in range(1, 14)}
    expected |= {f"RF-U{n}" for n in range(1, 4)} | {f"RF-R{n}" for n in range(1, 6)}
    expected |= {f"RELIEF-{n}" for n in range(1, 8)} | {f"PREV-{n}" for n in range(1, 6)}
    expected |= {"CAUSE-L", "CAUSE-F", "CAUSE-V", "CAUSE-P", "CAUSE-C", "CAUSE-M", "CAUSE-Q"}
    expected |= {"STRETCH", "STRETCH-CALF", "STRETCH-HAM", "STRETCH-QUAD"}
    assert expected <= known, sorted(expected - known)


def test_the_scanner_finds_the_data_files() -> None:
    assert ROOT / "bot" / "content" / "content.toml" in TOML_FILES


@pytest.mark.parametrize("path", TOML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_id_is_defined(path: Path) -> None:
    known = load_known_ids()
    unknown = [(where, cited) for where, cited in cited_ids(_load(path)) if cited not in known]
    assert not unknown, f"{path.name} cites ids not in docs/clinical-sources.md: {unknown}"


@pytest.mark.parametrize("path", CONTENT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_medical_text_in_content_files_cites_an_id(path: Path) -> None:
    assert uncited_texts(_load(path)) == []


def test_content_toml_cites_plenty_of_ids() -> None:
    cited = {i for _, i in cited_ids(_load(ROOT / "bot" / "content" / "content.toml"))}
    # The relief, prevention, stretch and information facts are all used somewhere.
    for family in ("RELIEF-", "PREV-", "INFO-", "STRETCH-"):
        assert any(i.startswith(family) for i in cited), family
    assert {f"RELIEF-{n}" for n in range(1, 8)} <= cited
    assert {f"PREV-{n}" for n in range(1, 6)} <= cited


# ----------------------------------------------------------------- the checker itself


def test_scanner_catches_text_without_ids() -> None:
    data = {"pages": [{"key": "x", "items": [{"text": "Stretch."}, {"ids": ["PREV-1"], "text": "ok"}]}]}
    assert uncited_texts(data) == ["pages[0].items[0]"]
    with pytest.raises(ContentError, match="without ids"):
        check_raw(data)


def test_scanner_catches_empty_ids() -> None:
    assert uncited_texts({"tip": {"ids": [], "advice": "Drink water."}}) == ["tip"]


def test_scanner_catches_an_unknown_id_anywhere() -> None:
    data = {"nodes": {"q1": {"text": "Swelling?", "rf": ["RF-E99"], "yes": {"ids": "RF-E1"}}}}
    assert sorted(cited_ids(data)) == [("nodes.q1.rf", "RF-E99"), ("nodes.q1.yes.ids", "RF-E1")]
    with pytest.raises(ContentError, match="RF-E99"):
        check_raw({"a": {"ids": ["RF-E99"], "text": "x"}}, known_ids={"RF-E1"})


def test_scanner_rejects_dosages_and_html() -> None:
    with pytest.raises(ContentError, match="dosage"):
        check_raw({"a": {"ids": ["RELIEF-6"], "text": "Take 400 mg of ibuprofen."}})
    with pytest.raises(ContentError, match="plain text"):
        check_raw({"a": {"ids": ["RELIEF-6"], "text": "<b>Rest</b>"}})


def test_parse_known_ids_reads_list_items_only() -> None:
    text = "# Title\n- `RF-E1` swelling\nSome `PREV-9` prose\n- `STRETCH` section\n"
    assert parse_known_ids(text) == {"RF-E1", "STRETCH"}
